"""The labs print the same numbers on every CPU, or check them within a tolerance.

nbval compares every stored output with a fresh run, and CI runs the labs under a CPU kernel
path other than the one that stored them. These tests keep the labs honest about the cells it
does not compare: a cell may carry ``# NBVAL_IGNORE_OUTPUT`` only if it prints timings, or
checks its own numbers (``assert`` / ``near_book``), or shows an explorer whose page data are
checked by the cells before it.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
LABS = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
# Labs that use the trained tiny GPT without training it: they load the shipped copy.
USERS_OF_THE_TINY_GPT = ("07", "08", "09", "10")
CHECKED = re.compile(r"^\s*assert |near_book\(", re.MULTILINE)
TIMING = re.compile(r"perf_counter|_seconds\b|seconds\(")
EXPLORER = re.compile(r"^(explore_sampling|show_head_view)\(", re.MULTILINE)


def _code_cells(path: Path) -> list[str]:
    notebook = nbformat.read(path, as_version=4)
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


@pytest.mark.parametrize("path", LABS, ids=lambda p: p.stem)
def test_every_uncompared_cell_is_timing_or_checks_itself(path: Path) -> None:
    unchecked = [
        source.splitlines()[1] if len(source.splitlines()) > 1 else source
        for source in _code_cells(path)
        if "# NBVAL_IGNORE_OUTPUT" in source
        and not (CHECKED.search(source) or TIMING.search(source) or EXPLORER.search(source))
    ]
    assert not unchecked, f"{path.name}: cells nbval skips that check nothing: {unchecked}"


@pytest.mark.parametrize("lab", USERS_OF_THE_TINY_GPT)
def test_labs_after_chapter_6_load_the_shipped_tiny_gpt(lab: str) -> None:
    (path,) = NOTEBOOKS.glob(f"{lab}-*.ipynb")
    code = "\n".join(_code_cells(path))
    assert "load_tiny_gpt()" in code
    assert "trainer_from_preset(" not in code, f"{path.name} retrains the tiny GPT"


def test_the_policy_test_can_fail(tmp_path: Path) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("# NBVAL_IGNORE_OUTPUT\nprint(loss)")]
    path = tmp_path / "99-x.ipynb"
    nbformat.write(notebook, path)
    with pytest.raises(AssertionError, match="check nothing"):
        test_every_uncompared_cell_is_timing_or_checks_itself(path)
