"""Every number a chapter page shares with its lab's outputs is glued or listed with its source.

The detector and the list of typed numbers live in test_glue.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_glue import ROOT, chapter_labs, copied_numbers, normalise, page_numbers, typed_numbers


def test_every_chapter_has_its_lab() -> None:
    assert len(chapter_labs()) >= 12


@pytest.mark.parametrize(("page", "lab"), chapter_labs(), ids=lambda name: Path(name).name)
def test_pages_paste_lab_numbers_instead_of_copying_them(page: str, lab: str) -> None:
    copied = copied_numbers(page, lab, typed_numbers().get(page, {}))
    assert not copied, (
        f"{len(copied)} numbers in {page}.md also appear in {lab}.ipynb's outputs: glue them "
        "from the lab (gentle_llm.notebook.glue, then {glue:text}`../" + lab + ".ipynb::name`) "
        "or list them with their source in tests/typed_numbers.txt:\n" + "\n".join(copied)
    )


def test_typed_numbers_are_still_on_their_pages() -> None:
    stale = [
        f"{page} | {number}"
        for page, numbers in typed_numbers().items()
        for number in numbers
        if number not in {normalise(n) for _, n in page_numbers((ROOT / f"{page}.md").read_text())}
    ]
    assert not stale, "typed_numbers.txt lists numbers no longer on their page:\n" + "\n".join(
        stale
    )
