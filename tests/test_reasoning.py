"""Chapter 13's verifiable tasks: the answer parser and verifier on hostile strings, votes."""

from __future__ import annotations

import pytest

from gentle_llm.reasoning import (
    best_of_n,
    checked_steps,
    digit_sums,
    majority_vote,
    parse_answer,
    sum_prompt,
    word_problems,
    worksheet,
)


def test_word_problems_are_reproducible_and_their_answers_are_right() -> None:
    problems = word_problems(50, seed=3)
    assert problems == word_problems(50, seed=3)
    assert problems != word_problems(50, seed=4)
    for problem in problems:
        assert problem.answer >= 0
        numbers = [
            int(w.strip(".,;")) for w in problem.question.split() if w.strip(".,;").isdigit()
        ]
        assert len(numbers) == 3
        assert problem.answer in {
            numbers[0] + numbers[1] + numbers[2],
            numbers[0] + numbers[1] - numbers[2],
            numbers[0] - numbers[1] + numbers[2],
        }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The answer is 12.", 12),
        ("3 + 4 = 7, then 7 + 5 = 12. Answer: 12", 12),
        ("Answer: 5. Hmm, 3 people left, so the answer is 8", 8),
        ("She has 1,200 coins", 1200),
        ("-4", -4),
        ("no number here", None),
        ("", None),
        ("answer is 99999999999999999999999", None),
        ("The answer is **42**", 42),
        ("7" * 20_000, None),  # a runaway generation: read only the first 10,000 characters
        ("ten apples", None),
    ],
)
def test_parse_answer(text: str, expected: int | None) -> None:
    assert parse_answer(text) == expected


def test_parse_answer_refuses_non_text() -> None:
    with pytest.raises(TypeError, match="str"):
        parse_answer(12)  # type: ignore[arg-type]


def test_checked_steps_redoes_the_arithmetic() -> None:
    assert checked_steps("3 + 4 = 7 and 7 - 2 = 5") == (2, 2)
    assert checked_steps("3+4=8, 8-1=7") == (1, 2)
    assert checked_steps("no steps") == (0, 0)
    assert checked_steps("23 + 8 + 18 = 49, not 23 + 8 + 18 = 42") == (1, 2)  # whole chains
    assert checked_steps("29 * 14 = 327 and 2 + 3 * 4 = 14 and 10 - 2 - 3 = 5") == (2, 3)
    assert checked_steps("20 coins + 13 = 33") == (0, 0)  # words break a calculation
    assert checked_steps("-3+5=2, 3 - -2 = 5, 2x3=6, 8-1=7") == (4, 4)
    right, written = checked_steps("1+1=2; " * 3000)  # read up to 10,000 characters
    assert right == written == 10_000 // 7


def test_majority_vote_and_ties() -> None:
    assert majority_vote([3, 5, 5, None, None, None]) == 5
    assert majority_vote([7, 3, 3, 7]) == 7  # a tie goes to the answer seen first
    assert majority_vote([None, None]) is None
    assert majority_vote([]) is None


def test_best_of_n() -> None:
    assert best_of_n(["a", "b", "c"], [0.1, 0.9, 0.9]) == "b"
    with pytest.raises(ValueError, match="one score per candidate"):
        best_of_n(["a"], [1.0, 2.0])
    with pytest.raises(ValueError, match="at least one candidate"):
        best_of_n([], [])


def test_digit_sums_and_worksheet() -> None:
    problems = digit_sums(3)
    assert len(problems) == 1000 and len(set(problems)) == 1000
    assert problems == digit_sums(3)
    assert sum_prompt((3, 4, 5)) == "\n3+4+5="
    clean = worksheet(problems[:10], 200, error_rate=0.0, seed=1).splitlines()
    assert all(parse_answer(line) == sum(map(int, line.split("=")[0].split("+"))) for line in clean)
    noisy = worksheet(problems[:10], 2000, error_rate=0.4, seed=1).splitlines()
    wrong = sum(
        parse_answer(line) != sum(map(int, line.split("=")[0].split("+"))) for line in noisy
    )
    assert 0.35 < wrong / 2000 < 0.45
    with pytest.raises(ValueError, match="at least one problem"):
        worksheet([], 5, 0.1)
    with pytest.raises(ValueError, match="error_rate"):
        worksheet(problems, 5, 1.5)


def test_no_word_problem_can_be_answered_by_copying_its_first_number() -> None:
    for problem in word_problems(500, seed=7):
        numbers = [
            int(w.strip(".,;")) for w in problem.question.split() if w.strip(".,;").isdigit()
        ]
        assert problem.answer != numbers[0]
