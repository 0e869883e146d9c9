"""The instructor guide's agendas add up, and every lab has its instructor note.

An agenda in chapters/instructor-guide.md is a Markdown table with a "minutes" column whose
last row is its total (a cell of that row says "total"). The minutes of the other rows must add
up to the total exactly; where the table has a "time" column, each row must start when the row
before it ends (a "day" column starts the clock again); and a heading that gives the agenda's
length ("A 90-minute briefing", "A 3-hour workshop") must agree with the total.

Every lab notebook in notebooks/ must have its note in the guide: a heading that names "Lab N"
and links the notebook, with what learners should see, where they stall and the exercise to do
live, and a row in the table "How long the labs take". Each problem is reported with the
guide's line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "chapters" / "instructor-guide.md"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))

SEPARATOR = re.compile(r"^\s*\|(?:\s*:?-{3,}:?\s*\|)+\s*$")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
CLOCK = re.compile(r"(\d{1,2}):(\d{2})")
LENGTH = re.compile(r"\b(\d+)-(minute|hour)\b", re.IGNORECASE)
LAB = re.compile(r"\bLab (\d+)\b")
# What each lab's note must say, as the run-in labels of its list.
NOTE_PARTS = ("learners should see", "where they stall", "do live")
TIMINGS_HEADING = "How long the labs take"


@dataclass
class Table:
    line: int  # 1-based line of the header row
    heading: str  # the nearest heading above the table
    header: list[str]
    rows: list[list[str]]


def cells(row: str) -> list[str]:
    """The cells of a Markdown table row, stripped (no cell of the guide holds a "|")."""
    return [cell.strip() for cell in row.strip().removeprefix("|").removesuffix("|").split("|")]


def tables(text: str) -> list[Table]:
    """Every Markdown table of a page outside code fences, with the heading above it."""
    lines = text.splitlines()
    found: list[Table] = []
    heading, fence, i = "", None, 0
    while i < len(lines):
        line = lines[i]
        opening = FENCE.match(line)
        if fence is not None:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = None
        elif opening:
            fence = opening.group(1)
        elif match := HEADING.match(line):
            heading = match.group(2)
        elif line.lstrip().startswith("|") and i + 1 < len(lines) and SEPARATOR.match(lines[i + 1]):
            rows, j = [], i + 2
            while j < len(lines) and lines[j].lstrip().startswith("|"):
                rows.append(cells(lines[j]))
                j += 1
            found.append(Table(i + 1, heading, cells(line), rows))
            i = j
            continue
        i += 1
    return found


def agendas(text: str) -> list[Table]:
    """The tables with a "minutes" column."""
    return [t for t in tables(text) if "minutes" in (h.lower() for h in t.header)]


def whole_number(cell: str) -> int | None:
    """The number in a cell such as "25" or "**180**", or None."""
    text = cell.replace("*", "").strip()
    return int(text) if text.isdigit() else None


def clock(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


def agenda_problems(table: Table) -> list[str]:
    """What is wrong with an agenda: minutes that do not add up, start times that do not follow."""
    where = f"{GUIDE.name}:{table.line} ({table.heading})"
    header = [h.lower() for h in table.header]
    col = header.index("minutes")
    is_total = [
        any("total" in cell.lower() for k, cell in enumerate(row) if k != col) for row in table.rows
    ]
    if sum(is_total) != 1 or not is_total[-1]:
        return [f"{where}: needs exactly one total row, as its last row"]
    problems = []
    body, total_row = table.rows[:-1], table.rows[-1]
    total = whole_number(total_row[col]) if len(total_row) > col else None
    if total is None:
        problems.append(f"{where}: the total row has no number of minutes")
    minutes = []
    for n, row in enumerate(body, start=table.line + 2):
        if len(row) != len(header):
            problems.append(f"{where}: line {n} has {len(row)} cells, the header {len(header)}")
            continue
        value = whole_number(row[col])
        if value is None or value <= 0:
            problems.append(f"{where}: line {n} has no number of minutes: {row[col]!r}")
            continue
        minutes.append((n, row, value))
    if total is not None and sum(m for _, _, m in minutes) != total:
        problems.append(
            f"{where}: the rows add up to {sum(m for _, _, m in minutes)} minutes, "
            f"the total row says {total}"
        )
    stated = LENGTH.search(table.heading)
    if stated and total is not None:
        length = int(stated.group(1)) * (60 if stated.group(2).lower() == "hour" else 1)
        if length != total:
            problems.append(f"{where}: the heading says {length} minutes, the total row {total}")
    if "time" in header:
        time_col = header.index("time")
        day_col = header.index("day") if "day" in header else None
        previous: tuple[str, int] | None = None
        for n, row, value in minutes:
            start = CLOCK.fullmatch(row[time_col])
            if not start:
                problems.append(f"{where}: line {n} has no start time: {row[time_col]!r}")
                previous = None
                continue
            begins = int(start.group(1)) * 60 + int(start.group(2))
            day = row[day_col] if day_col is not None else ""
            if previous and previous[0] == day and begins != previous[1]:
                problems.append(
                    f"{where}: line {n} starts at {row[time_col]}, but the row before it ends "
                    f"at {clock(previous[1])}"
                )
            previous = (day, begins + value)
    return problems


def lab_notes(text: str) -> dict[int, tuple[int, str]]:
    """Lab number -> (line, text) of the section under the first heading that names that lab."""
    lines = text.splitlines()
    notes: dict[int, tuple[int, str]] = {}
    for i, line in enumerate(lines):
        heading = HEADING.match(line)
        lab = LAB.search(heading.group(2)) if heading else None
        if not heading or not lab or int(lab.group(1)) in notes:
            continue
        level, end = len(heading.group(1)), i + 1
        while end < len(lines):
            below = HEADING.match(lines[end])
            if below and len(below.group(1)) <= level:
                break
            end += 1
        notes[int(lab.group(1))] = (i + 1, "\n".join(lines[i:end]))
    return notes


def lab_number(notebook: Path) -> int:
    return int(notebook.name[:2])


# --- the checker can fail ------------------------------------------------------------------

PLANTED = """\
### A 1-hour session

