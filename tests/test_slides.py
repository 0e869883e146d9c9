"""Every chapter has a slide deck built from its page, and every deck works offline in Chromium.

The first tests check the conversion (scripts/build_slides.py) on small pages made here and on
the real chapters, with no browser. The last ones, marked ``book``, build the decks into
_build/html/slides/ and open each in headless Chromium with every request that would leave
the machine blocked, like the book's own browser check (tests/test_book.py).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from browser import (
    ChromiumMissing,
    chromium,
    chromium_path,
    open_page,
    page_problems,
    serve_directory,
)
from filelock import FileLock

from gentle_llm.notebook import GLUE_PREFIX

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "build_slides.py"


@pytest.fixture(scope="module")
def slides():
    spec = importlib.util.spec_from_file_location("build_slides", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def _lab(path: Path, values: dict[str, str]) -> None:
    """A lab notebook whose stored outputs glue ``values``, as gentle_llm.notebook.glue does."""
    outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={GLUE_PREFIX + "text/plain": repr(text)},
            metadata={"scrapbook": {"name": name, "mime_prefix": GLUE_PREFIX}},
        )
        for name, text in values.items()
    ]
    lab = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("", outputs=outputs)])
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(lab, path)


PAGE = """# Attention in brief

```{admonition} In this chapter you will
:class: tip

- compute attention;
- count heads.

Reading time: about 5 minutes.
```

Tokens talk to each other through {term}`attention <Attention>`.

## Scores

Each {term}`query <Query, key and value>` meets each key, as {doc}`Chapter 3 <03-embeddings>`
prepared. The weight of *cat* is {glue:text}`../notebooks/99-demo.ipynb::cat_weight:s`. A
second sentence the slide leaves out.

$$
w = \\mathrm{softmax}(q \\cdot k)
$$

## A picture

The figure shows it.

```{figure} ../figures/demo.png
:alt: Two boxes joined by an arrow.

Queries point at keys. More about the picture.
```

## Key takeaways

* Attention averages values.
* Heads run side by side.

## Check yourself

1. Why divide by the square root of $d$?

