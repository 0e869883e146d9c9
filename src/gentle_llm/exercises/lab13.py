"""Checks for the exercises of Lab 13, reasoning (Chapter 13).

The tiny GPT trains on the learner's CPU, so its counts differ from machine to machine (runs
with other seeds and on another CPU gave 97 to 136 right sampled answers after 300 GRPO steps,
47 to 63 before them). The checks test what every healthy run shows, never an exact count.
"""

from __future__ import annotations

from typing import Any

from gentle_llm.exercises.core import NotYet, choice, count, exercise, number, pair

N_TEST = 300
# Sampled right answers of 300: the pre-trained model gets about 50-60, GRPO lifts it to
# about 100-135 with any beta; below this, the policy did not learn.
TRAINED_SAMPLED = 70
# With the patched reward, answers end after 2-3 characters; padded ones fill all 8.
PADDED_LENGTH = 4.0
# A padding policy gets almost no sum right (3 of 300 in Section 5); the patched one ~100.
COLLAPSED = 50


@exercise(
    "lab13.kl-penalty",
    "a dict {beta: (greedy right answers, sampled right answers)} for beta 0.0 and 0.5",
)
def kl_penalty(answer: Any) -> None:
    if not isinstance(answer, dict) or set(answer) != {0.0, 0.5}:
        raise NotYet(
            "pass a dict with keys 0.0 and 0.5: for each beta, the pair (greedy right answers,"
            " sampled right answers) of the 300 test sums after training."
        )
    counts = {}
    for beta, counted in answer.items():
        greedy, sampled = pair(
            counted, f"for beta={beta}, pass a pair: (greedy right answers, sampled right answers)."
        )
        greedy = count(greedy, f"the greedy count for beta={beta}", N_TEST)
        sampled = count(sampled, f"the sampled count for beta={beta}", N_TEST)
        counts[beta] = (greedy, sampled)
    if counts[0.0] == counts[0.5]:
        raise NotYet(
            "both betas gave exactly the same counts, as if beta changed nothing: check that"
            " train passes beta to GRPOConfig(beta=beta)."
        )
    for beta, (_, sampled) in counts.items():
        if sampled < TRAINED_SAMPLED:
            raise NotYet(
                f"with beta={beta} the sampled count is no better than the model before"
                " training: did each of the 300 steps call trainer.step on a batch of"
                " training sums?"
            )


@exercise(
    "lab13.patched-reward",
    "a pair: (answer length at the end in characters, sampled right answers of 300)",
)
def patched_reward(answer: Any) -> None:
    pair(
        answer,
        "pass a pair: (the answer length at the end, history[-1]['length'], and the"
        " sampled right answers of the 300 test sums).",
    )
    length = number(answer[0], "the answer length")
    sampled = count(answer[1], "the sampled count", N_TEST)
    if length >= PADDED_LENGTH:
        raise NotYet(
            "the policy still pads its answers: the length bonus must be paid only to right"
            " answers, right * (0.5 + len(text) / 16), not added to every answer."
        )
    if sampled < COLLAPSED:
        raise NotYet(
            "almost no sums are right, as with the loophole of Section 5: train with the"
            " patched reward, and count the sampled answers with max_new_tokens=8."
        )


@exercise("lab13.new-ability", "the letter of the measurement that tells")
def new_ability(answer: Any) -> None:
    choice(
        answer,
        "b",
        {
            "a": "greedy accuracy shows which answer is on top. If training only made an"
            " answer the model could already give its first choice, greedy accuracy rises"
            " too (Section 4).",
            "c": "the reward is the share of sampled answers that are right: it rises when the"
            " model concentrates on answers it already gave sometimes (Section 4).",
        },
    )
