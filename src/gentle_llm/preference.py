"""Learning from preferences: a reward model and DPO (Chapter 8).

Chapter 8 explains both. People compare two answers to the same prompt and say which is
better. The Bradley–Terry model turns a score difference into a probability of winning,
``P(chosen beats rejected) = σ(r_chosen − r_rejected)``, so a model that scores answers
(a *reward model*) learns by minimising ``−log σ(r_chosen − r_rejected)``: :func:`reward_loss`.
RLHF then trains the language model to please that reward model.

DPO (Rafailov et al., 2023, "Direct Preference Optimization: Your Language Model is Secretly a
Reward Model") skips the separate reward model: the language model's own log-probabilities,
measured against a frozen copy of itself (the *reference*), play the role of the reward:
``r = β · (log π(answer) − log π_ref(answer))``. Putting that into the same Bradley–Terry loss
gives :func:`dpo_loss`. :func:`sequence_logprob` adds up an answer's token log-probabilities.

Labels follow :mod:`gentle_llm.finetune`: -100 on prompt and padding tokens, so only the
answer's tokens count.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gentle_llm import checks

# sequence_logprob lives in common (Chapters 10 and 11 use it too); this chapter teaches it.
from gentle_llm.common import sequence_logprob

__all__ = ["RewardModel", "dpo_loss", "reward_loss", "sequence_logprob"]


def reward_loss(chosen: Tensor, rejected: Tensor) -> Tensor:
    """Bradley–Terry loss of a reward model: mean of ``−log σ(chosen − rejected)``.

    ``chosen`` and ``rejected`` are the scores [B] of the preferred and the other answer of
    each pair. The loss is ln 2 ≈ 0.693 when the two scores are equal and falls towards 0 as
    the preferred answer's score pulls ahead.
    """
    _pair(chosen, rejected, "chosen", "rejected")
    # logsigmoid is exact where log(sigmoid(x)) would round to log(0) for very negative x.
    return -F.logsigmoid(chosen - rejected).mean()


def dpo_loss(
    policy_chosen: Tensor,
    policy_rejected: Tensor,
    reference_chosen: Tensor,
    reference_rejected: Tensor,
    beta: float = 0.1,
) -> Tensor:
    """The DPO loss: mean of ``−log σ(β · [(π_c − ref_c) − (π_r − ref_r)])``.

    Each argument holds sequence log-probabilities [B] (:func:`sequence_logprob`) of the
    chosen or rejected answers, under the model being trained (``policy``) or the frozen
    reference. ``beta`` sets how far the policy may drift from the reference: a small β lets
    it move further. When policy and reference agree the loss is ln 2.
    """
    beta = checks.number(beta, "beta", low=0, low_open=True, hint="e.g. beta=0.1.")
    _pair(policy_chosen, policy_rejected, "policy_chosen", "policy_rejected")
    _pair(reference_chosen, reference_rejected, "reference_chosen", "reference_rejected")
    chosen_reward = beta * (policy_chosen - reference_chosen)
    rejected_reward = beta * (policy_rejected - reference_rejected)
    return -F.logsigmoid(chosen_reward - rejected_reward).mean()


class RewardModel(nn.Module):
    """A language model turned into a scorer: its last hidden state, then one linear layer.

    ``model`` is our GPT or Llama, or a ``transformers`` causal language model. Its hidden
    states are the inputs of its output head (caught on the way in by a forward hook, so any
    of these models works unchanged); ``pooling="last"`` scores the state of the last real
    token, which has read the whole text, and ``"mean"`` averages the states of all real
    tokens. ``forward`` returns one score per sequence, [B].
    """

    def __init__(self, model: nn.Module, pooling: str = "last") -> None:
        super().__init__()
        self.pooling = checks.one_of(pooling, "pooling", ("last", "mean"))
        get_head = getattr(model, "get_output_embeddings", None)
        head = get_head() if callable(get_head) else getattr(model, "lm_head", None)
        if not isinstance(head, nn.Linear):
            raise ValueError(
                "RewardModel needs a language model with a linear output head (lm_head), such "
                f"as gentle_llm's GPT or Llama or a transformers model; got {type(model).__name__}."
            )
        self.model = model
        self.is_hf = callable(get_head)
        self.score = nn.Linear(head.in_features, 1)
        nn.init.zeros_(self.score.weight)  # every answer starts with the same score, 0
        self._hidden: Tensor | None = None
        head.register_forward_hook(self._keep_hidden)

    def _keep_hidden(self, module: nn.Module, inputs: tuple[Any, ...], output: Any) -> None:
        self._hidden = inputs[0]

    def forward(self, input_ids: Tensor, attention_mask: Tensor | None = None) -> Tensor:
        checks.tensor(input_ids, "input_ids", dims=2, shape="[batch, time]")
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        if self.is_hf:
            self.model(input_ids=input_ids, attention_mask=attention_mask)
        else:
            self.model(input_ids)  # right padding never changes earlier positions
        hidden, self._hidden = self._hidden, None
        mask = attention_mask.to(hidden.dtype).unsqueeze(-1)
        if self.pooling == "mean":
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
        else:
            last = attention_mask.sum(1).clamp(min=1) - 1
            pooled = hidden[torch.arange(len(hidden)), last]
        return self.score(pooled).squeeze(-1)


def _pair(a: Any, b: Any, name_a: str, name_b: str) -> None:
    checks.tensor(a, name_a, dims=1, shape="[batch]", floating=True)
    checks.tensor(b, name_b, dims=1, shape="[batch]", floating=True)
    fix = "each must hold one number per pair."
    checks.same(len(a), len(b), f"The lengths of {name_a} and {name_b}", fix)
