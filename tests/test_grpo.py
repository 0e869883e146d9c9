"""Chapter 13's GRPO pieces: advantages, the loss, sampling masks and one training step."""

from __future__ import annotations

import pytest
import torch

from gentle_llm.grpo import (
    GRPOConfig,
    PolicyTrainer,
    answer_texts,
    completion_logprobs,
    group_advantages,
    grpo_loss,
    sample_completions,
)
from gentle_llm.model import GPT, GPTConfig


def test_advantages_are_normalised_within_each_group() -> None:
    rewards = torch.tensor([1.0, 0.0, 0.0, 0.0, 3.0, 5.0, 5.0, 3.0])
    adv = group_advantages(rewards, 4).view(2, 4)
    torch.testing.assert_close(adv.mean(dim=1), torch.zeros(2), atol=1e-6, rtol=0)
    torch.testing.assert_close(adv.std(dim=1), torch.full((2,), 1.0), atol=1e-3, rtol=0)
    assert adv[0, 0] > 0 > adv[0, 1]


def test_a_group_that_scored_alike_teaches_nothing() -> None:
    assert torch.equal(group_advantages(torch.ones(4), 4), torch.zeros(4))


@pytest.mark.parametrize(("size", "message"), [(3, "divisible"), (1, "whole number >= 2")])
def test_advantages_refuse_groups_that_do_not_fit(size: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        group_advantages(torch.ones(4), size)


def _batch(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    new = torch.randn(4, 6, generator=g) * 0.3 - 1.5
    old = new + torch.randn(4, 6, generator=g) * 0.3
    ref = new + torch.randn(4, 6, generator=g) * 0.3
    mask = torch.tensor([[1] * 6, [1] * 2 + [0] * 4, [1] * 5 + [0], [1] + [0] * 5])
    return new, old, ref, torch.tensor([1.5, -0.5, 0.2, -1.2]), mask


def test_loss_matches_the_formula_written_out_token_by_token() -> None:
    new, old, ref, adv, mask = _batch()
    total = 0.0
    for i in range(4):
        per_answer = []
        for t in range(6):
            if mask[i, t]:
                ratio = torch.exp(new[i, t] - old[i, t])
                clipped = ratio.clamp(0.8, 1.2)
                kl = torch.exp(ref[i, t] - new[i, t]) - (ref[i, t] - new[i, t]) - 1
                per_answer.append(-min(ratio * adv[i], clipped * adv[i]) + 0.04 * kl)
        total += sum(per_answer) / len(per_answer)
    torch.testing.assert_close(grpo_loss(new, old, ref, adv, mask), total / 4)


def test_kl_term_is_zero_at_the_reference_and_positive_away_from_it() -> None:
    new, old, _, adv, mask = _batch()
    zero_adv = torch.zeros_like(adv)
    assert float(grpo_loss(new, old, new, zero_adv, mask, beta=1.0)) == 0.0
    assert float(grpo_loss(new, old, new + 0.5, zero_adv, mask, beta=1.0)) > 0.0


def test_clipping_stops_the_gradient_once_the_ratio_left_the_trust_region() -> None:
    new = torch.tensor([[0.5]], requires_grad=True)  # ratio e^0.5 = 1.65 > 1.2
    loss = grpo_loss(new, torch.zeros(1, 1), new.detach(), torch.tensor([1.0]), torch.ones(1, 1))
    loss.backward()
    assert float(new.grad) == 0.0
    inside = torch.tensor([[0.1]], requires_grad=True)
    grpo_loss(
        inside, torch.zeros(1, 1), inside.detach(), torch.tensor([1.0]), torch.ones(1, 1)
    ).backward()
    assert float(inside.grad) < 0.0  # minimising pushes a good answer's log-probability up


def _tiny_gpt() -> GPT:
    torch.manual_seed(0)
    return GPT(GPTConfig(vocab_size=5, block_size=16, n_layer=1, n_head=1, n_embd=8))


def test_samples_are_masked_after_the_stop_token_and_logprobs_line_up() -> None:
    model = _tiny_gpt()
    prompts = torch.tensor([[1, 2], [2, 3]]).repeat(8, 1)
    ids, mask = sample_completions(
        model, prompts, 6, stop_id=0, generator=torch.Generator().manual_seed(0)
    )
    answers = ids[:, 2:]
    for row, m in zip(answers.tolist(), mask.tolist(), strict=True):
        n = sum(m)
        assert m == [1] * n + [0] * (6 - n)
        assert 0 not in row[: n - 1] and (n == 6 or row[n - 1] == 0)
    logprobs = completion_logprobs(model, ids, 2)
    full = torch.log_softmax(model(ids)[0], dim=-1)
    torch.testing.assert_close(logprobs[:, 0], full[torch.arange(16), 1, ids[:, 2]])
    texts = answer_texts(ids, mask, lambda t: "".join(map(str, t)))
    assert [len(t) for t in texts] == mask.sum(dim=1).tolist()


def test_greedy_sampling_is_deterministic() -> None:
    model = _tiny_gpt()
    prompts = torch.tensor([[1, 2, 3]])
    a, _ = sample_completions(model, prompts, 5, stop_id=0, temperature=0)
    b, _ = sample_completions(model, prompts, 5, stop_id=0, temperature=0)
    assert torch.equal(a, b)


@pytest.mark.parametrize("method", ["grpo", "rejection"])
def test_training_raises_the_reward_of_a_simple_preference(method: str) -> None:
    model = _tiny_gpt()
    reward = lambda texts, items: [float(t.count("3")) for t in texts]  # noqa: E731
    config = GRPOConfig(group_size=8, max_new_tokens=4, lr=3e-2, method=method, keep_reward=2.0)
    trainer = PolicyTrainer(model, lambda t: "".join(map(str, t)), reward, stop_id=0, config=config)
    prompts = torch.tensor([[1, 2]] * 4)
    stats = [trainer.step(prompts, [None] * 4) for _ in range(30)]
    first = sum(s["reward"] for s in stats[:5]) / 5
    last = sum(s["reward"] for s in stats[-5:]) / 5
    assert last > first + 0.5
    assert all(not p.requires_grad for p in trainer.reference.parameters())


def test_trainer_gives_clear_errors() -> None:
    model = _tiny_gpt()
    with pytest.raises(ValueError, match="GRPOConfig.method"):
        GRPOConfig(method="ppo")
    with pytest.raises(ValueError, match="GRPOConfig.group_size"):
        GRPOConfig(group_size=1)
    trainer = PolicyTrainer(model, str, lambda texts, items: [1.0], stop_id=0, config=GRPOConfig())
    with pytest.raises(ValueError, match="one number per answer"):
        trainer.step(torch.tensor([[1, 2]]), [None])
    with pytest.raises(ValueError, match="prompts and items differ"):
        trainer.step(torch.tensor([[1, 2]]), [None, None])


def test_a_transformers_model_samples_through_generate_and_trains() -> None:
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=12,
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
    )
    model = LlamaForCausalLM(config)
    prompts = torch.tensor([[0, 0, 5, 6], [3, 4, 5, 6]])  # the first one left-padded
    mask = torch.tensor([[0, 0, 1, 1], [1, 1, 1, 1]])
    ids, answer_mask = sample_completions(
        model,
        prompts,
        5,
        stop_id=1,
        attention_mask=mask,
        generator=torch.Generator().manual_seed(0),
    )
    assert ids.shape == (2, 9) and answer_mask.shape == (2, 5)
    again, _ = sample_completions(
        model,
        prompts,
        5,
        stop_id=1,
        attention_mask=mask,
        generator=torch.Generator().manual_seed(0),
    )
    assert torch.equal(ids, again)  # the generator seeds generate's sampling
    trainer = PolicyTrainer(
        model,
        lambda t: " ".join(map(str, t)),
        lambda texts, items: [float("7" in t) for t in texts],
        stop_id=1,
        config=GRPOConfig(group_size=4, max_new_tokens=3),
    )
    stats = trainer.step(prompts, [None, None], attention_mask=mask)
    assert 0.0 <= stats["reward"] <= 1.0 and stats["length"] <= 3
