"""Reinforcement learning from verifiable rewards with GRPO, small enough for a laptop CPU.

Chapter 13 explains the loop this file runs: for each prompt, sample a *group* of answers,
score each with a program (right or wrong, no reward model), and push up the log-probability
of the answers that beat their group's average while a KL penalty keeps the model near a
frozen reference. Group Relative Policy Optimization (DeepSeekMath, Shao et al. 2024) needs
no value model: the group's mean reward is the baseline.

* :func:`group_advantages` and :func:`grpo_loss`: the two formulas Lab 13 has the learner write;
  the loss equals TRL's ``GRPOTrainer`` with ``loss_type="grpo"`` (``tests/test_grpo_trl.py``);
* :func:`completion_logprobs` and :func:`sample_completions`: one log-probability per answer
  token, and a batch of sampled answers with the mask of the tokens that count;
* :class:`PolicyTrainer`: one optimizer step of GRPO, or of rejection sampling (fine-tune on
  the sampled answers that checked out), from the same samples.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gentle_llm import checks
from gentle_llm.common import eval_mode, is_transformers_model, logits_of

__all__ = [
    "GRPOConfig",
    "PolicyTrainer",
    "answer_texts",
    "completion_logprobs",
    "group_advantages",
    "grpo_loss",
    "sample_completions",
]

RewardFn = Callable[[list[str], list[Any]], Sequence[float]]


def group_advantages(rewards: Tensor, group_size: int) -> Tensor:
    """How much better each answer did than its group: ``(r - mean) / (std + 1e-4)``.

    ``rewards`` [B] holds consecutive groups of ``group_size`` answers to the same prompt.
    A group whose answers all scored the same gets advantage 0: it teaches nothing.
    """
    size = checks.whole_number(group_size, "group_size", minimum=2, hint="(a group compares)")
    checks.divisible(len(rewards), "len(rewards)", size, "group_size", "one group per prompt.")
    groups = rewards.float().view(-1, size)
    mean = groups.mean(dim=1, keepdim=True)
    std = groups.std(dim=1, keepdim=True)  # with Bessel's correction, as TRL
    return ((groups - mean) / (std + 1e-4)).view(-1)


def grpo_loss(
    logprobs: Tensor,
    old_logprobs: Tensor,
    ref_logprobs: Tensor,
    advantages: Tensor,
    mask: Tensor,
    clip: float = 0.2,
    beta: float = 0.04,
) -> Tensor:
    """The GRPO objective to minimise, averaged over each answer's tokens, then over answers.

    ``logprobs`` [B, T] are the policy's log-probabilities of the sampled answer tokens (with
    gradient), ``old_logprobs`` the sampler's, ``ref_logprobs`` the frozen reference's;
    ``advantages`` [B] from :func:`group_advantages`; ``mask`` [B, T] marks the tokens that
    count. ``clip`` bounds the ratio to ``[1 - clip, 1 + clip]`` as PPO does; ``beta`` weighs
    the per-token KL estimate ``exp(ref - new) - (ref - new) - 1`` (always >= 0).
    """
    ratio = torch.exp(logprobs - old_logprobs)
    advantage = advantages.unsqueeze(1)
    surrogate = torch.min(ratio * advantage, ratio.clamp(1 - clip, 1 + clip) * advantage)
    gap = ref_logprobs - logprobs
    kl = torch.exp(gap) - gap - 1
    per_token = -surrogate + beta * kl
    mask = mask.float()
    return ((per_token * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1)).mean()


def completion_logprobs(
    model: Any, ids: Tensor, prompt_length: int, attention_mask: Tensor | None = None
) -> Tensor:
    """Log-probability of each token after the prompt, ``[B, T - prompt_length]``.

    ``ids`` [B, T] are prompts (all ``prompt_length`` long, left-padded if needed) followed by
    sampled answers; the model reads all but the last token.
    """
    checks.tensor(ids, "ids", dims=2, shape="[batch, time]")
    checks.whole_number(prompt_length, "prompt_length", maximum=ids.shape[1] - 1)
    mask = None if attention_mask is None else attention_mask[:, :-1]
    logits = logits_of(model, ids[:, :-1], mask)[:, prompt_length - 1 :]
    answer = ids[:, prompt_length:]
    return F.log_softmax(logits.float(), dim=-1).gather(-1, answer.unsqueeze(-1)).squeeze(-1)


@torch.no_grad()
def sample_completions(
    model: Any,
    prompt_ids: Tensor,
    max_new_tokens: int,
    stop_id: int,
    *,
    temperature: float = 1.0,
    attention_mask: Tensor | None = None,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Sample ``max_new_tokens`` tokens after each prompt: ``(ids [B, P + N], answer_mask [B, N])``.

    ``prompt_ids`` [B, P] are equally long (left-pad them and pass ``attention_mask`` for a
    ``transformers`` model, which samples through its own ``generate`` with a key/value cache).
    ``answer_mask`` is 1 up to and including the first ``stop_id``: what comes after an answer's
    end is sampled but not scored. ``temperature=0`` is greedy.
    """
    checks.tensor(prompt_ids, "prompt_ids", dims=2, shape="[batch, prompt length]")
    checks.whole_number(max_new_tokens, "max_new_tokens")
    checks.number(temperature, "temperature", low=0)
    with eval_mode(model):
        if is_transformers_model(model):
            ids = _hf_sample(
                model, prompt_ids, attention_mask, max_new_tokens, stop_id, temperature, generator
            )
        else:
            ids = _sample(model, prompt_ids, max_new_tokens, temperature, generator)
    answer = ids[:, prompt_ids.shape[1] :]
    stops = answer == stop_id
    after_stop = (stops.cumsum(dim=1) - stops.long()) > 0
    return ids, (~after_stop).long()


