"""Checks for the exercises of Lab 10, evaluating LLMs (Chapter 10)."""

from __future__ import annotations

import math
from typing import Any

from gentle_llm.exercises.core import NotYet, choice, exercise, near, number, pair, whole
from gentle_llm.ratings import win_probability

QUESTIONS_FOR_10_POINTS = 320  # the smallest n whose Wilson interval around 70 % is <= 0.10 wide
WALD_QUESTIONS = 323  # the same with the textbook interval p +- 1.96 sqrt(p (1 - p) / n)

# Atlas against Gale in the lab's 4,000 simulated votes (simulate_battles(TRUE, 4000, seed=0)).
ATLAS_BEAT_GALE, GALE_BEAT_ATLAS = 116, 32
ATLAS_ALL_WINS_SHARE = 0.668  # Atlas's wins over every opponent, as a share of its games
FITTED_GAP = 191.6  # Atlas minus Gale, fit_ratings(..., seed=0)
TRUE_GAP = 1250 - 1040


TOO_WIDE = (
    "that interval is 20 points wide (±10): ±5 points is a width (high - low) of at most 0.10."
)
TOO_NARROW = (
    "that interval is 5 points wide (±2.5): ±5 points is a width (high - low) of at most 0.10,"
    " not a half-width of 0.05."
)


@exercise("lab10.questions-needed", "the smallest number of questions, a whole number")
def questions_needed(answer: Any) -> None:
    whole(
        answer,
        QUESTIONS_FOR_10_POINTS,
        "the number of questions",
        hints={
            WALD_QUESTIONS: "that is the count for the textbook interval p ± 1.96·sqrt(p(1-p)/n);"
            " the exercise asks for the Wilson interval: use wilson_interval.",
            # The loop in steps of 10, or of 1, with the wrong width.
            80: TOO_WIDE,
            78: TOO_WIDE,
            1290: TOO_NARROW,
            1288: TOO_NARROW,
        },
    )


@exercise("lab10.atlas-vs-gale", "a pair: (predicted share, observed share), each between 0 and 1")
def atlas_vs_gale(answer: Any) -> None:
    pair(answer, "pass a pair: (the predicted share, the observed share).")
    predicted = number(answer[0], "the predicted share")
    observed = number(answer[1], "the observed share")
    expected_observed = ATLAS_BEAT_GALE / (ATLAS_BEAT_GALE + GALE_BEAT_ATLAS)
    expected_predicted = win_probability(FITTED_GAP)
    if math.isclose(predicted, expected_observed, abs_tol=0.002) and math.isclose(
        observed, expected_predicted, rel_tol=0.015
    ):
        raise NotYet("the two shares are swapped: the prediction comes first, then the votes.")
    if predicted > 1 or observed > 1:
        raise NotYet("pass shares between 0 and 1 (0.5 is half the votes), not percentages.")
    near(
        predicted,
        expected_predicted,
        "the predicted share",
        rel=0.015,
        hints={
            "that is Gale's share: the rating gap is Atlas's minus Gale's, so Atlas, the"
            " stronger model, should win more than half.": lambda v: v < 0.5,
            "that prediction uses the true ratings (TRUE); the exercise asks what the fitted"
            " ratings (ratings.elo) predict.": lambda v: abs(v - win_probability(TRUE_GAP)) < 0.005,
            "the Elo scale uses powers of 10: 1 / (1 + 10^(-gap/400)), not"
            " e^(-gap/400).": lambda v: abs(v - 1 / (1 + math.exp(-FITTED_GAP / 400))) < 0.01,
        },
    )
    near(
        observed,
        expected_observed,
        "the observed share",
        rel=0.005,
        hints={
            "that is Gale's share of their votes; the exercise asks for Atlas's.": lambda v: (
                v < 0.5
            ),
            "count only the votes between Atlas and Gale: wins[a, g] out of"
            " wins[a, g] + wins[g, a].": lambda v: abs(v - ATLAS_ALL_WINS_SHARE) < 0.01,
        },
    )


@exercise("lab10.contamination-sign", "the letter of the result that points to contamination")
def contamination_sign(answer: Any) -> None:
    choice(
        answer,
        "a",
        {
            "b": "the same score on fresh questions is what a model that really learned the"
            " skill would show. Contamination shows as a gap between questions it may have"
            " read and questions it cannot have read (Section 3).",
            "c": "an interval says how precise a score is, given the number of questions"
            " (Section 2); a contaminated model can score precisely too.",
        },
    )
