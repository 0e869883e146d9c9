"""gentle_llm.tools: finding a tool call, the safe calculator, grading numbers."""

from __future__ import annotations

import time

import pytest

from gentle_llm.tools import calculate, find_number, format_number, parse_call, tool_reply


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CALC: 17 * 23", "17 * 23"),
        ("Let me work it out.\nCALC: (4 + 5) * 2\nThen I answer.", "(4 + 5) * 2"),
        ("CALC:12/4", "12/4"),
        ("CALC: 17 * 23 = 391", "17 * 23"),  # the model's own answer is dropped
        ("CALC: 3 + 4.", "3 + 4"),
        ("CALC: 1 + 1\nCALC: 2 + 2", "1 + 1"),  # the first call wins
        ("The answer is 391.", None),
        ("CALC:", None),
        ("calc: 2 + 2", None),  # the format is exact, as a program's would be
    ],
)
def test_parse_call(text, expected):
    assert parse_call(text) == expected


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("17 * 23", 391),
        ("(4 + 5) * 2", 18),
        ("2 ** 10", 1024),
        ("-3 + +5", 2),
        ("391 / 17", 23),
        ("7 / 2", 3.5),
        ("1.5 * 4", 6.0),
        ("2 ** -1", 0.5),
        ("((1))", 1),
    ],
)
def test_calculate(expression, value):
    result = calculate(expression)
    assert result == value
    assert type(result) is type(value)


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os').system('echo hi')",
        "open('/etc/passwd').read()",
        "x + 1",
        "(1).__class__",
        "'a' * 3",
        "True + True",
        "[1, 2]",
        "1 if 2 else 3",
        "10 % 3",  # not in the allowed list
        "7 // 2",
        "1 < 2",
        "lambda: 1",
        "17 x 23",
        "1 / 0",
        "0 ** -1",
        "(-8) ** 0.5",
        "1e200 * 10",
    ],
)
def test_calculate_refuses_anything_but_arithmetic(expression):
    with pytest.raises(ValueError):
        calculate(expression)


def test_huge_powers_are_refused_at_once():
    start = time.perf_counter()
    for expression in ["9 ** 9 ** 9", "10 ** 101", "2 ** 1000", "99999 ** 99"]:
        with pytest.raises(ValueError, match="out of range|too large"):
            calculate(expression)
    assert time.perf_counter() - start < 1.0
    assert calculate("10 ** 100") == 10**100
    with pytest.raises(ValueError, match="at most 200"):
        calculate("1 + " * 60 + "1")
    with pytest.raises(ValueError, match="empty"):
        calculate("  ")


def test_format_number():
    assert format_number(391) == "391"
    assert format_number(6.0) == "6"
    assert format_number(2.5) == "2.5"
    assert format_number(1 / 3) == "0.333333"
    assert format_number(1e20) == "1e+20"
    with pytest.raises(ValueError):
        format_number(float("nan"))


def test_tool_reply():
    assert tool_reply("CALC: 17 * 23") == "RESULT: 391"
    assert tool_reply("No call here.") is None
    error = tool_reply("CALC: os.system('ls')")
    assert error is not None and error.startswith("RESULT: error:")


def test_find_number():
    assert find_number("The answer is 391.") == 391
    assert find_number("It is 1,234.5 km, not 7") == 1234.5
    assert find_number("minus: -12 degrees") == -12
    assert find_number("no digits") is None
    with pytest.raises(TypeError):
        find_number(391)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        parse_call(None)  # type: ignore[arg-type]