def _sample(
    model: Any, ids: Tensor, steps: int, temperature: float, generator: torch.Generator | None
) -> Tensor:
    for _ in range(steps):
        logits = logits_of(model, ids)[:, -1].float()
        if temperature == 0:
            token = logits.argmax(dim=-1, keepdim=True)
        else:
            probs = F.softmax(logits / temperature, dim=-1)
            token = torch.multinomial(probs, 1, generator=generator)
        ids = torch.cat([ids, token], dim=1)
    return ids


def _hf_sample(
    model: Any,
    ids: Tensor,
    mask: Tensor | None,
    steps: int,
    stop_id: int,
    temperature: float,
    generator: torch.Generator | None,
) -> Tensor:
    if generator is not None:  # generate draws from torch's global generator
        torch.manual_seed(int(torch.randint(2**31 - 1, (1,), generator=generator)))
    sampling = {"do_sample": True, "temperature": temperature, "top_k": 0, "top_p": 1.0}
    out = model.generate(
        input_ids=ids,
        attention_mask=torch.ones_like(ids) if mask is None else mask,
        max_new_tokens=steps,
        min_new_tokens=steps,  # every row as long, so the batch stays one tensor
        eos_token_id=None,
        pad_token_id=stop_id,
        **(sampling if temperature > 0 else {"do_sample": False}),
    )
    return out


def answer_texts(ids: Tensor, answer_mask: Tensor, decode: Callable[[list[int]], str]) -> list[str]:
    """The text of each sampled answer, cut after its stop token (``sample_completions``' mask)."""
    answers = ids[:, ids.shape[1] - answer_mask.shape[1] :]
    return [
        decode(row[: int(n)].tolist())
        for row, n in zip(answers, answer_mask.sum(dim=1), strict=True)
    ]


@dataclass
class GRPOConfig:
    """The knobs of :class:`PolicyTrainer`; Chapter 13 explains each.

    ``method`` is ``"grpo"`` or ``"rejection"`` (fine-tune on the answers whose reward is at
    least ``keep_reward``: rejection sampling, the distillation recipe of DeepSeek-R1's
    small models).
    """

    group_size: int = 8
    max_new_tokens: int = 4
    temperature: float = 1.0
    lr: float = 3e-4
    clip: float = 0.2
    beta: float = 0.04
    grad_clip: float = 1.0
    method: str = "grpo"
    keep_reward: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        checks.whole_number(self.group_size, "GRPOConfig.group_size", minimum=2)
        checks.whole_number(self.max_new_tokens, "GRPOConfig.max_new_tokens")
        checks.number(self.temperature, "GRPOConfig.temperature", low=0, low_open=True)
        checks.number(self.lr, "GRPOConfig.lr", low=0, low_open=True)
        checks.number(self.clip, "GRPOConfig.clip", low=0, high=1)
        checks.number(self.beta, "GRPOConfig.beta", low=0)
        checks.number(self.grad_clip, "GRPOConfig.grad_clip", low=0, low_open=True)
        checks.one_of(self.method, "GRPOConfig.method", ("grpo", "rejection"))


