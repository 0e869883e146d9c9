"""Self-checks for the labs' exercises: right, or what is wrong, never the solution.

Every exercise of every lab has a name such as ``"lab5.gpt2-params"`` and a check. A learner
passes their own answer (a number, a letter, a function they wrote)::

    from gentle_llm.exercises import check_exercise
    check_exercise("lab5.gpt2-params", my_count)

and reads one line: ``Right: lab5.gpt2-params.`` or ``Not yet (lab5.gpt2-params): ...`` with
what is wrong and where to look (``verdict`` returns the same as a value). The hidden
solution cell of each exercise ends with the same call, so running a lab proves that its
solutions pass their checks. Each exercise's text gives its name; the checks of Lab N live
in ``gentle_llm.exercises.labNN``.

A check is a function that returns nothing when the answer is right and raises ``NotYet`` with
a message otherwise. The helpers below (``number``, ``near``, ``whole``, ``count``, ``pair``,
``choice``, ``learner_call``) turn the usual slips (wrong type, wrong units, a fraction for a
percentage) into messages.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Exercise",
    "NotYet",
    "check_exercise",
    "choice",
    "count",
    "exercise",
    "exercise_names",
    "learner_call",
    "near",
    "number",
    "pair",
    "verdict",
    "whole",
]

NAME = re.compile(r"lab(\d{1,2})\.[a-z0-9]+(?:-[a-z0-9]+)*")


class NotYet(Exception):
    """What is wrong with an answer, in words a learner can act on (never the solution)."""


@dataclass(frozen=True)
class Exercise:
    """One exercise: its name, what to pass, and the check."""

    name: str
    expects: str
    check: Callable[[Any], None]

    @property
    def lab(self) -> int:
        return int(self.name[3:].split(".")[0])


_EXERCISES: dict[str, Exercise] = {}


def exercise(name: str, expects: str) -> Callable[[Callable[[Any], None]], Callable[[Any], None]]:
    """Register ``check`` under ``name``; ``expects`` says what to pass (shown for ``None``)."""
    if not NAME.fullmatch(name):
        raise ValueError(f"exercise names look like 'lab5.gpt2-params', not {name!r}")
    if name in _EXERCISES:
        raise ValueError(f"the exercise {name!r} is registered twice")

    def register(check: Callable[[Any], None]) -> Callable[[Any], None]:
        _EXERCISES[name] = Exercise(name, expects, check)
        return check

    return register


def exercise_names(lab: int | None = None) -> list[str]:
    """The names of every exercise, or of one lab's, in the order of the labs."""
    chosen = [e for e in _EXERCISES.values() if lab is None or e.lab == lab]
    return [e.name for e in sorted(chosen, key=lambda e: e.lab)]


def verdict(name: str, answer: Any) -> str | None:
    """None if ``answer`` solves the exercise ``name``, else what is wrong with it."""
    if name not in _EXERCISES:
        match = re.match(r"lab(\d+)\.", str(name))
        known = exercise_names(int(match.group(1))) if match else []
        where = (
            f"Lab {match.group(1)}'s exercises are: {', '.join(known)}."
            if known
            else "Names look like 'lab5.gpt2-params': the exercise's text gives its name."
        )
        raise ValueError(f"There is no exercise called {name!r}. {where}")
    entry = _EXERCISES[name]
    if answer is None:  # most often a function that printed its result instead of returning it
        return f"the answer is None (did a function print, not return?). Pass {entry.expects}."
    try:
        entry.check(answer)
    except NotYet as problem:
        return str(problem)
    return None


def check_exercise(name: str, answer: Any) -> None:
    """Print whether ``answer`` solves the exercise ``name``, or what is wrong with it."""
    problem = verdict(name, answer)
    print(f"Right: {name}." if problem is None else f"Not yet ({name}): {problem}")


def number(answer: Any, what: str) -> float:
    """``answer`` as a finite float (ints, floats, NumPy scalars and one-element tensors)."""
    if not isinstance(answer, numbers.Real) and _one_element(answer):
        answer = answer.item()  # a NumPy or PyTorch number
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        raise NotYet(f"pass {what} as a number, not {type(answer).__name__} {answer!r:.40}.")
    value = float(answer)
    if not math.isfinite(value):
        raise NotYet(f"{what} came out as {value}: look for a division by zero or an overflow.")
    return value


