"""One chapter map: the README table and the package docstring agree, and every file is in it.

The map says where each module, lab, test file and figure script belongs (design §3). It is
kept in two places a reader looks, so this test keeps them equal and complete: a module or test
added without a row fails here (that is how ``muon`` once went missing from both).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import gentle_llm

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "gentle_llm"


def _readme_map() -> dict[str, set[str]]:
    """Chapter key ("1" … "13", "A", "all") -> the names in backticks on its row."""
    text = (ROOT / "README.md").read_text("utf-8")
    section = text.split("## Chapters", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = line.split("|")
        if line.startswith("| ") and len(cells) > 3 and cells[1].strip() not in ("#", "---"):
            names = set(re.findall(r"`([^`]+)`", "|".join(cells[3:])))
            rows[cells[1].strip()] = names
    return rows


def _docstring_map() -> dict[str, set[str]]:
    """The same, from the package docstring: entries start "1. ", …, "A. " or "Shared"."""
    doc = gentle_llm.__doc__ or ""
    entries = re.split(
        r"\n(?=\d+\. |A\. |Shared by every chapter)", doc.split("figure scripts:")[1]
    )
    rows = {}
    for entry in filter(str.strip, entries):
        entry = entry.strip()
        key = entry.split(".", 1)[0].strip() if not entry.startswith("Shared") else "all"
        rows[key] = set(re.findall(r"``([^`]+)``", entry))
    return rows


def _files() -> dict[str, set[str]]:
    modules = {
        ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        for path in PACKAGE.rglob("*.py")
        if path.name != "__init__.py"  # a package is mapped through its modules
    }
    return {
        "module": modules,
        "lab": {path.stem for path in (ROOT / "notebooks").glob("*.ipynb")},
        "test file": {path.stem for path in (ROOT / "tests").glob("test_*.py")},
        "figure script": {path.stem for path in (ROOT / "assets" / "scripts").glob("*.py")},
    }


def test_the_readme_and_the_package_docstring_give_the_same_map() -> None:
    readme, docstring = _readme_map(), _docstring_map()
    chapters = sorted(int(key) for key in readme if key.isdigit())
    assert chapters == list(range(1, len(chapters) + 1)) and len(chapters) >= 12
    assert list(readme) == [*map(str, chapters), "A", "all"]
    assert docstring.keys() == readme.keys()
    for key, names in readme.items():
        assert names == docstring[key], (key, names ^ docstring[key])


def test_every_module_lab_test_file_and_figure_script_is_in_the_map() -> None:
    mapped = set().union(*_readme_map().values())
    for kind, names in _files().items():
        assert not names - mapped, f"{kind}s missing from the chapter map: {sorted(names - mapped)}"


def test_the_map_names_only_files_that_exist() -> None:
    known = set().union(*_files().values())
    stale = set().union(*_readme_map().values()) - known - {"gentle_llm", "assets/scripts/"}
    assert not stale, f"the chapter map names files that do not exist: {sorted(stale)}"


def test_each_lab_sits_on_its_own_chapters_row() -> None:
    for key, names in _readme_map().items():
        labs = {name for name in names if re.fullmatch(r"\d\d-[a-z-]+", name)}
        labs -= _files()["figure script"]
        if key.isdigit():
            assert labs and all(int(lab[:2]) == int(key) for lab in labs), (key, labs)


def _pyobject_exists(source: str, dotted: str) -> bool:
    body = ast.parse(source).body
    for part in dotted.split("."):
        found = [n for n in body if getattr(n, "name", None) == part]
        if not found:
            return False
        body = getattr(found[0], "body", [])
    return True


def test_every_excerpt_a_chapter_shows_is_still_in_its_file() -> None:
    """A page that shows package code includes it (``literalinclude``), so it cannot drift;
    this keeps each include pointing at code that exists, without building the book."""
    pattern = re.compile(r"```\{literalinclude\} (\S+)\n((?::[\w-]+:.*\n)*)")
    shown = 0
    for page in sorted((ROOT / "chapters").glob("*.md")):
        for path, options in pattern.findall(page.read_text("utf-8")):
            code = (page.parent / path).resolve().read_text("utf-8")
            opts = dict(re.findall(r":([\w-]+): (.*)", options))
            where = f"{page.name}: {path} {opts}"
            if "pyobject" in opts:
                assert _pyobject_exists(code, opts["pyobject"]), where
            start = 0
            for key in ("start-at", "start-after"):
                if key in opts:
                    assert opts[key] in code, where
                    start = code.index(opts[key])
            for key in ("end-at", "end-before"):
                if key in opts:
                    assert opts[key] in code[start:], where
            shown += 1
    assert shown >= 10  # the pattern still finds the includes