class PolicyTrainer:
    """Improves ``policy`` against a reward a program computes, one batch of prompts per step.

    ``decode`` turns answer token ids into text, ``reward`` scores ``(texts, items)`` where
    ``items`` are whatever the caller passes with the prompts (e.g. the right answers). A
    frozen copy of the policy taken at the start is the KL reference. Prompts must be equally
    long token ids; each is repeated ``group_size`` times.
    """

    def __init__(
        self,
        policy: nn.Module,
        decode: Callable[[list[int]], str],
        reward: RewardFn,
        stop_id: int,
        config: GRPOConfig,
    ) -> None:
        checks.instance(policy, "policy", nn.Module, "a torch.nn.Module, e.g. a GPT")
        self.policy, self.decode, self.reward, self.stop_id = policy, decode, reward, stop_id
        self.config = config
        self.reference = _frozen_copy(policy)
        trainable = [p for p in policy.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(trainable, lr=config.lr, weight_decay=0.0)
        self.generator = torch.Generator().manual_seed(config.seed)
        self.history: list[dict[str, float]] = []

    def step(
        self, prompt_ids: Tensor, items: Sequence[Any], attention_mask: Tensor | None = None
    ) -> dict[str, float]:
        """Sample, score and take one optimizer step; returns the step's statistics.

        ``attention_mask`` marks real prompt tokens when prompts are left-padded.
        """
        checks.tensor(prompt_ids, "prompt_ids", dims=2, shape="[prompts, prompt length]")
        checks.same(
            len(prompt_ids),
            len(items),
            "prompts and items",
            "pass one item (e.g. the right answer) per prompt.",
        )
        cfg = self.config
        prompts = prompt_ids.repeat_interleave(cfg.group_size, dim=0)
        prompt_mask = None
        if attention_mask is not None:
            prompt_mask = attention_mask.repeat_interleave(cfg.group_size, dim=0)
        group_items = [item for item in items for _ in range(cfg.group_size)]
        ids, mask = sample_completions(
            self.policy,
            prompts,
            cfg.max_new_tokens,
            self.stop_id,
            temperature=cfg.temperature,
            attention_mask=prompt_mask,
            generator=self.generator,
        )
        full_mask = None
        if prompt_mask is not None:
            full_mask = torch.cat([prompt_mask, torch.ones_like(mask)], dim=1)
        texts = answer_texts(ids, mask, self.decode)
        rewards = torch.as_tensor(self.reward(texts, group_items), dtype=torch.float32)
        checks.same(
            len(rewards),
            len(texts),
            "rewards and answers",
            "the reward function must return one number per answer text.",
        )

        self.policy.train()
        logprobs = completion_logprobs(self.policy, ids, prompt_ids.shape[1], full_mask)
        if cfg.method == "grpo":
            with torch.no_grad():
                ref = completion_logprobs(self.reference, ids, prompt_ids.shape[1], full_mask)
            advantages = group_advantages(rewards, cfg.group_size)
            loss = grpo_loss(logprobs, logprobs.detach(), ref, advantages, mask, cfg.clip, cfg.beta)
        else:
            keep = (rewards >= cfg.keep_reward).float().unsqueeze(1) * mask
            loss = -(logprobs * keep).sum() / keep.sum().clamp(min=1)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.policy.parameters(), cfg.grad_clip)
        self.optimizer.step()

        stats = {
            "step": float(len(self.history) + 1),
            "loss": float(loss.detach()),
            "reward": float(rewards.mean()),
            "length": float(mask.sum(dim=1).float().mean()),
        }
        self.history.append(stats)
        return stats


def _frozen_copy(model: nn.Module) -> nn.Module:
    import copy

    reference = copy.deepcopy(model)
    reference.eval()
    for param in reference.parameters():
        param.requires_grad_(False)
    return reference