def _one_element(answer: Any) -> bool:
    size = getattr(answer, "numel", None) or (lambda: getattr(answer, "size", None))
    return callable(getattr(answer, "item", None)) and size() == 1


def whole(answer: Any, expected: int, what: str, hints: Mapping[int, str] | None = None) -> None:
    """Right if ``answer`` is exactly the whole number ``expected``; known slips get their hint."""
    value = number(answer, what)
    if value != int(value):
        raise NotYet(f"{what} is a whole number; yours is {value}.")
    value = int(value)
    if value == expected:
        return
    if hints and value in hints:
        raise NotYet(hints[value])
    raise NotYet(f"{what} is {_direction(value, expected)}. {_scale_hint(value, expected)}".strip())


def near(
    answer: Any,
    expected: float,
    what: str,
    *,
    rel: float = 0.02,
    abs_tol: float = 0.0,
    hints: Mapping[str, Callable[[float], bool]] | None = None,
) -> None:
    """Right if ``answer`` is within ``rel`` (relative) or ``abs_tol`` of ``expected``.

    ``hints`` maps a message to a test on the learner's value, for the slips an exercise invites
    (``{"that is bits per token, not per byte": lambda v: abs(v - 4.18) < 0.05}``).
    """
    value = number(answer, what)
    if math.isclose(value, expected, rel_tol=rel, abs_tol=abs_tol):
        return
    for message, applies in (hints or {}).items():
        if applies(value):
            raise NotYet(message)
    raise NotYet(f"{what} is {_direction(value, expected)}. {_scale_hint(value, expected)}".strip())


def _direction(value: float, expected: float) -> str:
    return "too high" if value > expected else "too low"


def _scale_hint(value: float, expected: float) -> str:
    """Name a factor of 100, 1,000 or a million between the two, the usual unit slips."""
    if value == 0 or expected == 0 or (value > 0) != (expected > 0):
        return ""
    ratio = value / expected
    for factor, words in [(1e6, "a million"), (1e3, "1,000"), (100, "100"), (1024, "1,024")]:
        for r in (ratio, 1 / ratio):
            if math.isclose(r, factor, rel_tol=0.03):
                return f"It is off by a factor of about {words}: check the units."
    return ""


def pair(answer: Any, message: str) -> tuple[Any, Any]:
    """``answer`` as a pair (a tuple or list of two); ``message`` says what to pass if not."""
    if not isinstance(answer, tuple | list) or len(answer) != 2:
        raise NotYet(message)
    return answer[0], answer[1]


def count(answer: Any, what: str, total: int) -> int:
    """``answer`` as a whole number from 0 to ``total``; a share (0 to 1) gets its own hint."""
    value = number(answer, what)
    if 0 < value < 1:
        raise NotYet(f"pass {what} as a count out of {total}, not a share.")
    if value != int(value) or not 0 <= value <= total:
        raise NotYet(f"{what} is a whole number from 0 to {total}.")
    return int(value)


def choice(answer: Any, right: str, wrong: Mapping[str, str]) -> None:
    """A multiple-choice answer: ``right`` is its letter; ``wrong`` maps the others to hints."""
    letters = sorted([right, *wrong])
    if not isinstance(answer, str) or answer.strip().lower().strip("()") not in letters:
        raise NotYet(f"answer with one letter: {', '.join(repr(x) for x in letters)}.")
    letter = answer.strip().lower().strip("()")
    if letter != right:
        raise NotYet(wrong[letter])


def learner_call(function: Any, what: str, *args: Any, **kwargs: Any) -> Any:
    """Call the learner's ``function``; a non-function or an exception becomes a ``NotYet``."""
    if not callable(function):
        raise NotYet(f"pass your {what} itself (the function, without calling it).")
    try:
        return function(*args, **kwargs)
    except Exception as error:  # noqa: BLE001 (any failure of the learner's code is reported)
        raise NotYet(f"your {what} raised {type(error).__name__}: {error}") from None