```{admonition} Answer
:class: dropdown
So the softmax does not saturate.
```
"""


@pytest.fixture
def page(tmp_path: Path) -> Path:
    """A small chapter page in a book folder of its own, with its lab and its figure."""
    (tmp_path / "chapters").mkdir()
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "demo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    _lab(tmp_path / "notebooks" / "99-demo.ipynb", {"cat_weight": "0.93"})
    page = tmp_path / "chapters" / "99-demo.md"
    page.write_text(PAGE, encoding="utf-8")
    return page


def test_a_page_becomes_title_section_figure_takeaway_and_question_slides(slides, page) -> None:
    deck = slides.DeckBuilder(page).build()
    assert deck.title == "Attention in brief"
    titles = [slide.title for slide in deck.slides]
    assert titles == [
        "",
        "In this chapter you will",
        "Scores",
        "A picture",
        "Key takeaways",
        "Check yourself (1/1)",
    ]
    title, objectives, scores, picture, takeaways, question = deck.slides
    assert "Reading time: about 5 minutes." in title.body and "Chapter 99" in title.body
    assert "Tokens talk to each other through attention." in title.notes
    assert objectives.body.count("<li>") == 2
    # The slide keeps the first sentences and the equation; the prose goes to the notes.
    assert "Chapter 3</a>" in scores.body and "Chapter 3</a>" in scores.notes
    assert '<div class="math">\\[w = \\mathrm{softmax}(q \\cdot k)\\]</div>' in scores.body
    assert '<img src="figures/demo.png" alt="Two boxes joined by an arrow.">' in picture.body
    assert '<a href="figures/demo.png"><img' in picture.body  # a click opens it full size
    assert "Queries point at keys." in picture.body and "More about" in picture.notes
    assert deck.figures == {page.parent.parent / "figures" / "demo.png"}
    assert takeaways.body.count("<li>") == 2
    assert '<span class="math">\\(d\\)</span>' in question.body
    assert "So the softmax does not saturate." in question.notes


def test_a_long_paragraph_is_cut_at_a_sentence_end(slides) -> None:
    text = "First one is here. " + "Second, longer sentence with more words. " * 10
    assert slides._first_sentences(text.strip(), 60) == "First one is here. " + (
        "Second, longer sentence with more words."
    )
    assert slides._first_sentences("One <em>long. Part</em> stays whole.", 5) == (
        "One <em>long. Part</em> stays whole."
    )


def test_a_lead_drops_a_last_sentence_that_announces_what_is_left_out(slides) -> None:
    assert slides._lead("The model reads a template. It looks like this:") == (
        "The model reads a template."
    )
    assert slides._lead("It looks like this:") == "It looks like this:"


def test_myst_roles_become_plain_html(slides, page) -> None:
    scores = slides.DeckBuilder(page).build().slides[2]
    assert "{term}" not in scores.body + scores.notes and "myst role" not in scores.notes
    assert "Each query meets each key" in scores.notes
    assert '<a href="../chapters/03-embeddings.html">Chapter 3</a>' in scores.notes


def test_glued_numbers_are_pasted_as_the_book_shows_them(slides, page) -> None:
    scores = slides.DeckBuilder(page).build().slides[2]
    assert "The weight of <em>cat</em> is 0.93." in scores.body


def test_a_glue_key_the_lab_does_not_store_fails_clearly(slides, page) -> None:
    page.write_text(PAGE.replace("::cat_weight:s", "::dog_weight:s"), encoding="utf-8")
    with pytest.raises(slides.SlideError, match=r"glue key 'dog_weight' is not stored in .*99"):
        slides.DeckBuilder(page).build()


def test_a_missing_figure_fails_clearly(slides, page) -> None:
    (page.parent.parent / "figures" / "demo.png").unlink()
    with pytest.raises(slides.SlideError, match="figure ../figures/demo.png is missing"):
        slides.DeckBuilder(page).build()


def test_one_deck_per_chapter_from_its_main_page(slides) -> None:
    pages = slides.chapter_pages()
    assert [page.name[:2] for page in pages] == [f"{n:02d}" for n in range(1, 15)]
    assert ROOT / "chapters" / "06-pretraining.md" in pages


@pytest.fixture(scope="module")
def decks(slides) -> dict[str, object]:
    return {page.stem: slides.DeckBuilder(page).build() for page in slides.chapter_pages()}


def test_every_real_deck_has_objectives_sections_notes_and_questions(decks) -> None:
    for name, deck in decks.items():
        titles = [slide.title for slide in deck.slides]
        assert titles[1] == "In this chapter you will", name
        assert len(deck.slides) >= 10, name
        assert sum(bool(slide.notes) for slide in deck.slides) >= 5, name
        assert any(title.startswith("Check yourself") for title in titles), name
        leftover = re.compile(r"\{(?:term|doc|ref|glue:text)\}`|myst role")
        assert not [s.title for s in deck.slides if leftover.search(s.body + s.notes)], name


def test_decks_paste_the_labs_stored_numbers(decks) -> None:
    # The same value the book shows, read here straight from the lab's stored output.
    lab = json.loads((ROOT / "notebooks" / "04-attention.ipynb").read_text(encoding="utf-8"))
    stored = {
        output["metadata"]["scrapbook"]["name"]: output["data"][GLUE_PREFIX + "text/plain"]
        for cell in lab["cells"]
        for output in cell.get("outputs", [])
        if "scrapbook" in output.get("metadata", {})
    }
    value = ast.literal_eval(stored["ate_weight_cat"])  # the repr of a str, as glue writes
    notes = "".join(slide.notes for slide in decks["04-attention"].slides)
    assert value in notes


def test_explorers_appear_in_the_decks_of_their_chapters(decks) -> None:
    with_explorer = {
        name for name, deck in decks.items() if any(s.title == "Explore it" for s in deck.slides)
    }
    assert {"02-tokenization", "04-attention", "06-pretraining", "07-sampling"} <= with_explorer


def test_every_chapter_page_links_to_its_deck(slides) -> None:
    deck_of = {page.name[:2]: page.stem for page in slides.chapter_pages()}
    for page in sorted((ROOT / "chapters").glob("[0-9][0-9]-*.md")):
        lines = page.read_text(encoding="utf-8").splitlines()
        reading = next(i for i, line in enumerate(lines) if line.startswith("Reading time"))
        href = f"../slides/{deck_of[page.name[:2]]}.html"
        assert href in lines[reading + 1], f"{page.name}: no link to {href} after the reading time"


# --- In the browser -------------------------------------------------------------------------

HTML_DIR = ROOT / "_build" / "html"

_READY_JS = "() => window.Reveal && Reveal.isReady()"

# Every slide, laid out at the deck's 1280 x 720, fits without scrolling. MathJax's copy of
# each formula for screen readers is invisible but has a width, so it is left out of the measure.
_OVERFLOW_JS = """
() => {
  const { width, height } = Reveal.getConfig();
  const hide = document.head.appendChild(document.createElement("style"));
  hide.textContent = "mjx-assistive-mml { display: none !important; }";
  const problems = [];
  Reveal.getSlides().forEach((slide, i) => {
    Reveal.slide(i);
    if (slide.scrollHeight > height + 1 || slide.scrollWidth > width + 1) {
      const title = (slide.querySelector("h1, h2") || slide).textContent.trim().slice(0, 50);
      problems.push(`slide ${i + 1} "${title}" needs ${slide.scrollWidth} x `
        + `${slide.scrollHeight} px, has ${width} x ${height}`);
    }
  });
  Reveal.slide(0);
  hide.remove();
  return problems;
}
"""


@pytest.fixture(scope="module")
def built_decks() -> list[str]:
    """Build the decks into the site (the book build's lock keeps workers from colliding)."""
    lock = ROOT / "_build" / ".book-build.lock"
    lock.parent.mkdir(exist_ok=True)
    with FileLock(str(lock)):
        done = subprocess.run(
            [sys.executable, str(SCRIPT)], cwd=ROOT, capture_output=True, text=True, timeout=600
        )
    assert done.returncode == 0, done.stdout + done.stderr
    return sorted(p.relative_to(HTML_DIR).as_posix() for p in (HTML_DIR / "slides").glob("*.html"))


@pytest.fixture(scope="module")
def deck_browser():
    try:
        chromium_path()
    except ChromiumMissing as error:
        pytest.fail(str(error))
    with chromium() as browser:
        yield browser


@pytest.mark.book
@pytest.mark.xdist_group("book")
def test_every_deck_works_offline_in_chromium(built_decks: list[str], deck_browser) -> None:
    assert len(built_decks) == 14
    problems: dict[str, list[str]] = {}
    with serve_directory(HTML_DIR) as base:
        for rel in built_decks:
            with open_page(deck_browser, base + rel, viewport=(1280, 720)) as (page, report):
                page.wait_for_function(_READY_JS)
                lines = page_problems(page)  # images loaded, math typeset
                lines += page.evaluate(_OVERFLOW_JS)
                if page.evaluate("() => document.querySelectorAll('aside.notes').length") == 0:
                    lines.append("no speaker notes")
                page.keyboard.press("ArrowRight")
                if page.evaluate("() => Reveal.getIndices().h") != 1:
                    lines.append("ArrowRight did not go to the second slide")
                lines += report.problems()
            if lines:
                problems[rel] = lines
    assert not problems, "\n".join(f"{rel}: {line}" for rel, ls in problems.items() for line in ls)


@pytest.mark.book
@pytest.mark.xdist_group("book")
def test_the_deck_check_sees_a_slide_that_overflows(
    built_decks: list[str], deck_browser, slides, tmp_path: Path
) -> None:
    # The measure above must be able to fail: a deck whose one slide is far too tall, served
    # beside the site's vendored files.
    (tmp_path / "_static").symlink_to(HTML_DIR / "_static", target_is_directory=True)
    (tmp_path / "slides").mkdir()
    tall = [slides.Slide("Tall", "<p>line</p>" * 40)]
    html = slides.DECK_TEMPLATE.render(slides=tall, static=slides.STATIC, plain_title="Tall")
    (tmp_path / "slides" / "tall.html").write_text(html, encoding="utf-8")
    with serve_directory(tmp_path) as base:
        with open_page(deck_browser, base + "slides/tall.html") as (page, report):
            page.wait_for_function(_READY_JS)
            overflow = page.evaluate(_OVERFLOW_JS)
    assert report.problems() == []
    assert len(overflow) == 1 and 'slide 1 "Tall" needs' in overflow[0], overflow
