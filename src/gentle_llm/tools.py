"""A model that calls a tool: the parser and a safe calculator of Chapter 9's tool loop.

Chapter 9 lets SmolLM2 act as a tiny *agent*. The model is asked to write a line such as
``CALC: 17 * 23`` when it needs arithmetic; the program finds that line
(:func:`parse_call`), works the expression out (:func:`calculate`), and writes the result back
into the conversation (:func:`tool_reply`) so that the model can answer with it.

The calculator never hands the model's text to ``eval``: text a model writes is untrusted
input. It parses the expression with :mod:`ast` and walks the tree itself, allowing only
numbers, ``+ - * / **``, unary signs and parentheses. Anything else (a name, a call, an
attribute, a string) is refused with a ``ValueError``, and so are results too large to be
useful (``9 ** 9 ** 9`` would otherwise keep a CPU busy for a very long time).
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable

from gentle_llm import checks

__all__ = ["CALL_PREFIX", "calculate", "find_number", "format_number", "parse_call", "tool_reply"]

CALL_PREFIX = "CALC:"
# The expression runs to the end of its line; a model that also writes "= 391" after it is
# answering its own question, so everything from "=" on is dropped.
_CALL = re.compile(re.escape(CALL_PREFIX) + r"[ \t]*([^\n=]*)")
_MAX_LENGTH = 200  # characters: arithmetic a person would type, not a program
_MAX_EXPONENT = 100  # 10 ** 100 is already far beyond any question in the lab
_MAX_MAGNITUDE = 1e100

_OPERATORS: dict[type[ast.AST], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_SIGNS: dict[type[ast.AST], Callable[[float], float]] = {
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
}
_NUMBER = re.compile(r"-?\d+(?:,\d{3})*(?:\.\d+)?")


def parse_call(text: str) -> str | None:
    """The expression of the first ``CALC:`` line in ``text``, or ``None`` if there is none.

    ``"Let me compute. CALC: 17 * 23 = 391"`` gives ``"17 * 23"``. An empty expression
    (``"CALC:"`` alone) counts as no call.
    """
    checks.instance(text, "text", str, "a string (the model's reply)")
    match = _CALL.search(text)
    if match is None:
        return None
    expression = match.group(1).strip().rstrip(".")
    return expression or None


def calculate(expression: str) -> int | float:
    """The value of an arithmetic ``expression``: numbers, ``+ - * / **`` and parentheses.

    Raises ``ValueError`` for anything else, for division by zero, and for results beyond
    ``1e100``. Whole-number inputs that stay whole give an ``int`` (``2 ** 10`` is ``1024``).
    """
    checks.text(expression, "expression", example="17 * 23")
    if len(expression) > _MAX_LENGTH:
        raise ValueError(
            f"expression is {len(expression)} characters long; the calculator takes at most "
            f"{_MAX_LENGTH}, enough for any arithmetic a question needs."
        )
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as error:
        raise ValueError(f"{expression!r} is not arithmetic the calculator can read.") from error
    return _evaluate(tree.body, expression)


def _evaluate(node: ast.AST, expression: str) -> int | float:
    """Walk the tree: only the node types listed at the top of the module are allowed."""
    if isinstance(node, ast.Constant):
        value = node.value
        # bool is a kind of int in Python, but True + True is not arithmetic anyone meant.
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"only numbers are allowed in {expression!r}, not {value!r}.")
        return _checked(value, expression)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _SIGNS:
        return _SIGNS[type(node.op)](_evaluate(node.operand, expression))
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left = _evaluate(node.left, expression)
        right = _evaluate(node.right, expression)
        if isinstance(node.op, ast.Div) and right == 0:
            raise ValueError(f"division by zero in {expression!r}.")
        if isinstance(node.op, ast.Pow):
            # Check before computing: a huge power is slow to compute, not just large.
            if abs(right) > _MAX_EXPONENT or (left == 0 and right < 0):
                raise ValueError(f"the power in {expression!r} is out of range.")
            # |left| ** right has right * log10|left| digits: a small base with a negative
            # power is just as large (0.00001 ** -99), and float pow overflows before it returns.
            if left != 0 and right * math.log10(abs(left)) > 100:
                raise ValueError(f"{expression!r} is too large (beyond 1e100).")
        result = _OPERATORS[type(node.op)](left, right)
        if isinstance(result, complex):  # (-8) ** 0.5
            raise ValueError(f"{expression!r} has no real-number result.")
        if isinstance(node.op, ast.Div) and float(result).is_integer() and _whole(left, right):
            result = int(result)  # 391 / 17 is 23, as a person would write it
        return _checked(result, expression)
    raise ValueError(
        f"{expression!r} contains {type(node).__name__}: only numbers, + - * / ** and "
        "parentheses are allowed."
    )


def _whole(*values: int | float) -> bool:
    return all(isinstance(v, int) for v in values)


def _checked(value: int | float, expression: str) -> int | float:
    if not math.isfinite(value) or abs(value) > _MAX_MAGNITUDE:
        raise ValueError(f"{expression!r} is too large (beyond 1e100).")
    return value


def format_number(value: int | float) -> str:
    """A result the way a person writes it: ``391``, ``2.5``, ``0.333333`` (6 significant
    digits), ``1e+20`` for very large floats."""
    checks.number(value, "value")
    if isinstance(value, int) or float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"


def tool_reply(text: str) -> str | None:
    """What the program writes back after the model's ``text``: ``None`` when it made no
    call, otherwise ``"RESULT: 391"``, or ``"RESULT: error: ..."`` when the expression could not
    be worked out (the model sees the error, as a person would)."""
    expression = parse_call(text)
    if expression is None:
        return None
    try:
        return f"RESULT: {format_number(calculate(expression))}"
    except ValueError as error:
        return f"RESULT: error: {error}"


def find_number(text: str) -> float | None:
    """The first number written in ``text`` (``"It is 1,234.5 km"`` gives ``1234.5``), or
    ``None``. Used to grade answers: a reply is right when its first number is."""
    checks.instance(text, "text", str, "a string")
    match = _NUMBER.search(text)
    return None if match is None else float(match.group(0).replace(",", ""))
