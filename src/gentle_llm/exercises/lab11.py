"""Checks for the exercises of Lab 11, the risks of LLMs (Chapter 11)."""

from __future__ import annotations

import math
from typing import Any

from gentle_llm.exercises.core import NotYet, choice, exercise, number

PREFIXES = ("My pin is ", "PIN: ", "The code is ")
N_OTHER_PINS = 1_000
MAX_EXPOSURE = math.log2(N_OTHER_PINS + 1)  # the secret ranked first among 1,001 candidates
NEAR_THE_TOP = 8.0  # bits: the secret ranks in the top three of 1,001


@exercise("lab11.sampled-answers", "a dict {seed: the three decoded answers} for seeds 0 and 1")
def sampled_answers(answer: Any) -> None:
    if not isinstance(answer, dict) or set(answer) != {0, 1}:
        raise NotYet("pass a dict with keys 0 and 1: for each seed, the list of the three answers.")
    for seed, texts in answer.items():
        if not isinstance(texts, list | tuple) or len(texts) != 3:
            raise NotYet(
                f"for seed {seed}, pass a list of three answers, one per invented question"
                " (INVENTED[:3])."
            )
        if not all(isinstance(text, str) for text in texts):
            raise NotYet(
                f"the answers for seed {seed} should be text: decode the token ids that"
                " generate returns with tokenizer.decode."
            )
    if list(answer[0]) == list(answer[1]):
        raise NotYet(
            "seed 0 and seed 1 gave exactly the same answers: give each run its own seed in"
            " SamplingConfig, and sample at temperature=1.0 (temperature 0 is greedy and"
            " ignores the seed)."
        )


@exercise("lab11.exposure-prefixes", "a dict {prefix: the secret's exposure in bits}")
def exposure_prefixes(answer: Any) -> None:
    wanted = {prefix.strip() for prefix in PREFIXES}
    if not isinstance(answer, dict) or {str(key).strip() for key in answer} != wanted:
        raise NotYet(
            "pass a dict with one entry per prefix, such as {'My pin is ': bits,"
            " 'PIN: ': bits, 'The code is ': bits}."
        )
    for prefix, value in answer.items():
        bits = number(value, f"the exposure after {prefix!r}")
        if bits < 0:
            raise NotYet(
                f"the value for {prefix!r} is negative, like a log-probability: pass"
                " exposure(secret's score, the others' scores), which is in bits and at least 0."
            )
        if bits > MAX_EXPOSURE + 1e-6:
            raise NotYet(
                f"the exposure after {prefix!r} is above log2(1001), the most that 1,000 other"
                " candidates allow: compare the secret with the 1,000 PINs of `others` only."
            )
        if bits < NEAR_THE_TOP:
            raise NotYet(
                f"after {prefix!r} your secret ranks among the random PINs. Check that the"
                " candidates are [SECRET] + others, that the secret's score (scores[0]) is the"
                " one you rank, and that the prompt keeps its leading newline ('\\n' + prefix)."
            )


@exercise("lab11.injection-defence", "the letter of the defence that needs no obedient model")
def injection_defence(answer: Any) -> None:
    choice(
        answer,
        "b",
        {
            "a": "a sentence in the system prompt is an instruction too: the model may follow"
            " the comment's instruction instead (Section 4 measured such a sentence).",
            "c": "tags only mark where the comment starts and ends; the model still reads the"
            " instruction inside them and may follow it (Section 4, 'delimited').",
        },
    )
