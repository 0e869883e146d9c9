"""Lab 7: answers each check must refuse (with a fragment of its message) or accept."""

import torch


def min_p_filter(probs, min_p):
    kept = torch.where(probs >= min_p * probs.max(), probs, 0.0)
    return kept / kept.sum()


def not_renormalised(probs, min_p):
    return torch.where(probs >= min_p * probs.max(), probs, 0.0)


def absolute_threshold(probs, min_p):
    kept = torch.where(probs >= min_p, probs, 0.0)
    return kept / kept.sum()


def strictly_above(probs, min_p):
    kept = torch.where(probs > min_p * probs.max(), probs, 0.0)
    return kept / kept.sum()


def minus_infinity(probs, min_p):
    return probs.masked_fill(probs < min_p * probs.max(), float("-inf"))


def renormalised_by_max(probs, min_p):
    kept = torch.where(probs >= min_p * probs.max(), probs, 0.0)
    return kept / kept.max()


def token_count(probs, min_p):
    return int((probs >= min_p * probs.max()).sum())


def crashes(probs, min_p):
    return probs.topk(min_p)


FULL_FP32 = 2 * 30 * 3 * 64 * 4 * 8192
PASSES = {1: 120, 2: 101, 4: 84, 8: 71}

WRONG = [
    ("lab7.min-p", not_renormalised, "renormalise"),
    ("lab7.min-p", absolute_threshold, "min_p is relative"),
    ("lab7.min-p", strictly_above, "always at least min_p times"),
    ("lab7.min-p", minus_infinity, "not -inf"),
    ("lab7.min-p", renormalised_by_max, "do not add up to 1"),
    ("lab7.min-p", token_count, "should return a tensor"),
    ("lab7.min-p", crashes, "raised TypeError"),
    ("lab7.min-p", min_p_filter(torch.tensor([0.6, 0.4]), 0.1), "the function, without"),
    ("lab7.kv-full-context", FULL_FP32, "pass a pair"),
    ("lab7.kv-full-context", (FULL_FP32 / 1e6, FULL_FP32 / 2e6), "not in megabytes"),
    ("lab7.kv-full-context", (FULL_FP32 // 2, FULL_FP32 // 4), "a key and a value"),
    ("lab7.kv-full-context", (FULL_FP32 * 3, FULL_FP32 * 3 // 2), "key/value heads"),
    ("lab7.kv-full-context", (FULL_FP32 * 9, FULL_FP32 * 9 // 2), "head size is 64"),
    ("lab7.kv-full-context", (FULL_FP32, FULL_FP32), "2 bytes, half"),
    ("lab7.kv-full-context", (FULL_FP32, FULL_FP32 // 4), "not 1"),
    ("lab7.same-answers", "a", "still drawn"),
    ("lab7.same-answers", "b", "still drawn"),
    ("lab7.same-answers", "d", "Section 5"),
    ("lab7.speculative-k", [120, 101, 84, 71], "keys 1, 2, 4 and 8"),
    ("lab7.speculative-k", {1: 117, 2: 192, 4: 322, 8: 500}, "stats.proposed"),
    ("lab7.speculative-k", {1: 1.67, 2: 1.98, 4: 2.38, 8: 2.82}, "whole number"),
    ("lab7.speculative-k", {1: 84, 2: 84, 4: 84, 8: 84}, "its own k"),
    ("lab7.speculative-k", {1: 120, 2: 101, 4: 30, 8: 71}, "at most k + 1"),
    ("lab7.speculative-k", {1: 120, 2: 101, 4: 71, 8: 84}, "its own k and the same"),
]

RIGHT = [
    ("lab7.min-p", min_p_filter),
    ("lab7.kv-full-context", (FULL_FP32, FULL_FP32 // 2)),
    ("lab7.kv-full-context", (377_487_360, 188_743_680.0)),
    ("lab7.same-answers", "c"),
    ("lab7.speculative-k", PASSES),
    ("lab7.speculative-k", {1: 118, 2: 99, 4: 86, 8: 73}),
]
