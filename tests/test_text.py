"""Learner-facing text speaks to learners: it never describes how the course itself was made.

The chapter pages, the intro and the markdown cells of the lab notebooks are scanned for words
about the course's own making ("the seed decks", "the course's source slides", ...) and for
figure captions that end in "Made by assets/scripts/...". That provenance belongs in an HTML
comment (`<!-- figure source: assets/scripts/... -->`), which neither the book nor GitHub shows;
such comment lines are therefore not scanned. A MyST `%` comment is not enough: GitHub, which
does not know MyST, shows it as text. Every finding names the file and the line.

The chapter pages are also checked for what each of them promises the reader: an "In this
chapter you will" list with a reading time near the page's length at 200 words a minute, and
two or three self-check questions at the end whose answers stay hidden until clicked.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTER_PAGES = sorted((ROOT / "chapters").glob("[0-9][0-9]-*.md"))
PAGES = [*sorted((ROOT / "chapters").glob("*.md")), ROOT / "intro.md"]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

# Words about how the course was made. Whitespace between words may be a line break, because
# prose is wrapped at 100 characters and a phrase can straddle two lines.
MAKING_OF = [
    re.compile(r"\bseed\s+decks?\b", re.IGNORECASE),
    re.compile(r"\bsource\s+(?:slides|decks?)\b", re.IGNORECASE),
    re.compile(r"\b(?:introductory|original)\s+slides\b", re.IGNORECASE),
    re.compile(r"\bslides\s+of\s+this\s+course\b", re.IGNORECASE),
    re.compile(r"\bcourse(?:'s|’s)\s+(?:own\s+)?slides\b", re.IGNORECASE),
    re.compile(
        r"\bthis\s+course\s+was\s+(?:written|built|made|generated|created|produced)\b",
        re.IGNORECASE,
    ),
]
# Provenance of a figure, allowed only in a comment, never in the caption a reader sees.
CAPTION_PROVENANCE = re.compile(r"\bmade\s+by\s*`?\s*assets/scripts", re.IGNORECASE)

FIGURE_START = re.compile(r"^(`{3,}|:{3,})\s*\{figure\}")
MARKDOWN_IMAGE = re.compile(r"!\[[^\]]*\]\(")
READING_TIME = re.compile(r"Reading time: about (\d+) minutes?\.")
WORDS_PER_MINUTE = 200


def _is_comment(line: str) -> bool:
    """A one-line HTML comment: neither the built book nor GitHub's view of the file shows it."""
    stripped = line.strip()
    return stripped.startswith("<!--") and stripped.endswith("-->")


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _caption_blocks(lines: list[str]) -> list[list[int]]:
    """The 0-based line indexes of each figure caption a reader sees.

    A caption is the body of a ``{figure}`` directive without its ``:option:`` lines, or a
    markdown image line together with the lines right after it up to the next blank line
    (the usual way a notebook puts a caption under an image).
    """
    blocks: list[list[int]] = []
    i = 0
    while i < len(lines):
        start = FIGURE_START.match(lines[i].strip())
        if start:
            fence = start.group(1)
            block: list[int] = []
            i += 1
            while i < len(lines) and lines[i].strip() != fence:
                stripped = lines[i].strip()
                if not stripped.startswith(":") and not _is_comment(stripped):
                    block.append(i)
                i += 1
            blocks.append(block)
        elif MARKDOWN_IMAGE.search(lines[i]):
            block = [i]
            i += 1
            while i < len(lines) and lines[i].strip():
                if not _is_comment(lines[i]):
                    block.append(i)
                i += 1
            blocks.append(block)
            continue
        i += 1
    return blocks


