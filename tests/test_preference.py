"""gentle_llm.preference: the Bradley–Terry reward loss, the reward model, DPO."""

from __future__ import annotations

import copy
import math

import pytest
import torch
import torch.nn.functional as F

from gentle_llm.finetune import make_batch
from gentle_llm.llama import Llama, LlamaConfig
from gentle_llm.model import GPT
from gentle_llm.preference import RewardModel, dpo_loss, reward_loss, sequence_logprob


def test_dpo_loss_by_hand():
    pc, pr = torch.tensor([-3.0, -10.0]), torch.tensor([-5.0, -9.0])
    rc, rr = torch.tensor([-4.0, -10.5]), torch.tensor([-4.5, -8.0])
    beta = 0.5
    # Pair 1: 0.5 * ((-3 + 4) - (-5 + 4.5)) = 0.75; pair 2: 0.5 * ((-10 + 10.5) - (-9 + 8)) = 0.75.
    margin = 0.75
    expected = -math.log(1 / (1 + math.exp(-margin)))
    assert dpo_loss(pc, pr, rc, rr, beta=beta).item() == pytest.approx(expected, rel=1e-6)
    # The other way round the loss is larger: the policy preferred the wrong answer.
    assert dpo_loss(pr, pc, rr, rc, beta=beta).item() == pytest.approx(
        -math.log(1 / (1 + math.exp(margin))), rel=1e-6
    )


def test_dpo_loss_is_ln2_when_policy_equals_reference():
    torch.manual_seed(0)
    chosen, rejected = torch.randn(7) * 20, torch.randn(7) * 20
    loss = dpo_loss(chosen, rejected, chosen.clone(), rejected.clone(), beta=0.3)
    assert loss.item() == pytest.approx(math.log(2), abs=1e-7)


def test_reward_loss_by_hand_and_ln2():
    chosen, rejected = torch.tensor([2.0, 0.0]), torch.tensor([1.0, 0.0])
    expected = (-math.log(1 / (1 + math.exp(-1.0))) + math.log(2)) / 2
    assert reward_loss(chosen, rejected).item() == pytest.approx(expected, rel=1e-6)


def test_sequence_logprob_sums_answer_tokens_only():
    torch.manual_seed(0)
    batch = make_batch([([3, 4, 5], [6, 7]), ([1], [2, 3, 4])])
    logits = torch.randn(2, 5, 9)
    lp = F.log_softmax(logits, dim=-1)
    first = lp[0, 2, 6] + lp[0, 3, 7]
    second = lp[1, 0, 2] + lp[1, 1, 3] + lp[1, 2, 4]
    got = sequence_logprob(logits, batch.labels)
    assert torch.allclose(got, torch.stack([first, second]), atol=1e-6)
    with pytest.raises(ValueError, match="one row of logits per label"):
        sequence_logprob(logits[:, :4], batch.labels)


def _preference_batches(vocab: int):
    """Four prompts, each with a chosen and a rejected answer of different tokens."""
    generator = torch.Generator().manual_seed(1)
    prompts = [torch.randint(0, vocab, (5,), generator=generator).tolist() for _ in range(4)]
    chosen = [[p[0], p[1], 7] for p in prompts]
    rejected = [[p[1], 9, p[0]] for p in prompts]
    return (
        make_batch(list(zip(prompts, chosen, strict=True))),
        make_batch(list(zip(prompts, rejected, strict=True))),
    )


def test_dpo_raises_chosen_and_lowers_rejected(tiny_gpt_config):
    torch.manual_seed(0)
    policy = GPT(tiny_gpt_config)
    reference = copy.deepcopy(policy).eval().requires_grad_(False)
    good, bad = _preference_batches(tiny_gpt_config.vocab_size)

    def logprobs(model):
        return (
            sequence_logprob(model(good.input_ids)[0], good.labels),
            sequence_logprob(model(bad.input_ids)[0], bad.labels),
        )

    with torch.no_grad():
        ref_good, ref_bad = logprobs(reference)
    optimizer = torch.optim.AdamW(policy.parameters(), lr=1e-3, weight_decay=0.0)
    losses = []
    for _ in range(5):
        pol_good, pol_bad = logprobs(policy)
        loss = dpo_loss(pol_good, pol_bad, ref_good, ref_bad, beta=0.1)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[0] == pytest.approx(math.log(2), abs=1e-6)
    with torch.no_grad():
        new_good, new_bad = logprobs(policy)
    assert (new_good > ref_good).all(), new_good - ref_good
    assert (new_bad < ref_bad).all(), new_bad - ref_bad
    assert losses[-1] < losses[0]


@pytest.mark.parametrize("pooling", ["last", "mean"])
def test_reward_model_learns_to_order_pairs(tiny_gpt_config, pooling):
    torch.manual_seed(0)
    reward = RewardModel(GPT(tiny_gpt_config), pooling=pooling)
    vocab = tiny_gpt_config.vocab_size
    # Toy preference: answers made of low token ids are preferred to answers of high ones.
    chosen = torch.randint(0, vocab // 2, (16, 8))
    rejected = torch.randint(vocab // 2, vocab, (16, 8))
    with torch.no_grad():
        assert torch.equal(reward(chosen), reward(rejected))  # the zero head scores all alike
    optimizer = torch.optim.AdamW(reward.parameters(), lr=3e-3)
    losses = []
    for _ in range(25):
        loss = reward_loss(reward(chosen), reward(rejected))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[0] == pytest.approx(math.log(2), abs=1e-6)
    assert losses[-1] < 0.5 * losses[0]
    with torch.no_grad():
        assert (reward(chosen) > reward(rejected)).all()


def test_reward_model_reads_the_last_real_token():
    config = LlamaConfig(
        vocab_size=40, block_size=16, n_layer=1, n_head=2, n_kv_head=1, n_embd=16,
        intermediate_size=32,
    )  # fmt: skip
    torch.manual_seed(0)
    reward = RewardModel(Llama(config))
    torch.nn.init.normal_(reward.score.weight)
    short = torch.tensor([[5, 6, 7]])
    padded = torch.tensor([[5, 6, 7, 0, 0]])
    mask = torch.tensor([[1, 1, 1, 0, 0]])
    with torch.no_grad():
        assert reward(padded, mask).item() == pytest.approx(reward(short).item(), abs=1e-6)
        assert reward(padded).item() != pytest.approx(reward(short).item(), abs=1e-6)


def test_preference_errors(tiny_gpt_config):
    with pytest.raises(ValueError, match="one number per pair"):
        reward_loss(torch.zeros(3), torch.zeros(2))
    with pytest.raises(ValueError, match="beta must be a number > 0"):
        dpo_loss(*[torch.zeros(2)] * 4, beta=0)
    with pytest.raises(ValueError, match="pooling must be one of"):
        RewardModel(GPT(tiny_gpt_config), pooling="max")
    with pytest.raises(ValueError, match="linear output head"):
        RewardModel(torch.nn.Sequential(torch.nn.ReLU()))
