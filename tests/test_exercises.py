"""Every lab exercise has a self-check: the hidden solution passes it, a typical slip does not.

Three kinds of evidence:

- the labs: each exercise's text tells the learner the name to check, and its hidden solution
  cell ends with ``check_exercise`` on the solution, whose stored output says "Right" (nbval
  re-runs the cell in CI, so the solution passes on every machine, not only on the one that
  stored it);
- ``tests/exercise_cases/labNN.py``: answers each check must refuse, with a fragment of the
  message it must give, and answers it must accept;
- the API: an unknown name, a slip of type, and printing.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import pytest
import torch

from gentle_llm.exercises import check_exercise, exercise_names, verdict

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXERCISE = re.compile(r"^(?:\*\*|### )Exercise (\d+)\b", re.MULTILINE)
CALL = re.compile(r'check_exercise\(\s*"(lab\d+\.[a-z0-9-]+)"')
END = re.compile(r"^#+ .*(takeaways|What you learned)", re.IGNORECASE | re.MULTILINE)


def _lab(path: Path) -> int:
    return int(path.name[:2])


def _exercises(path: Path) -> list[dict]:
    """Each exercise of a lab: its number, its text and the hidden code cells after it."""
    cells = json.loads(path.read_text("utf-8"))["cells"]
    found: list[dict] = []
    for cell in cells:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and END.search(source):
            break
        if cell["cell_type"] == "markdown":
            starts = list(EXERCISE.finditer(source))
            if len(starts) > 1:
                pytest.fail(f"{path.name}: put each exercise in its own cell ({source[:60]!r})")
            if starts:
                found.append({"number": int(starts[0].group(1)), "text": source, "hidden": []})
                continue
        hidden = "hide-cell" in cell["metadata"].get("tags", [])
        if found and cell["cell_type"] == "code" and hidden:
            output = "".join(
                "".join(o.get("text", "")) for o in cell.get("outputs", []) if o.get("text")
            )
            found[-1]["hidden"].append((source, output))
    return found


def _case_module(lab: int) -> ModuleType:
    path = ROOT / "tests" / "exercise_cases" / f"lab{lab:02d}.py"
    spec = importlib.util.spec_from_file_location(f"exercise_cases_lab{lab:02d}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_exercise_names_its_check_and_its_solution_passes(path: Path) -> None:
    lab = _lab(path)
    exercises = _exercises(path)
    assert exercises, f"{path.name} has no exercises"
    used = []
    for ex in exercises:
        named = CALL.findall(ex["text"])
        assert len(named) == 1, (
            f"{path.name}, Exercise {ex['number']}: its text should show one check_exercise call"
        )
        name = named[0]
        assert name.startswith(f"lab{lab}."), f"{path.name}: {name} belongs to another lab"
        solutions = [(src, out) for src, out in ex["hidden"] if name in CALL.findall(src)]
        assert solutions, f"{path.name}, Exercise {ex['number']}: no hidden cell checks {name}"
        assert any(f"Right: {name}." in out for _, out in solutions), (
            f"{path.name}, Exercise {ex['number']}: the stored solution does not pass {name}"
        )
        compared = [out for src, out in solutions if "NBVAL_IGNORE_OUTPUT" not in src]
        assert any(f"Right: {name}." in out for out in compared), (
            f"{path.name}, Exercise {ex['number']}: nbval ignores the output of the cell that"
            f" checks {name}; call check_exercise in a hidden cell of its own after it"
        )
        used.append(name)
    assert sorted(used) == sorted(exercise_names(lab)), (
        f"{path.name}: the checks registered for Lab {lab} and the exercises differ"
    )


@pytest.mark.parametrize("lab", range(1, 15))
def test_each_check_refuses_a_typical_slip_and_accepts_a_right_answer(lab: int) -> None:
    cases = _case_module(lab)
    refused = {name for name, _, _ in cases.WRONG}
    assert refused == set(exercise_names(lab)), "every check needs at least one wrong answer"
    for name, answer, message in cases.WRONG:
        problem = verdict(name, answer)
        assert problem is not None, f"{name} accepted the wrong answer {answer!r}"
        assert message in problem, f"{name}: {problem!r} does not say {message!r}"
    for name, answer in cases.RIGHT:
        assert verdict(name, answer) is None, f"{name} refused the right answer {answer!r}"


def test_an_unknown_name_lists_the_labs_exercises() -> None:
    with pytest.raises(ValueError, match="lab5.gpt2-params"):
        verdict("lab5.gpt-params", 1)
    with pytest.raises(ValueError, match="Names look like"):
        verdict("gpt2-params", 1)


def test_slips_of_type_and_units_get_their_own_message(capsys: pytest.CaptureFixture) -> None:
    assert verdict("lab5.gpt2-params", torch.tensor(124_439_808)) is None
    assert "a whole number" in verdict("lab5.gpt2-params", 124_439_808.5)
    assert "factor of about 1,000" in verdict("lab5.gpt2-params", 124_439_808_000)
    assert "came out as nan" in verdict("lab5.loss-meaning", float("nan"))
    # A function that printed instead of returning hands over None: say so, and what to pass.
    assert "print, not return" in verdict("lab5.gpt2-params", None)
    assert "GPT-2 small's parameter count" in verdict("lab5.gpt2-params", None)
    check_exercise("lab5.gpt2-params", 124_439_808)
    check_exercise("lab5.gpt2-params", 1)
    assert capsys.readouterr().out.splitlines() == [
        "Right: lab5.gpt2-params.",
        "Not yet (lab5.gpt2-params): GPT-2 small's parameter count is too low.",
    ]
