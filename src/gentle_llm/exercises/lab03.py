"""Checks for the exercises of Lab 3 (Chapter 3)."""

from __future__ import annotations

import math
import re
from typing import Any

from gentle_llm.exercises.core import NotYet, choice, exercise, near

ANALOGY_WORDS = (" king", " man", " woman")


@exercise("lab3.monday-neighbours", "one letter, 'a' to 'c'")
def monday_neighbours(answer: Any) -> None:
    choice(
        answer,
        "b",
        {
            "a": "print the two lists side by side: are the tokens the same, with or without"
            " their leading space?",
            "c": 'look again at the neighbours of "Monday" without the space: what kind of'
            " words are they?",
        },
    )


@exercise("lab3.word-arithmetic", "the token closest to king - man + woman, a str")
def word_arithmetic(answer: Any) -> None:
    if not isinstance(answer, str):
        raise NotYet(
            "pass the closest token as a string, as tokenizer.decode gives it (with its"
            " leading space)."
        )
    if answer in ANALOGY_WORDS or answer.strip() in {w.strip() for w in ANALOGY_WORDS}:
        raise NotYet(
            "that is one of the three words you used: set their scores to -1 before you take"
            " the top 5, as the exercise asks."
        )
    if answer.strip() != "queen":
        raise NotYet(
            "that is not the row with the highest cosine similarity to king - man + woman:"
            ' compute the target from the rows of " king", " man" and " woman" (with their'
            " spaces) and compare it with all rows by cosine_similarity(target, E)."
        )


@exercise("lab3.pca-axis", "one letter, 'a' to 'c'")
def pca_axis(answer: Any) -> None:
    choice(
        answer,
        "b",
        {
            "a": "on the first coordinate, both groups have words on either side of zero:"
            " compare the signs of the verbs and of the animals, coordinate by coordinate.",
            "c": "compare the signs of the verbs and of the animals, coordinate by coordinate:"
            " on one of the two, nearly every verb lies on one side of zero and nearly every"
            " animal on the other.",
        },
    )


def _words(sentence: str) -> set[str]:
    return set(re.findall(r"[a-z0-9']+", sentence.lower()))


@exercise(
    "lab3.break-search",
    "a triple: (your query, a sentence sharing its words, a sentence sharing its meaning)",
)
def break_search(answer: Any) -> None:
    if (
        not isinstance(answer, tuple | list)
        or len(answer) != 3
        or not all(isinstance(s, str) and s.strip() for s in answer)
    ):
        raise NotYet(
            "pass three strings: (your query, the sentence that shares its words,"
            " the sentence that shares its meaning)."
        )
    query, same_words, same_meaning = (_words(s) for s in answer)
    if len(query & same_words) < 3:
        raise NotYet(
            "the sentence that shares words should share at least three words with the query"
            " (the same spelling), while meaning something else."
        )
    if query & same_meaning:
        raise NotYet(
            "the sentence that means the same should share no word at all with the query,"
            ' not even small ones like "the" or "be": say it with other words.'
        )


@exercise("lab3.rope-turn", "after how many positions the 1-radian pair comes back, a number")
def rope_turn(answer: Any) -> None:
    near(
        answer,
        2 * math.pi,
        "the number of positions",
        rel=0.0,
        abs_tol=0.35,
        hints={
            "the pair turns 1 radian per position, not 1 degree: how many radians make a"
            " full turn?": lambda v: abs(v - 360) < 1,
            "that is half a turn, where the vector points the opposite way: it comes back"
            " after a full turn.": lambda v: abs(v - math.pi) < 0.35,
            "that is two full turns: it is already back after the first.": lambda v: (
                abs(v - 4 * math.pi) < 0.7
            ),
            "at position 7 the pair has already turned past its start (see the plot): how"
            " many radians make a full turn?": lambda v: abs(v - 7) < 0.3,
        },
    )


@exercise("lab3.positions-order", "the result of your comparison, True or False")
def positions_order(answer: Any) -> None:
    if hasattr(answer, "item") and callable(answer.item):
        answer = answer.item()
    if not isinstance(answer, bool):
        raise NotYet(
            "pass the result of torch.allclose(...) itself, True or False, not"
            f" a {type(answer).__name__}."
        )
    if answer:
        raise NotYet(
            "with positions the two should differ. Add the positions after shuffling:"
            " tiny_attention(x[shuffle] + pe), not (x + pe)[shuffle], which moves each"
            " position along with its token (positions belong to places)."
        )
