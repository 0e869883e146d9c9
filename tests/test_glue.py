"""Chapter pages paste the labs' numbers with myst-nb's glue instead of copying them by hand.

A page that types a number a lab printed disagrees with the lab the day the lab changes. So
every number of three or more significant digits in a chapter page that also appears in its
lab's stored text outputs must be a ``{glue:text}`` reference, unless tests/typed_numbers.txt
lists it with its source (a model card's width, a paper's score, an input the lab was given).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from gentle_llm import notebook

ROOT = Path(__file__).resolve().parents[1]
TYPED = ROOT / "tests" / "typed_numbers.txt"

NUMBER = re.compile(r"(?<![\w.,])[-−]?\d[\d,]*(?:\.\d+)?(?![\w])")
GLUE_ROLE = re.compile(r"\{glue(?::\w+)?\}`[^`]*`")
FENCE = re.compile(r"\s*(`{3,}|~{3,})(.*)")
# A directive's option line (:alt:, :name:, :width:): alt text describes a picture, it is not
# text a reader of the page sees, and roles do not work there.
OPTION_LINE = re.compile(r"\s*:[\w-]+:")
LINK_TARGET = re.compile(r"\]\([^)]*\)|<https?://[^>]*>|https?://\S+")
YEAR = re.compile(r"(19|20)\d\d")


def significant_digits(number: str) -> int:
    digits = number.replace(",", "").replace(".", "").lstrip("-−").lstrip("0")
    return len(digits)


def normalise(number: str) -> str:
    return number.rstrip(",").replace(",", "").replace("−", "-")


def without_code_blocks(text: str) -> str:
    """Blank the lines of fenced code blocks, keeping ```{directive} blocks (a figure's
    caption is text a reader sees) and the line numbers."""
    lines, open_fences = text.splitlines(), []  # the fences open around the current line
    for i, line in enumerate(lines):
        fence = FENCE.match(line)
        in_code = any(not info.startswith("{") for _, info in open_fences)
        if fence and open_fences and fence.group(1) == open_fences[-1][0] and not fence.group(2):
            open_fences.pop()
            lines[i] = ""
        elif fence and not in_code:
            open_fences.append((fence.group(1), fence.group(2).strip()))
            lines[i] = ""
        elif in_code:
            lines[i] = ""
    return "\n".join(lines)


def page_numbers(text: str) -> list[tuple[int, str]]:
    """(line, number as written) for every number of 3+ significant digits a reader sees."""
    found = []
    for line_no, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("%") or OPTION_LINE.match(line):  # a MyST comment, an option
            continue
        line = LINK_TARGET.sub("", GLUE_ROLE.sub("", line))
        for match in NUMBER.finditer(line):
            number = match.group().rstrip(",")
            if significant_digits(number) >= 3 and not YEAR.fullmatch(number):
                found.append((line_no, number))
    return found


def lab_numbers(notebook_path: Path) -> set[str]:
    """Every number in a notebook's stored text outputs (printed text and text/plain values)."""
    numbers = set()
    for cell in json.loads(notebook_path.read_text(encoding="utf-8"))["cells"]:
        for output in cell.get("outputs", []):
            if "scrapbook" in output.get("metadata", {}):
                continue
            text = output.get("text") or output.get("data", {}).get("text/plain", "")
            text = "".join(text) if isinstance(text, list) else text
            numbers.update(normalise(m.group()) for m in NUMBER.finditer(text))
    return numbers


def chapter_labs() -> list[tuple[str, str]]:
    """(chapter page, its lab notebook) pairs, as _toc.yml nests them."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    pairs = []
    for part in toc["parts"]:
        for chapter in part.get("chapters", []):
            for section in chapter.get("sections", []):
                if (ROOT / f"{section['file']}.ipynb").exists():
                    pairs.append((chapter["file"], section["file"]))
    return pairs


def typed_numbers() -> dict[str, dict[str, str]]:
    """page -> {number: source} from tests/typed_numbers.txt (``page | number | source``)."""
    allowed: dict[str, dict[str, str]] = {}
    for line in TYPED.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        page, number, source = (part.strip() for part in line.split("|", 2))
        assert source, f"typed_numbers.txt: {page} {number} needs its source"
        allowed.setdefault(page, {})[normalise(number)] = source
    return allowed


def copied_numbers(page: str, lab: str, allowed: dict[str, str]) -> list[str]:
    text = without_code_blocks((ROOT / f"{page}.md").read_text(encoding="utf-8"))
    printed = lab_numbers(ROOT / f"{lab}.ipynb")
    return [
        f"{page}.md:{line}: {number}"
        for line, number in page_numbers(text)
        if normalise(number) in printed and normalise(number) not in allowed
    ]


GLUE_REFERENCE = re.compile(r"\{glue:text\}`([^`:]+)::(\w+):[^`]*`")


def glued_keys(notebook_path: Path) -> set[str]:
    return {
        output["metadata"]["scrapbook"]["name"]
        for cell in json.loads(notebook_path.read_text(encoding="utf-8"))["cells"]
        for output in cell.get("outputs", [])
        if "scrapbook" in output.get("metadata", {})
    }


def test_every_glue_reference_names_a_key_its_lab_stores() -> None:
    missing = []
    for page in sorted((ROOT / "chapters").glob("*.md")) + [ROOT / "intro.md"]:
        for line_no, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            for path, key in GLUE_REFERENCE.findall(line):
                lab = (page.parent / path).resolve()
                if not lab.exists() or key not in glued_keys(lab):
                    missing.append(f"{page.relative_to(ROOT)}:{line_no}: {path}::{key}")
    assert not missing, "glue references with no stored value (run the lab):\n" + "\n".join(missing)


def test_the_detector_finds_a_copied_number(tmp_path: Path) -> None:
    assert page_numbers("loss 1.823 after 600 steps, in 2024") == [(1, "1.823"), (1, "600")]
    assert page_numbers("pasted {glue:text}`lab.ipynb::loss` and [x](https://a.b/1.234)") == []
    assert page_numbers(":alt: a curve falling to 1.823") == []
    page = "```{figure} a.png\n:alt: 1.823\nfell to 2.345\n```\n```python\nx = 3.456\n```\n4.567"
    assert page_numbers(without_code_blocks(page)) == [(3, "2.345"), (8, "4.567")]
    assert significant_digits("0.0501") == 3 and significant_digits("49,152") == 5


def test_glue_writes_what_myst_nb_glue_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    import IPython.display
    from myst_nb.ext import glue as myst_glue

    shown = []

    def record(*objects, **kwargs):
        shown.append((objects, kwargs))

    monkeypatch.setattr(IPython.display, "display", record)
    monkeypatch.setattr(myst_glue, "ipy_display", record)
    notebook.glue("accuracy", 0.753, ".0%")
    myst_glue.glue("accuracy", "75%", display=False)
    ours, theirs = shown
    assert ours == theirs
    assert ours[0][0] == {"application/papermill.record/text/plain": "'75%'"}
