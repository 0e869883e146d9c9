"""Tasks with answers a program can check, and the test-time tricks of Chapter 13.

Chapter 13 asks when "thinking out loud" helps and how to spend more compute at answer time.
Everything it measures needs a task whose answers can be checked exactly:

* :func:`word_problems`: short arithmetic stories with one integer answer, for SmolLM2;
* :func:`digit_sums` and :func:`worksheet`: ``3+4+5=12`` lines, the task the tiny GPT first
  learns from a worksheet with mistakes and then improves on by reinforcement learning
  (:mod:`gentle_llm.grpo`);
* :func:`parse_answer`, the answer parser, and :func:`checked_steps`, a verifier that re-does
  every ``a + b = c`` a model wrote down;
* :func:`majority_vote` (self-consistency) and :func:`best_of_n` (a verifier picks one).
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from gentle_llm import checks

__all__ = [
    "Problem",
    "best_of_n",
    "checked_steps",
    "digit_sums",
    "majority_vote",
    "parse_answer",
    "word_problems",
    "worksheet",
]


@dataclass(frozen=True)
class Problem:
    """A question and the one integer that answers it."""

    question: str
    answer: int


# Each story adds or removes twice; the numbers stay small so a 135M model has a chance.
_STORIES = (
    (
        "{name} has {a} apples. {name} buys {b} more and then eats {c}.",
        "+-",
        "How many apples does {name} have now?",
    ),
    (
        "A shelf holds {a} books. {b} books are added and {c} are taken away.",
        "+-",
        "How many books are on the shelf?",
    ),
    (
        "{name} walks {a} km on Monday, {b} km on Tuesday and {c} km on Wednesday.",
        "++",
        "How many km does {name} walk in total?",
    ),
    (
        "A bus carries {a} people. At the first stop {b} get off; at the second {c} get on.",
        "-+",
        "How many people are on the bus?",
    ),
    (
        "{name} had {a} coins, spent {b} and then found {c}.",
        "-+",
        "How many coins does {name} have?",
    ),
    (
        "A box has {a} red pens, {b} blue pens and {c} green pens.",
        "++",
        "How many pens are in the box?",
    ),
)
_NAMES = ("Ana", "Ben", "Chen", "Dara", "Eli", "Fatima", "Goran", "Hana", "Ivo", "Jun")


def word_problems(n: int, seed: int = 0) -> list[Problem]:
    """``n`` two-step arithmetic stories with their answers, the same list for the same seed."""
    checks.whole_number(n, "n (how many problems)")
    rng = random.Random(seed)
    problems = []
    for _ in range(n):
        story, ops, question = rng.choice(_STORIES)
        a = rng.randint(5, 30)
        b = rng.randint(2, 20) if ops[0] == "+" else rng.randint(1, a - 1)
        middle = a + b if ops[0] == "+" else a - b
        c = b
        while c == b:  # "buys 7, eats 7" could be answered by copying the first number
            c = rng.randint(2, 20) if ops[1] == "+" else rng.randint(1, middle - 1)
        answer = middle + c if ops[1] == "+" else middle - c
        name = rng.choice(_NAMES)
        text = f"{story} {question}".format(name=name, a=a, b=b, c=c)
        problems.append(Problem(text, answer))
    return problems


def digit_sums(operands: int = 3) -> list[tuple[int, ...]]:
    """Every tuple of ``operands`` single digits, shuffled the same way every time."""
    checks.whole_number(operands, "operands", maximum=6)
    problems = [()]
    for _ in range(operands):
        problems = [p + (d,) for p in problems for d in range(10)]
    random.Random(13).shuffle(problems)
    return problems


def sum_prompt(digits: Sequence[int]) -> str:
    """The prompt the tiny GPT completes: ``(3, 4, 5)`` → ``'\\n3+4+5='``."""
    return "\n" + "+".join(str(d) for d in digits) + "="


def worksheet(
    problems: Sequence[Sequence[int]], lines: int, error_rate: float, seed: int = 0
) -> str:
    """A practice text of ``lines`` solved sums, a share ``error_rate`` of them answered wrong.

    Wrong answers are off by 1, 2 or 10, as a hurried pupil's are, so the text teaches both the
    sums and the habit of sometimes missing them.
    """
    checks.whole_number(lines, "lines")
    checks.number(error_rate, "error_rate", low=0, high=1)
    if not problems:
        raise ValueError("worksheet needs at least one problem to write lines about.")
    rng = random.Random(seed)
    out = []
    for _ in range(lines):
        digits = rng.choice(problems)
        total = sum(digits)
        if rng.random() < error_rate:
            total = max(0, total + rng.choice((-10, -2, -1, 1, 2, 10)))
        out.append(f"{sum_prompt(digits)[1:]}{total}\n")
    return "".join(out)


_INTEGER = re.compile(r"-?\d[\d,]*")
_MARKED = re.compile(r"answer\s*(?:is|:)?\s*\**\s*(-?\d[\d,]*)", re.IGNORECASE)
_MAX_PARSED = 10_000  # characters: a runaway generation is not read further


def parse_answer(text: str) -> int | None:
    """The integer a model's answer ends on, or None if it gives none.

    "The answer is 12" or "Answer: 12" wins wherever it stands (the last one counts); otherwise
    the last integer in the text. Thousands separators are allowed ("1,200"); a number that
    does not fit an int64 counts as no answer.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_answer reads a model's text (a str), got {type(text).__name__}.")
    text = text[:_MAX_PARSED]
    marked = _MARKED.findall(text)
    found = marked[-1] if marked else (_INTEGER.findall(text) or [None])[-1]
    if found is None:
        return None
    digits = found.replace(",", "")
    if not digits.lstrip("-").isdigit() or len(digits) > 19:
        return None
    value = int(digits)
    return value if abs(value) < 2**63 else None


