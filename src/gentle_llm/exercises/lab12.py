"""Checks for the exercises of Lab 12, the landscape of models (Chapter 12)."""

from __future__ import annotations

from typing import Any

from gentle_llm.exercises.core import NotYet, choice, exercise, pair, whole

WIDEST_34_49 = "MPT-30B-chat"
FEWEST_VOTES_34_49 = "Qwen1.5-7B-Chat"  # also the widest "minus", but not the widest interval
ZERO_WIDTH = "Mixtral-8x7b-Instruct-v0.1"

# Llama 3 70B's wins: (on all rows, on the rows with the same stated settings).
LLAMA3_WINS = {"gemini": (3, 2), "claude": (5, 3)}

# Open-weights models without a non-commercial licence, per table.
COMMERCIAL_OPEN = {"later": 2, "april": 0, "ranks_16_25": 7, "ranks_34_49": 12}
WITH_NC = {"later": 3, "april": 1, "ranks_16_25": 7, "ranks_34_49": 14}
APACHE_MIT_ONLY = {"later": 0, "april": 0, "ranks_16_25": 2, "ranks_34_49": 4}


def _model_name(answer: Any, what: str) -> str:
    """A model's name from a string or a row of the tables (a dict with a "model" key)."""
    if isinstance(answer, dict) and "model" in answer:
        answer = answer["model"]
    if not isinstance(answer, str):
        raise NotYet(f"pass {what} as its name, a string such as 'Zephyr-7b-beta'.")
    return answer.strip().lower()


@exercise("lab12.interval-widths", "a pair: (widest model in ranks_34_49, zero-width model)")
def interval_widths(answer: Any) -> None:
    pair(
        answer,
        "pass a pair: (the model with the widest interval in ranks_34_49,"
        " the model whose interval has zero width).",
    )
    widest = _model_name(answer[0], "the model with the widest interval")
    zero = _model_name(answer[1], "the model with the zero-width interval")
    if widest == FEWEST_VOTES_34_49.lower():
        raise NotYet(
            "that model has the fewest votes and the largest 'minus', but an interval's width"
            " is plus + minus: compare that sum."
        )
    if widest != WIDEST_34_49.lower():
        raise NotYet(
            "that is not the widest interval of ranks_34_49: take the row with the largest"
            " plus + minus in that table."
        )
    if zero != ZERO_WIDTH.lower():
        raise NotYet(
            "that model's interval is not of zero width: look in ranks_16_25 for the row whose"
            " plus and minus are both 0."
        )


def _wins_against(answer: dict, rival: str) -> tuple[Any, Any]:
    keys = [key for key in answer if rival in str(key).lower()]
    if len(keys) != 1:
        raise NotYet(
            "pass a dict with one key per competitor, 'Gemini Pro 1.5' and 'Claude 3 Sonnet',"
            " each giving a pair (wins on all rows, wins on same-setting rows)."
        )
    return pair(
        answer[keys[0]],
        f"for {keys[0]!r}, pass a pair: (Llama 3 70B's wins on all rows, its wins on the"
        " rows with the same stated settings).",
    )


@exercise(
    "lab12.llama3-wins",
    "a dict {competitor: (wins on all rows, wins on same-setting rows)}",
)
def llama3_wins(answer: Any) -> None:
    if not isinstance(answer, dict):
        raise NotYet(
            "pass a dict {'Gemini Pro 1.5': (wins, wins), 'Claude 3 Sonnet': (wins, wins)}:"
            " Llama 3 70B's wins on all rows, then on the rows with the same stated settings."
        )
    for rival, (right_all, right_same) in LLAMA3_WINS.items():
        wins_all, wins_same = _wins_against(answer, rival)
        name = "Gemini Pro 1.5" if rival == "gemini" else "Claude 3 Sonnet"
        whole(wins_all, right_all, f"Llama 3 70B's wins against {name} on all rows")
        if wins_same == wins_all and right_same != right_all:
            raise NotYet(
                f"against {name}, your same-settings count equals the all-rows count. A"
                " published number that carries a note (a pair: score, setting) used another"
                " setting than Llama's: leave those rows out."
            )
        whole(
            wins_same,
            right_same,
            f"Llama 3 70B's wins against {name} on the same-setting rows",
        )


@exercise("lab12.cross-table", "the letter of the reason to be careful")
def cross_table(answer: Any) -> None:
    choice(
        answer,
        "b",
        {
            "a": "the summary says 'almost as good', and half a point on MMLU is close. The"
            " caution is about how the two numbers were obtained (Section 4).",
            "c": "MMLU's thousands of multiple-choice questions measure broad knowledge"
            " (Chapter 10); the question is whether these two numbers measure it the same way.",
        },
    )


def _count(value: Any) -> Any:
    """A number of models, from the number itself or the list of them."""
    return len(value) if isinstance(value, list | tuple) else value


@exercise(
    "lab12.commercial-open",
    "a dict {table name: number of usable models (or their list)} for the four tables",
)
def commercial_open(answer: Any) -> None:
    if not isinstance(answer, dict) or set(answer) != set(COMMERCIAL_OPEN):
        raise NotYet(
            "pass a dict with one entry per table of `arena` ('later', 'april', 'ranks_16_25',"
            " 'ranks_34_49'): the number of usable models, or their list."
        )
    counts = {table: _count(value) for table, value in answer.items()}
    if counts == WITH_NC:
        raise NotYet(
            "a licence with 'NC' (such as CC-BY-NC-4.0) allows non-commercial use only:"
            " leave those models out too."
        )
    if counts == APACHE_MIT_ONLY:
        raise NotYet(
            "you kept only Apache-2.0 and MIT. The exercise rules out proprietary models and"
            " 'NC' licences; the makers' own licences (Llama, Qwen, Gemma, ...) stay in."
        )
    for table, expected in COMMERCIAL_OPEN.items():
        whole(counts[table], expected, f"the number of usable models in {table!r}")
