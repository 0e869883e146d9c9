"""Checks for the exercises of Lab 6 (Chapter 6)."""

from __future__ import annotations

import math
from typing import Any

from gentle_llm.exercises.core import choice, exercise, near, pair

LOSS_PER_TOKEN = 2.9  # nats per token, Exercise 1
BYTES_PER_TOKEN = 4.2
LLAMA_65B = 65_285_660_672  # parameter_count of LLaMA-65B's configuration
LLAMA_TOKENS = 1.4e12
TOKENS_PER_SECOND_PER_GPU = 380
GPUS = 2048
A100_PEAK = 312e12  # 16-bit operations per second
SECTION_6_BUDGET = 4e11
BIG_BUDGET = 100 * SECTION_6_BUDGET
TOKENS_PER_PARAMETER = 20  # the Chinchilla rule


def _close(target: float, rel: float = 0.03) -> Any:
    """A test for ``near``'s hints: is the learner's value within ``rel`` of ``target``?"""
    return lambda value: math.isclose(value, target, rel_tol=rel)


@exercise("lab6.bits-per-byte", "the model's bits per byte, a number")
def bits_per_byte(answer: Any) -> None:
    nats_per_byte = LOSS_PER_TOKEN / BYTES_PER_TOKEN
    near(
        answer,
        nats_per_byte / math.log(2),
        "the bits per byte",
        rel=0.02,
        hints={
            "that is bits per token: divide by the bytes per token as well, so that models"
            " with different tokenizers are measured per byte of the same text (Section 5).": (
                _close(LOSS_PER_TOKEN / math.log(2))
            ),
            "that is nats per byte: a loss is in nats, and dividing by ln 2 turns nats into"
            " bits (Section 5).": _close(nats_per_byte),
            "a token holds 4.2 bytes, so the cost per byte is the cost per token divided by"
            " 4.2, not multiplied.": _close(LOSS_PER_TOKEN * BYTES_PER_TOKEN / math.log(2)),
            "to turn nats into bits, divide by ln 2 (one bit is ln 2 nats), do not multiply.": (
                _close(nats_per_byte * math.log(2))
            ),
        },
    )


@exercise("lab6.llama-speed", "a pair: (days for 1.4 trillion tokens, fraction of the peak)")
def llama_speed(answer: Any) -> None:
    days, fraction = pair(
        answer, "pass a pair: (the number of days, the fraction of the A100's peak)."
    )
    seconds = LLAMA_TOKENS / (TOKENS_PER_SECOND_PER_GPU * GPUS)
    near(
        days,
        seconds / 86_400,
        "the number of days",
        rel=0.03,
        hints={
            "that is in hours: a day has 24 of them.": _close(seconds / 3_600),
            "that is in seconds: a day has 86,400 of them.": _close(seconds),
            "the 2,048 GPUs work at the same time, each at 380 tokens per second: divide the"
            " tokens by the speed of all of them together.": _close(
                LLAMA_TOKENS / TOKENS_PER_SECOND_PER_GPU / 86_400
            ),
        },
    )
    per_gpu = 6 * LLAMA_65B * TOKENS_PER_SECOND_PER_GPU
    near(
        fraction,
        per_gpu / A100_PEAK,
        "the fraction of the peak",
        rel=0.03,
        hints={
            "pass the fraction (between 0 and 1), not a percentage.": _close(
                100 * per_gpu / A100_PEAK
            ),
            "a token costs about 6N operations in training: 2N for the forward pass and 4N"
            " for the backward pass (Section 6), not 2N.": _close(per_gpu / 3 / A100_PEAK),
            "that is the operations per second of one GPU: divide it by the peak, 312 T.": (
                _close(per_gpu)
            ),
            "that counts the operations of all 2,048 GPUs: the peak of 312 T is for one GPU,"
            " and each GPU reads 380 tokens per second.": _close(GPUS * per_gpu / A100_PEAK),
        },
    )


@exercise("lab6.chinchilla-size", "the number of parameters the rule picks for 4e13, a number")
def chinchilla_size(answer: Any) -> None:
    # D = 20 N, so C = 6 N D = 120 N^2
    per_square = 6 * TOKENS_PER_PARAMETER
    near(
        answer,
        math.sqrt(BIG_BUDGET / per_square),
        "the number of parameters",
        rel=0.05,
        hints={
            "that is the size for Section 6's budget of 4e11; this budget is 100 times"
            " larger.": _close(math.sqrt(SECTION_6_BUDGET / per_square), 0.05),
            "the compute grows as the square of N when D = 20N, so 100 times the budget gives"
            " 10 times the parameters, not 100 times.": _close(
                100 * math.sqrt(SECTION_6_BUDGET / per_square), 0.05
            ),
            "that is N squared: with D = 20N the budget is C = 120 N^2, so take the square"
            " root.": _close(BIG_BUDGET / per_square, 0.05),
            "put D = 20N into C = 6ND: the 20 tokens per parameter are missing.": _close(
                math.sqrt(BIG_BUDGET / 6), 0.05
            ),
        },
    )


@exercise("lab6.narrow-widths", "a letter: what you found with the widths [24, 32, 48]")
def narrow_widths(answer: Any) -> None:
    run = " Run Section 6's cell with the widths [24, 32, 48] and compare the last column."
    choice(
        answer,
        "b",
        {
            "a": "compare width 24's final loss with width 48's, not only with width 32's:"
            " which of the two is lower?" + run,
            "c": "compare each narrow width's final loss with width 48's: is either of them"
            " above it?" + run,
        },
    )