_NUMBER = r"-?\d{1,18}"
_STEP = re.compile(rf"({_NUMBER}(?:\s*[-+*×x]\s*{_NUMBER})+)\s*=\s*({_NUMBER})(?!\d)")
_FIRST = re.compile(rf"\s*({_NUMBER})")
_NEXT = re.compile(rf"\s*([-+*×x])\s*({_NUMBER})")


def _evaluate(expression: str) -> int:
    """``2 + 3 * 4`` → 14: products first, then sums and differences, left to right."""
    first = _FIRST.match(expression)
    total, sign, product = 0, 1, int(first[1])
    for op, number in _NEXT.findall(expression, first.end()):
        if op in "*×x":
            product *= int(number)
        else:
            total += sign * product
            sign, product = (1 if op == "+" else -1), int(number)
    return total + sign * product


def checked_steps(text: str) -> tuple[int, int]:
    """``(right, written)``: how many written calculations ``a + b - c = d`` (or with ``*``)
    in ``text`` are arithmetically right.

    A verifier that needs no answer key: it re-does the arithmetic a model wrote down.
    """
    if not isinstance(text, str):
        raise TypeError(f"checked_steps reads a model's text (a str), got {type(text).__name__}.")
    right = written = 0
    for expression, result in _STEP.findall(text[:_MAX_PARSED]):
        written += 1
        right += _evaluate(expression) == int(result)
    return right, written


def majority_vote(answers: Sequence[int | None]) -> int | None:
    """Self-consistency: the answer given most often (None votes are ignored).

    A tie goes to the answer that appears first in ``answers``. None if no sample gave an
    answer.
    """
    counts = Counter(a for a in answers if a is not None)
    if not counts:
        return None
    return counts.most_common(1)[0][0]


def best_of_n(candidates: Sequence[str], scores: Sequence[float]) -> str:
    """Best-of-N: the candidate the verifier scored highest (the first one on a tie)."""
    if len(candidates) != len(scores) or not candidates:
        raise ValueError(
            f"best_of_n needs one score per candidate and at least one candidate; got "
            f"{len(candidates)} candidates and {len(scores)} scores."
        )
    best = max(range(len(candidates)), key=lambda i: (scores[i], -i))
    return candidates[best]