def find_making_of(text: str) -> list[tuple[int, str]]:
    """Every place in a markdown text that tells how the course was made: (line, words)."""
    lines = text.split("\n")
    # Blank out comment lines (keeping the line count) so that their words are never matched.
    visible = "\n".join("" if _is_comment(line) else line for line in lines)
    findings = [
        (_line_of(visible, match.start()), " ".join(match.group(0).split()))
        for pattern in MAKING_OF
        for match in pattern.finditer(visible)
    ]
    # Provenance on any other visible line too, e.g. in a MyST `%` comment, which GitHub shows
    # as text. Figure options (":alt:") are left to the caption rule above them.
    in_captions = {i for block in _caption_blocks(lines) for i in block}
    for i, line in enumerate(lines):
        if i in in_captions or _is_comment(line) or line.lstrip().startswith(":"):
            continue
        for match in CAPTION_PROVENANCE.finditer(line):
            findings.append((i + 1, "provenance: " + " ".join(match.group(0).split())))
    for block in _caption_blocks(lines):
        caption = "\n".join(lines[i] for i in block)
        for match in CAPTION_PROVENANCE.finditer(caption):
            line = block[caption.count("\n", 0, match.start())] + 1
            findings.append((line, "caption: " + " ".join(match.group(0).split())))
    return sorted(findings)


def scan_markdown_file(path: Path) -> list[str]:
    """Findings in a markdown page, as 'path:line: words'."""
    return [f"{path}:{line}: {words}" for line, words in find_making_of(path.read_text("utf-8"))]


def scan_notebook(path: Path) -> list[str]:
    """Findings in the markdown cells of a notebook, as 'path cell N line M: words'."""
    notebook = json.loads(path.read_text("utf-8"))
    findings: list[str] = []
    for number, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        source = cell["source"]
        text = source if isinstance(source, str) else "".join(source)
        findings += [
            f"{path} cell {number} line {line}: {words}" for line, words in find_making_of(text)
        ]
    return findings


def prose_words(text: str) -> int:
    """Words a reader reads on a page: prose, tables and answers, not options, math or fences."""
    kept: list[str] = []
    in_math = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped == "$$":
            in_math = not in_math
            continue
        if in_math or stripped.startswith(("$$", ":alt:", ":name:", ":class:", "%", "```")):
            continue
        kept.append(stripped)
    return len(re.findall(r"[A-Za-z0-9][\w'’.,-]*", " ".join(kept)))


# --- the scanner can fail ------------------------------------------------------------------

PLANTED = """# A page

This paragraph is fine: it talks about tokens, slides in a playground and decks of cards.
As the seed decks of this course show, tokens matter.
The course's source
slides say otherwise.
The introductory slides of this course put it in one sentence.
Honestly, this course was written in a hurry.

<!-- figure source: assets/scripts/fine.py -->
```{figure} ../assets/figures/fine.png
:alt: A picture made by assets/scripts/alt-text-is-not-a-caption.py

A caption that says only what the figure shows.
```

```{figure} ../assets/figures/planted.png
:alt: Another picture.

A caption with its provenance left in. Made by
`assets/scripts/planted.py`.
```

![A plot](plot.png)
The plot of the lab. Made by `assets/scripts/plot.py`.
"""


def test_scanner_finds_planted_sentences_with_their_lines(tmp_path: Path) -> None:
    page = tmp_path / "planted.md"
    page.write_text(PLANTED, encoding="utf-8")

    findings = scan_markdown_file(page)

    lines = [int(finding.split(":")[1]) for finding in findings]
    # seed decks (4), source slides (across 5-6, reported at 5), introductory slides and slides
    # of this course (7), this course was written (8), the planted caption (provenance starting
    # on 20) and the caption under the markdown image (25).
    assert lines == [4, 5, 7, 7, 8, 20, 25], "\n".join(findings)
    assert all(finding.startswith(f"{page}:") for finding in findings)
    assert any("caption: Made by `assets/scripts" in finding for finding in findings)


def test_scanner_passes_clean_text_and_comments(tmp_path: Path) -> None:
    clean = "\n".join(
        line
        for line in PLANTED.splitlines()
        if not re.search(r"seed|slides|course was|Made by", line)
    )
    page = tmp_path / "clean.md"
    page.write_text(clean, encoding="utf-8")

    assert scan_markdown_file(page) == []
    # A provenance comment stays allowed, inside a figure too, but only as an HTML comment:
    # GitHub shows a MyST `%` comment as text.
    hidden = "<!-- figure source: assets/scripts/a.py -->"
    assert find_making_of(f"```{{figure}} a.png\n{hidden}\nA caption.\n```") == []
    assert find_making_of(f"{hidden}\n```{{figure}} a.png\nA caption.\n```") == []
    assert find_making_of("% made by assets/scripts/a.py\n") == [
        (1, "provenance: made by assets/scripts")
    ]


