"""gentle_llm.evaluate: bits per byte, option scoring, accuracy and the Wilson interval."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gentle_llm.evaluate import (
    OptionScores,
    accuracy,
    choose,
    encode,
    score_options,
    text_bits_per_byte,
    unigram_bits_per_byte,
    wilson_interval,
)
from gentle_llm.model import GPT

TEXT = "First Citizen:\nBefore we proceed any further, hear me speak.\n"


class Uniform(nn.Module):
    """Every token equally likely: the cost of each token is exactly ln(vocab)."""

    def __init__(self, vocab: int) -> None:
        super().__init__()
        self.vocab = vocab

    def forward(self, ids: Tensor) -> tuple[Tensor, None]:
        return torch.zeros(*ids.shape, self.vocab), None


@pytest.fixture(scope="module")
def gpt(tiny_gpt_config: Any) -> GPT:
    torch.manual_seed(0)
    return GPT(tiny_gpt_config).eval()


def test_uniform_model_costs_log2_vocab_bits_per_character(char_data: Any) -> None:
    tok = char_data.tokenizer
    score = text_bits_per_byte(Uniform(tok.vocab_size), tok, TEXT, context=7)
    assert score.tokens == len(TEXT) - 1 and score.bytes == len(TEXT) - 1
    assert score.bits_per_byte == pytest.approx(math.log2(tok.vocab_size))
    assert score.perplexity == pytest.approx(tok.vocab_size)


def test_text_score_matches_one_full_pass(gpt: GPT, char_data: Any) -> None:
    tok = char_data.tokenizer
    ids = torch.tensor([tok.encode(TEXT[:16])])  # fits the block of 16
    with torch.no_grad():
        logits, _ = gpt(ids)
    expected = F.cross_entropy(logits[0, :-1], ids[0, 1:], reduction="sum")
    score = text_bits_per_byte(gpt, tok, TEXT[:16], context=16)
    assert score.nats == pytest.approx(float(expected), rel=1e-5)
    # Shorter windows give less context, so another total, but still every token once.
    short = text_bits_per_byte(gpt, tok, TEXT, context=4, batch_size=3)
    assert short.tokens == len(TEXT) - 1
    assert short.nats != pytest.approx(text_bits_per_byte(gpt, tok, TEXT, context=16).nats)


def test_unigram_baseline_by_hand() -> None:
    # Counts a:2, b:1 over the alphabet {a, b}; add-one smoothing gives 3/5 and 2/5.
    bits = unigram_bits_per_byte("aab", "ab")
    assert bits == pytest.approx(-(math.log2(3 / 5) + math.log2(2 / 5)) / 2)
    # Equal counts of 4 characters: 2 bits each; an unseen character still costs finitely.
    assert unigram_bits_per_byte("abcd" * 10, "dcba") == pytest.approx(2.0)
    assert math.isfinite(unigram_bits_per_byte("abcd", "z"))
    # Bytes, not characters: "é" is 2 bytes in UTF-8, so its bits spread over 2 bytes.
    assert unigram_bits_per_byte("éa", "é") == pytest.approx(1.0 / 2)


def test_option_scores_equal_log_probs_from_a_full_pass(gpt: GPT, char_data: Any) -> None:
    tok = char_data.tokenizer
    prompt, options = "To be", [" or not", " t", " xyzzy!"]
    scores = score_options(gpt, tok, prompt, options)
    head = tok.encode(prompt)
    for i, option in enumerate(options):
        ids = torch.tensor([head + tok.encode(option)])
        with torch.no_grad():
            logp = gpt(ids)[0][0].log_softmax(-1)
        by_hand = sum(float(logp[t - 1, ids[0, t]]) for t in range(len(head), ids.shape[1]))
        assert float(scores.logprob[i]) == pytest.approx(by_hand, abs=1e-4)
    assert scores.tokens.tolist() == [7, 2, 7] and scores.chars.tolist() == [7, 2, 7]


def test_choose_sum_and_normalised() -> None:
    # The long option has the lower total but the higher score per token and per character.
    scores = OptionScores(
        logprob=torch.tensor([-3.0, -6.0]),
        tokens=torch.tensor([1.0, 4.0]),
        chars=torch.tensor([3.0, 12.0]),
    )
    assert choose(scores) == 0
    assert choose(scores, "per_token") == 1 and choose(scores, "per_char") == 1
    with pytest.raises(ValueError, match="method must be one of"):
        choose(scores, "mean")


def test_smollm2_knows_capitals_and_beats_the_unigram(smollm2: tuple[Any, Any]) -> None:
    model, tokenizer = smollm2
    scores = score_options(
        model, tokenizer, "The capital of France is", [" Berlin", " Paris", " Madrid"]
    )
    assert choose(scores) == 1
    assert encode(tokenizer, " Paris") == tokenizer(" Paris", add_special_tokens=False).input_ids
    score = text_bits_per_byte(model, tokenizer, TEXT * 3, context=32)
    assert score.bits_per_byte < unigram_bits_per_byte(TEXT * 3, TEXT * 3) - 1


def test_accuracy_and_wilson_interval() -> None:
    assert accuracy([0, 1, 2, 3], [0, 1, 3, 3]) == 0.75
    low, high = wilson_interval(8, 10)
    assert (low, high) == (pytest.approx(0.4902, abs=1e-4), pytest.approx(0.9433, abs=1e-4))
    assert wilson_interval(0, 10) == (0.0, pytest.approx(0.2775, abs=1e-4))
    wide, narrow = wilson_interval(30, 60), wilson_interval(300, 600)
    assert (wide[1] - wide[0]) / (narrow[1] - narrow[0]) == pytest.approx(math.sqrt(10), 0.05)
    assert wilson_interval(8, 10, confidence=0.99)[0] < low


def test_errors(gpt: GPT, char_data: Any) -> None:
    tok = char_data.tokenizer
    with pytest.raises(ValueError, match="one prediction per answer"):
        accuracy([0, 1], [0])
    with pytest.raises(ValueError, match="cannot exceed"):
        wilson_interval(11, 10)
    with pytest.raises(ValueError, match="at least two answers"):
        score_options(gpt, tok, "Q", " a")
    with pytest.raises(ValueError, match="context must be"):
        text_bits_per_byte(gpt, tok, TEXT, context=1)
    with pytest.raises(ValueError, match="at least two tokens"):
        text_bits_per_byte(gpt, tok, "a", context=8)
