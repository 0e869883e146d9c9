"""gentle_llm.risks: answer confidence, log-probability probes, canaries, the guard classifier."""

from __future__ import annotations

import math

import pytest
import torch

from gentle_llm.model import GPT, GPTConfig
from gentle_llm.risks import (
    answer_confidence,
    chat_prompt,
    continuation_logprobs,
    exposure,
    fit_logistic,
    greedy_answers,
    insert_canary,
    precision_recall,
)


def test_answer_confidence_by_hand():
    # Row 1: two equal logits, the answer takes one: log 0.5, entropy 1 bit.
    # Row 2: one token certain (the others at -inf): log 1 = 0, entropy 0 bits.
    logits = torch.tensor([[0.0, 0.0, -float("inf")], [5.0, -float("inf"), -float("inf")]])
    confidence = answer_confidence(logits, torch.tensor([1, 0]))
    assert confidence.mean_logprob == pytest.approx(math.log(0.5) / 2)
    assert confidence.mean_entropy == pytest.approx(0.5)


def test_answer_confidence_uniform_and_checks():
    logits = torch.zeros(3, 8)  # uniform over 8 tokens: 3 bits, log(1/8) each
    confidence = answer_confidence(logits, torch.tensor([0, 7, 3]))
    assert confidence.mean_entropy == pytest.approx(3.0)
    assert confidence.mean_logprob == pytest.approx(-math.log(8))
    with pytest.raises(ValueError, match="one row of logits per answer token"):
        answer_confidence(logits, torch.tensor([0, 1]))


def test_continuation_logprobs_matches_the_chain_rule():
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=11, block_size=16, n_layer=1, n_head=2, n_embd=16))
    model.eval()
    prefix, continuations = [1, 2, 3], [[4], [5, 6], [7, 8, 9]]
    scores = continuation_logprobs(model, prefix, continuations)
    for score, continuation in zip(scores, continuations, strict=True):
        ids = torch.tensor([prefix + continuation])
        with torch.no_grad():
            log_probs = model(ids)[0][0].log_softmax(-1)
        expected = sum(
            log_probs[len(prefix) - 1 + i, token] for i, token in enumerate(continuation)
        )
        assert score.item() == pytest.approx(float(expected), abs=1e-5)
    with pytest.raises(ValueError, match="non-empty"):
        continuation_logprobs(model, prefix, [[]])


def test_insert_canary_plants_the_copies_at_line_breaks():
    text = "\n".join(f"line {i}" for i in range(50))
    planted = insert_canary(text, "My PIN is 123.", copies=7, seed=3)
    lines = planted.split("\n")
    assert lines.count("My PIN is 123.") == 7
    assert [line for line in lines if line != "My PIN is 123."] == text.split("\n")
    assert planted == insert_canary(text, "My PIN is 123.", copies=7, seed=3)
    assert insert_canary(text, "x", copies=0) == text


def test_exposure_by_rank():
    others = torch.arange(1023, dtype=torch.float32)  # scores 0 .. 1022
    assert exposure(5000.0, others) == pytest.approx(10.0)  # rank 1 of 1024
    assert exposure(-1.0, others) == pytest.approx(0.0)  # last of 1024
    assert exposure(511.5, others) == pytest.approx(1.0)  # rank 512: middle
    with pytest.raises(ValueError, match="empty"):
        exposure(1.0, torch.tensor([]))


def test_fit_logistic_separates_two_clusters():
    generator = torch.Generator().manual_seed(0)
    x = torch.cat(
        [torch.randn(20, 5, generator=generator) + 2, torch.randn(20, 5, generator=generator) - 2]
    )
    y = torch.cat([torch.ones(20), torch.zeros(20)]).long()
    layer = fit_logistic(x, y)
    predicted = (layer(x).squeeze(-1) > 0).long()
    assert (predicted == y).float().mean() == 1.0
    with pytest.raises(ValueError, match="0 or 1"):
        fit_logistic(x, y + 1)


def test_precision_recall_by_hand():
    predicted = torch.tensor([1, 1, 1, 0, 0, 0])
    actual = torch.tensor([1, 1, 0, 1, 0, 0])
    assert precision_recall(predicted, actual) == pytest.approx((2 / 3, 2 / 3))
    assert precision_recall(torch.zeros(3), torch.tensor([1, 0, 0])) == (1.0, 0.0)


def test_greedy_answers_on_smollm2(smollm2):
    model, tokenizer = smollm2
    prompts = [
        chat_prompt(tokenizer, "What is the capital of France? Answer in one word."),
        chat_prompt(tokenizer, "Say hello.", system="You are brief."),
    ]
    # The shared tokenizer may arrive with either side (it was "left" in the oldest-versions
    # run); start from "right" so that the check below can fail.
    original, tokenizer.padding_side = tokenizer.padding_side, "right"
    try:
        answers = greedy_answers(model, tokenizer, prompts, max_new_tokens=8)
        assert tokenizer.padding_side == "right"  # restored after the left-padded batches
    finally:
        tokenizer.padding_side = original
    assert "paris" in answers[0].text.lower()
    # Batched answers equal one-at-a-time answers: the left padding changes nothing.
    alone = greedy_answers(model, tokenizer, prompts[1:], max_new_tokens=8)[0]
    assert alone.text == answers[1].text
    assert alone.confidence.mean_logprob == pytest.approx(
        answers[1].confidence.mean_logprob, abs=1e-3
    )
    for answer in answers:
        assert answer.confidence.mean_logprob <= 0
        assert answer.confidence.mean_entropy >= 0
    # Grouped: one prompt given twice; each distinct prompt is answered once, in the given order.
    grouped = greedy_answers(
        model, tokenizer, [prompts[1], prompts[0], prompts[1]], max_new_tokens=8, group_prompts=True
    )
    assert [a.text for a in grouped] == [answers[1].text, answers[0].text, answers[1].text]
    assert grouped[0] is grouped[2]
