"""Checks for the exercises of Lab 7 (Chapter 7)."""

from __future__ import annotations

from typing import Any

import torch

from gentle_llm.exercises.core import NotYet, choice, exercise, learner_call, number, pair, whole

# SmolLM2-135M: 30 layers, 3 key/value heads of 64 numbers, a context of 8,192 tokens.
SMOLLM2_LAYERS, SMOLLM2_KV_HEADS, SMOLLM2_HEAD_SIZE = 30, 3, 64
SMOLLM2_QUERY_HEADS, SMOLLM2_WIDTH = 9, 576
SMOLLM2_CONTEXT = 8_192
SPECULATIVE_KS = (1, 2, 4, 8)
SPECULATIVE_CHARACTERS = 200  # greedy_200: the characters each run writes


def _min_p_reference(probs: torch.Tensor, min_p: float) -> torch.Tensor:
    kept = torch.where(probs >= min_p * probs.max(), probs, torch.zeros_like(probs))
    return kept / kept.sum()


def _min_p_cases() -> list[tuple[torch.Tensor, float]]:
    """Small distributions where the usual slips give a different answer."""
    spread = torch.randn(50, generator=torch.Generator().manual_seed(0)).mul(2).softmax(-1)
    hand_made = torch.tensor([0.50, 0.30, 0.08, 0.07, 0.04, 0.01])
    return [(hand_made, 0.1), (spread, 0.2), (hand_made, 1.0), (spread, 0.0)]


@exercise("lab7.min-p", "your function min_p_filter(probs, min_p) itself")
def min_p(answer: Any) -> None:
    for probs, threshold in _min_p_cases():
        expected = _min_p_reference(probs, threshold)
        got = learner_call(answer, "min_p_filter", probs.clone(), threshold)
        call = f"min_p_filter(probs, {threshold})"
        if not isinstance(got, torch.Tensor) or got.shape != probs.shape:
            raise NotYet(
                f"{call} should return a tensor of probabilities with the shape of probs,"
                " one per token."
            )
        got = got.detach().double()
        if torch.isnan(got).any() or not (got > 0).any():
            raise NotYet(
                f"{call} kept no token. The most likely token is always at least min_p times"
                " itself (for min_p up to 1), so it must stay: keep a token when its"
                " probability is at least (>=) min_p times the largest one."
            )
        if (got < 0).any() or torch.isinf(got).any():
            raise NotYet(
                "return probabilities: 0 for the tokens you remove (not -inf, which is for"
                " logits), the kept ones renormalised."
            )
        kept, right = got > 0, expected > 0
        if not torch.equal(kept, right):
            if torch.equal(kept, probs >= threshold) and threshold not in (0.0, 1.0):
                raise NotYet(
                    "min_p is relative: compare each probability with min_p times the largest"
                    " probability, not with min_p itself."
                )
            raise NotYet(
                f"{call} keeps the wrong tokens: keep each token, at its place, whose"
                " probability is at least min_p times the largest one, and set the others to 0."
            )
        if abs(got.sum().item() - 1) > 1e-5:
            raise NotYet(
                f"{call} keeps the right tokens, but they do not add up to 1: renormalise,"
                " dividing the kept probabilities by their sum."
            )
        if not torch.allclose(got, expected.double(), atol=1e-6):
            raise NotYet(
                f"{call} keeps the right tokens, but not in their old proportions: divide"
                " each kept probability by the sum of the kept ones."
            )


@exercise("lab7.kv-full-context", "a pair: (bytes of the full cache in fp32, in bf16)")
def kv_full_context(answer: Any) -> None:
    pair(answer, "pass a pair of byte counts: (the cache in fp32, the cache in bf16).")
    fp32_per_number = 2 * SMOLLM2_LAYERS * SMOLLM2_KV_HEADS * SMOLLM2_HEAD_SIZE * SMOLLM2_CONTEXT
    fp32 = 4 * fp32_per_number
    for value in answer:
        if number(value, "the cache size") < 1e7:
            raise NotYet("pass both sizes in bytes, not in megabytes or gigabytes.")
    whole(
        answer[0],
        fp32,
        "the fp32 cache",
        hints={
            fp32 // 2: "that is half of it: the cache keeps a key and a value (the 2 of the"
            " formula) for each layer and key/value head, each of 4 bytes in fp32. (The pair"
            " is (fp32, bf16), in that order.)",
            fp32 * SMOLLM2_QUERY_HEADS // SMOLLM2_KV_HEADS: "SmolLM2 has 9 query heads but"
            " only 3 key/value heads (grouped-query attention): the cache holds the key/value"
            " heads.",
            fp32 * SMOLLM2_WIDTH // SMOLLM2_HEAD_SIZE: "the head size is 64 (576 numbers"
            " shared by 9 heads), not the model's width 576.",
            fp32 * 8: "that is in bits: a byte has 8 of them.",
        },
    )
    whole(
        answer[1],
        fp32 // 2,
        "the bf16 cache",
        hints={
            fp32: "a bf16 number takes 2 bytes, half of fp32's 4.",
            fp32 // 4: "bf16 has 16 bits, that is 2 bytes per number, not 1.",
        },
    )


@exercise("lab7.same-answers", "a letter: the one setting that makes the answers identical")
def same_answers(answer: Any) -> None:
    choice(
        answer,
        "c",
        {
            "a": "a lower temperature sharpens the distribution, but the token is still drawn"
            " from it: two draws can still differ (Sections 2 and 7).",
            "b": "top-p removes the unlikely tail, but the token is still drawn at random"
            " among the ones it keeps (Section 4).",
            "d": "a repetition penalty lowers the logits of tokens already written; the next"
            " token is still drawn at random (Section 5).",
        },
    )


@exercise("lab7.speculative-k", "a dict {k: passes of the target} for k = 1, 2, 4 and 8")
def speculative_k(answer: Any) -> None:
    if not isinstance(answer, dict) or set(answer) != set(SPECULATIVE_KS):
        raise NotYet(
            "pass a dict with the keys 1, 2, 4 and 8 and, for each k, the passes of the"
            " target (stats.target_passes)."
        )
    passes = {}
    for k in SPECULATIVE_KS:
        value = number(answer[k], f"the target passes for k={k}")
        if value != int(value):
            raise NotYet(
                "a number of passes is a whole number: pass stats.target_passes, not the"
                " characters per pass or the acceptance rate."
            )
        passes[k] = int(value)
    if len(set(passes.values())) == 1:
        raise NotYet(
            "all four counts are the same: give each call its own k"
            " (speculative_generate(..., k=k, ...))."
        )
    if any(value > SPECULATIVE_CHARACTERS for value in passes.values()):
        raise NotYet(
            "the target never needs more passes than the 200 characters it writes: did you"
            " pass the draft's passes (stats.proposed) instead of the target's?"
        )
    for k, value in passes.items():
        if value * (k + 1) < SPECULATIVE_CHARACTERS:
            raise NotYet(
                f"a pass of the target adds at most k + 1 characters, so with k={k} the 200"
                " characters need more passes than that: pass stats.target_passes."
            )
    largest = max(SPECULATIVE_KS)
    if any(passes[largest] >= passes[k] for k in SPECULATIVE_KS if k != largest):
        raise NotYet(
            "with a larger k, one pass of the target can keep more of the draft's characters:"
            " check that each row of your table comes from a run with its own k and the same"
            " prompt and settings (greedy_200, window='halve')."
        )
