"""Checks for the exercises of Lab 9 (Chapter 9)."""

from __future__ import annotations

import math
from typing import Any

from gentle_llm.deploy import DEVICES, PUBLISHED, kv_cache_bytes, weight_bytes
from gentle_llm.exercises.core import NotYet, choice, count, exercise, number, pair, whole

N_REVIEWS = 8
GPU_BYTES = DEVICES["24 GB GPU"]
GROUP_SIZES = (128, 64, 32, 16)
SCALE_BITS = 16  # one float16 scale per group


@exercise("lab9.calibration", "a pair: (reviews right without calibration, with it), of 8")
def calibration(answer: Any) -> None:
    pair(
        answer,
        "pass a pair of counts out of 8: (right with the larger label probability, right"
        " after calibration).",
    )
    raw = count(answer[0], "the count without calibration", N_REVIEWS)
    calibrated = count(answer[1], "the count with calibration", N_REVIEWS)
    if calibrated <= raw:
        raise NotYet(
            "calibration should get more reviews right than the raw probabilities here, since"
            " the model leans towards 'positive': average the two label probabilities over the"
            " three content-free reviews, then divide each review's probabilities by that"
            " lean (not multiply) before picking the larger."
        )


def _conversations(weights: float, per_conversation: float, gpu: float = GPU_BYTES) -> int:
    return math.floor((gpu - weights) / per_conversation)


@exercise("lab9.cache-conversations", "a pair: (conversations for Llama 3 8B, for Llama 2 7B)")
def cache_conversations(answer: Any) -> None:
    pair(answer, "pass a pair of whole numbers: (Llama 3 8B's conversations, Llama 2 7B's).")
    # Chapter 9's calculator: int4 weights at 4.5 bits each, a 16-bit cache.
    llama3_shape, llama2_shape = PUBLISHED["Llama 3 8B"], PUBLISHED["Llama 2 7B"]
    llama3_weights = weight_bytes(llama3_shape.parameters, "int4")
    llama2_weights = weight_bytes(llama2_shape.parameters, "int4")
    llama3_cache = kv_cache_bytes(llama3_shape, 8_192)
    llama2_cache = kv_cache_bytes(llama2_shape, 4_096)
    llama3, llama2 = (
        _conversations(llama3_weights, llama3_cache),
        _conversations(llama2_weights, llama2_cache),
    )
    if tuple(answer) == (llama2, llama3):
        raise NotYet("the pair goes (Llama 3 8B, Llama 2 7B): yours looks the other way round.")
    rounding = (
        "round down: a conversation either fits whole or not, and a 24 GB GPU holds"
        " 24 × 10^9 bytes (not 24 × 2^30)."
    )
    no_weights = "the int4 weights take part of the 24 GB: the cache gets only what is left."
    precision = (
        "check the bytes: int4 weights take 4.5 bits each (a float16 scale per 32 weights) and"
        " a 16-bit cache 2 bytes per number."
    )
    whole(
        answer[0],
        llama3,
        "the number of Llama 3 8B conversations",
        hints={
            llama3 + 1: rounding,
            _conversations(0, llama3_cache): no_weights,
            _conversations(llama3_weights, 4 * llama3_cache): "Llama 3 8B has 8 key/value heads"
            " for its 32 query heads (grouped-query attention): its cache holds 8.",
            _conversations(llama3_weights, 2 * llama3_cache): precision,
        },
    )
    whole(
        answer[1],
        llama2,
        "the number of Llama 2 7B conversations",
        hints={
            llama2 + 1: rounding,
            _conversations(0, llama2_cache): no_weights,
            _conversations(llama2_weights, 2 * llama2_cache): precision,
        },
    )


@exercise("lab9.group-size", "a dict {group size: (bits per weight, validation loss)}")
def group_size(answer: Any) -> None:
    if not isinstance(answer, dict) or set(answer) != set(GROUP_SIZES):
        raise NotYet(
            "pass a dict with the keys 128, 64, 32 and 16 and, for each, the pair (bits per"
            " weight, validation loss)."
        )
    bits, losses = {}, {}
    for group in GROUP_SIZES:
        row = pair(answer[group], f"for groups of {group}, pass a pair: (bits per weight, loss).")
        bits[group] = number(row[0], f"the bits per weight for groups of {group}")
        losses[group] = number(row[1], f"the validation loss for groups of {group}")
    for group in GROUP_SIZES:
        if math.isclose(bits[group], 4 + SCALE_BITS / group, abs_tol=0.01):
            continue
        if math.isclose(bits[group], 4, abs_tol=0.01):
            raise NotYet(
                "the scales take room too: each group of weights stores one float16 scale"
                " (report.bits_per_weight counts it)."
            )
        if math.isclose(bits[group], 4 + 32 / group, abs_tol=0.01):
            raise NotYet("the scales are float16, 16 bits each, not 32.")
        raise NotYet(
            f"the bits per weight for groups of {group} are off: 4 bits for each weight, plus"
            " one float16 scale shared by the group (report.bits_per_weight)."
        )
    if any(not 0 < loss < 10 for loss in losses.values()):
        raise NotYet("pass the validation loss in nats per character, as evaluate_full gives it.")
    if len(set(losses.values())) == 1:
        raise NotYet(
            "all four losses are the same: quantise a fresh copy of the tiny GPT"
            " (copy.deepcopy(gpt)) for each group size, and evaluate that copy."
        )
    if losses[min(GROUP_SIZES)] >= losses[max(GROUP_SIZES)]:
        raise NotYet(
            "groups of 16 round the weights more finely than groups of 128, so they should"
            " cost less loss: quantise a fresh copy of the float model for each group size"
            " (copy.deepcopy(gpt)), not the same model again and again."
        )


@exercise("lab9.eval-unsafe", "a letter: why eval is unsafe even with your own model")
def eval_unsafe(answer: Any) -> None:
    choice(
        answer,
        "b",
        {
            "a": "speed is not the danger: think about what eval does with text that is not"
            " arithmetic (look at what calculate refused in Section 3).",
            "c": "eval computes arithmetic as Python does, just like calculate; the danger is"
            " in what else it runs (look at what calculate refused in Section 3).",
        },
    )