| time | minutes | what |
| --- | ---: | --- |
| 0:00 | 20 | one |
| 0:20 | 25 | two |
| 0:45 | 15 | three |
| | **60** | **total** |

### Two days

| day | time | minutes | what |
| --- | --- | ---: | --- |
| 1 | 9:00 | 30 | one |
| 1 | 9:30 | 30 | two |
| 2 | 9:00 | 45 | three |
| | | **105** | **total** |
"""


def test_checker_passes_tables_that_add_up() -> None:
    found = agendas(PLANTED)
    assert [t.heading for t in found] == ["A 1-hour session", "Two days"]
    assert [agenda_problems(t) for t in found] == [[], []]


def test_checker_finds_a_changed_minute_a_wrong_total_and_a_gap() -> None:
    one_more = agendas(PLANTED.replace("| 0:20 | 25 |", "| 0:20 | 26 |"))[0]
    assert any("add up to 61" in p for p in agenda_problems(one_more)), agenda_problems(one_more)
    assert any("starts at 0:45" in p for p in agenda_problems(one_more))
    # The rows and the start times agree, but the total and the heading's hour do not.
    wrong_total = agendas(PLANTED.replace("**60**", "**65**"))[0]
    problems = agenda_problems(wrong_total)
    assert any("total row says 65" in p for p in problems), problems
    assert any("heading says 60 minutes" in p for p in problems), problems
    no_total = agendas(PLANTED.replace("| | **60** | **total** |\n", ""))[0]
    assert agenda_problems(no_total) == [
        f"{GUIDE.name}:3 (A 1-hour session): needs exactly one total row, as its last row"
    ]
    gap = agendas(PLANTED.replace("| 1 | 9:30 |", "| 1 | 9:40 |"))[1]
    assert any("starts at 9:40" in p for p in agenda_problems(gap)), agenda_problems(gap)


def test_lab_notes_end_at_the_next_heading() -> None:
    text = "## Notes\n\n### Chapter 1 and Lab 1\n\none\n\n### Lab 10\n\nten\n\n## After\n\nnot\n"
    notes = lab_notes(text)
    assert sorted(notes) == [1, 10]
    assert notes[1] == (3, "### Chapter 1 and Lab 1\n\none\n")
    assert "not" not in notes[10][1]


# --- the guide ------------------------------------------------------------------------------

GUIDE_TEXT = GUIDE.read_text(encoding="utf-8")
AGENDAS = agendas(GUIDE_TEXT)


def test_the_guide_has_its_four_agendas() -> None:
    assert len(AGENDAS) >= 4, [t.heading for t in AGENDAS]
    lengths = [t.heading for t in AGENDAS if LENGTH.search(t.heading)]
    assert any("90-minute" in h for h in lengths) and any("3-hour" in h for h in lengths)


@pytest.mark.parametrize("table", AGENDAS, ids=lambda t: t.heading)
def test_agenda_minutes_add_up(table: Table) -> None:
    problems = agenda_problems(table)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("table", AGENDAS, ids=lambda t: t.heading)
def test_changing_one_minute_of_the_guide_is_caught(table: Table) -> None:
    """Add 5 minutes to the first row of the real agenda: the check must fail."""
    lines = GUIDE_TEXT.splitlines()
    col = [h.lower() for h in table.header].index("minutes")
    row = cells(lines[table.line + 1])  # the first row below the separator
    row[col] = str(int(row[col]) + 5)
    lines[table.line + 1] = "| " + " | ".join(row) + " |"
    changed = [t for t in agendas("\n".join(lines)) if t.line == table.line]
    assert len(changed) == 1
    assert any("add up to" in p for p in agenda_problems(changed[0]))


def test_every_lab_has_its_note() -> None:
    assert NOTEBOOKS, "no lab notebooks found"
    notes = lab_notes(GUIDE_TEXT)
    problems = []
    for notebook in NOTEBOOKS:
        number = lab_number(notebook)
        if number not in notes:
            problems.append(f"{notebook.name}: no heading in {GUIDE.name} names Lab {number}")
            continue
        line, note = notes[number]
        if f"../notebooks/{notebook.stem}" not in note:
            problems.append(f"{GUIDE.name}:{line}: the note on Lab {number} does not link it")
        problems += [
            f"{GUIDE.name}:{line}: the note on Lab {number} does not say {part!r}"
            for part in NOTE_PARTS
            if part not in note.lower()
        ]
    assert not problems, "\n".join(problems)


def test_every_lab_has_a_row_in_the_timings_table() -> None:
    timings = [t for t in tables(GUIDE_TEXT) if t.heading == TIMINGS_HEADING]
    assert len(timings) == 1, f"expected one table under {TIMINGS_HEADING!r}"
    first_cells = [row[0] for row in timings[0].rows]
    missing = [
        nb.name
        for nb in NOTEBOOKS
        if not any(f"../notebooks/{nb.stem}>" in cell for cell in first_cells)
    ]
    assert not missing, f"no row in {TIMINGS_HEADING!r} for: " + ", ".join(missing)