def test_notebook_scanner_reads_markdown_cells_only(tmp_path: Path) -> None:
    notebook = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# Lab\n", "All good here.\n"]},
            {
                "cell_type": "markdown",
                "metadata": {},
                "source": ["Fine line.\n", "Our seed deck says so.\n"],
            },
            {
                "cell_type": "code",
                "metadata": {},
                "source": "# a comment about the seed decks in code is not prose\n",
                "outputs": [],
                "execution_count": None,
            },
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = tmp_path / "lab.ipynb"
    path.write_text(json.dumps(notebook), encoding="utf-8")

    assert scan_notebook(path) == [f"{path} cell 1 line 2: seed deck"]


# --- the repository -------------------------------------------------------------------------


def test_pages_say_nothing_about_how_the_course_was_made() -> None:
    assert len(PAGES) >= 5, "expected the chapter pages, the glossary and the intro"
    findings = [finding for page in PAGES for finding in scan_markdown_file(page)]
    assert findings == [], "words about how the course was made:\n" + "\n".join(findings)


def test_notebook_markdown_says_nothing_about_how_the_course_was_made() -> None:
    assert NOTEBOOKS, "no notebooks found"
    findings = [finding for notebook in NOTEBOOKS for finding in scan_notebook(notebook)]
    assert findings == [], "words about how the course was made:\n" + "\n".join(findings)


@pytest.mark.parametrize("page", CHAPTER_PAGES, ids=lambda page: page.stem)
def test_chapter_page_opens_with_objectives_and_ends_with_self_checks(page: Path) -> None:
    text = page.read_text("utf-8")
    first_section = text.split("\n## ", 1)[0]

    objectives = re.search(
        r"```\{admonition\} In this chapter you will\n(.*?)\n```", first_section, re.DOTALL
    )
    assert objectives, f"{page.name}: no 'In this chapter you will' box before the first section"
    bullets = re.findall(r"^- ", objectives.group(1), re.MULTILINE)
    assert len(bullets) >= 3, f"{page.name}: fewer than 3 objectives"

    minutes = READING_TIME.search(objectives.group(1))
    assert minutes, f"{page.name}: no 'Reading time: about N minutes.' in the objectives box"
    expected = prose_words(text) / WORDS_PER_MINUTE
    assert abs(int(minutes.group(1)) - expected) <= max(2.0, 0.2 * expected), (
        f"{page.name}: reading time {minutes.group(1)} min, but the page reads in about "
        f"{expected:.0f} min at {WORDS_PER_MINUTE} words a minute"
    )

    sections = text.split("\n## ")
    last = sections[-1]
    assert last.startswith("Check yourself"), f"{page.name}: the last section is not the self-check"
    questions = re.findall(r"^\d+\. ", last, re.MULTILINE)
    answers = re.findall(r"```\{admonition\} Answer\n:class: dropdown\n", last)
    assert 2 <= len(questions) <= 3, f"{page.name}: {len(questions)} self-check questions"
    assert len(answers) == len(questions), f"{page.name}: every question needs a hidden answer"


CHAPTER_MENTION = re.compile(r"\bChapter (\d+)\b")


@pytest.mark.parametrize("page", CHAPTER_PAGES, ids=lambda p: p.stem)
def test_a_chapter_that_names_another_links_to_it(page: Path) -> None:
    """Cross-references: the page links each other chapter it names at least once."""
    text = page.read_text(encoding="utf-8")
    stems = {int(p.name[:2]): p.stem for p in CHAPTER_PAGES if not p.stem.endswith("browser")}
    named = {int(n) for n in CHAPTER_MENTION.findall(text)} & set(stems) - {int(page.name[:2])}
    unlinked = sorted(n for n in named if f"<{stems[n]}>`" not in text)
    assert not unlinked, (
        f"{page.name} names chapter(s) {unlinked} without a link; write the first mention as "
        "{doc}`Chapter N <NN-name>`"
    )
