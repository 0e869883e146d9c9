"""Every figure in the book has alt text that describes it, for readers who cannot see it.

Lab figures are the image outputs of code cells. myst-nb takes an output image's alt text from
the cell's metadata, ``{"mystnb": {"image": {"alt": "..."}}}``, and gives it to every image of
the cell, so a cell with two images needs one text that covers both. Such a text must say what
the figure shows and its main result: at least ``MIN_ALT_CHARS`` characters, with spaces, and
not a file name (a figure's file name is what a screen reader says when the alt is missing).

Chapter pages draw their figures with the ``{figure}`` or ``{image}`` directive, which needs an
``:alt:`` option, or with Markdown ``![alt](src)`` and HTML ``<img alt="...">``. The same length
and file-name rules apply. Findings name the file and the cell index or the line.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PAGES = [*sorted((ROOT / "chapters").glob("*.md")), ROOT / "intro.md"]

MIN_ALT_CHARS = 40
IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")
FILE_NAME = re.compile(r"^\S+\.(?:png|jpe?g|svg|gif|webp)$", re.IGNORECASE)
# A directive fence that opens a figure or an image, with backticks or colons (colon_fence).
FIGURE_FENCE = re.compile(r"^\s*(`{3,}|:{3,})\{(figure|image)\}")
DIRECTIVE_OPTION = re.compile(r"^:([a-z][\w-]*):(.*)$")
MARKDOWN_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)[^)]*\)")
HTML_IMAGE = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
HTML_ALT = re.compile(r"""\balt\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)


def alt_problem(alt: Any) -> str | None:
    """Why ``alt`` is not a usable description, or None if it is one."""
    if not isinstance(alt, str) or not alt.strip():
        return "no alt text"
    text = alt.strip()
    if FILE_NAME.match(text):
        return f"alt text is a file name: {text!r}"
    if len(text) < MIN_ALT_CHARS or " " not in text:
        return f"alt text too short to describe the figure: {text!r}"
    return None


def notebook_findings(notebook: dict[str, Any], name: str) -> list[str]:
    """One line per code cell whose image output lacks a usable alt text."""
    findings = []
    for index, cell in enumerate(notebook.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        images = [
            output
            for output in cell.get("outputs", [])
            if any(kind in output.get("data", {}) for kind in IMAGE_TYPES)
        ]
        if not images:
            continue
        mystnb = cell.get("metadata", {}).get("mystnb", {})
        alt = mystnb.get("image", {}).get("alt") if isinstance(mystnb, dict) else None
        problem = alt_problem(alt)
        if problem:
            count = f"{len(images)} images" if len(images) > 1 else "1 image"
            findings.append(f"{name}: cell {index} ({count}): {problem}")
    return findings


def markdown_findings(text: str, name: str) -> list[str]:
    """One line per figure, image or <img> in Markdown text without a usable alt text."""
    findings = []
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        opened = FIGURE_FENCE.match(line)
        if opened:
            alt = None
            # The directive's options (":name: value") follow its opening line.
            for option in lines[number:]:
                found = DIRECTIVE_OPTION.match(option.strip())
                if not found:
                    break
                if found.group(1) == "alt":
                    alt = found.group(2)
            problem = alt_problem(alt)
            if problem:
                findings.append(f"{name}:{number}: {{{opened.group(2)}}}: {problem}")
        for match in MARKDOWN_IMAGE.finditer(line):
            problem = alt_problem(match.group(1))
            if problem:
                findings.append(f"{name}:{number}: ![...]({match.group(2)}): {problem}")
        for tag in HTML_IMAGE.findall(line):
            found = HTML_ALT.search(tag)
            problem = alt_problem(found and (found.group(1) or found.group(2)))
            if problem:
                findings.append(f"{name}:{number}: <img>: {problem}")
    return findings


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_lab_figures_have_alt_text(path: Path) -> None:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    findings = notebook_findings(notebook, f"notebooks/{path.name}")
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "markdown":
            findings += markdown_findings("".join(cell["source"]), f"{path.name} cell {index}")
    assert not findings, "figures without alt text:\n" + "\n".join(findings)


@pytest.mark.parametrize("path", PAGES, ids=[p.stem for p in PAGES])
def test_page_figures_have_alt_text(path: Path) -> None:
    findings = markdown_findings(path.read_text(encoding="utf-8"), path.name)
    assert not findings, "figures without alt text:\n" + "\n".join(findings)


def test_the_labs_have_figures_to_check() -> None:
    # Guards against a checker that silently finds no images (a renamed output key, say).
    cells = 0
    for path in NOTEBOOKS:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        cells += sum(
            1
            for cell in notebook["cells"]
            if any("image/png" in o.get("data", {}) for o in cell.get("outputs", []))
        )
    assert cells >= 10


def _cell(metadata: dict[str, Any], outputs: int = 1) -> dict[str, Any]:
    image = {"output_type": "display_data", "data": {"image/png": "iVBORw0KGgo="}, "metadata": {}}
    return {"cell_type": "code", "metadata": metadata, "source": [], "outputs": [image] * outputs}


GOOD_ALT = "A line plot of the loss falling from 4.2 to 1.8 over 600 training steps."


def test_notebook_checker_flags_missing_short_and_file_name_alt() -> None:
    notebook = {
        "cells": [
            _cell({}),
            _cell({"mystnb": {"image": {"alt": "loss curve"}}}),
            _cell({"mystnb": {"image": {"alt": "../assets/figures/06-loss-curve.png"}}}),
            _cell({"mystnb": {"figure": {"caption": GOOD_ALT}}}, outputs=2),
            _cell({"mystnb": {"image": {"alt": GOOD_ALT}}}),
            {"cell_type": "code", "metadata": {}, "source": [], "outputs": []},
            {"cell_type": "markdown", "metadata": {}, "source": ["no image here"]},
        ]
    }
    findings = notebook_findings(notebook, "toy.ipynb")
    assert [line.split(":")[1].strip() for line in findings] == [
        "cell 0 (1 image)",
        "cell 1 (1 image)",
        "cell 2 (1 image)",
        "cell 3 (2 images)",
    ]
    assert "file name" in findings[2]
    assert "no alt text" in findings[3]


def test_markdown_checker_flags_figures_without_alt() -> None:
    page = "\n".join(
        [
            "```{figure} ../assets/figures/a.png",
            ":name: fig-a",
            "",
            "A caption is not an alt text.",
            "```",
            "```{figure} ../assets/figures/b.png",
            f":alt: {GOOD_ALT}",
            ":name: fig-b",
            "```",
            ":::{image} ../assets/figures/c.png",
            ":alt: c.png",
            ":::",
            "![](../assets/figures/d.png) and ![" + GOOD_ALT + "](e.png)",
            '<img src="f.png"> <img src="g.png" alt="' + GOOD_ALT + '">',
        ]
    )
    findings = markdown_findings(page, "toy.md")
    assert [line.split(":")[1] for line in findings] == ["1", "10", "13", "14"]
    assert "file name" in findings[1]
