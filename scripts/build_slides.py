"""Build one reveal.js slide deck per chapter from the chapter pages, into _build/html/slides/.

Each deck is made from its chapter's MyST page (the main page when a chapter has two): a title
slide with the objectives, one slide per section with its lists, display equations and
figures, the lab's explorer where it has one, and one slide per self-check question. The
section's prose becomes the speaker notes (press S in a deck); answers sit in the notes too.

The page is parsed with markdown-it-py configured by myst-parser (the parser the book uses);
``{glue:text}`` numbers are read from the labs' stored outputs with myst-nb's own functions, so
a deck shows the numbers the book shows, and a number the lab does not store stops the build.

The decks load reveal.js and MathJax 3 from the book's vendored static files
(``_static/vendor/``, filled by scripts/build_book.py from package-lock.json), never from a
CDN; this script vendors them itself when the book has not been built yet.

Usage: python scripts/build_slides.py [--out DIR]
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import nbformat
from jinja2 import Template
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from myst_nb.core.variables import format_plain_text
from myst_nb.ext.glue import extract_glue_data
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser

sys.path.insert(0, str(Path(__file__).resolve().parent))  # scripts/ is not a package
import build_book  # noqa: E402

ROOT = build_book.ROOT
SLIDES_DIR = build_book.HTML_DIR / "slides"
# Relative to a deck: the book's vendored browser files and its pages.
STATIC = "../_static/vendor"
BOOK = ".."

# What fits on a 1280 x 720 slide at the deck's font size, in characters of text.
TEXT_BUDGET = 520
LEAD_BUDGET = 300
MAX_EQUATIONS = 2
# Sections shown their own way (prose-only sections get their first sentences).
TAKEAWAY_TITLES = ("Key takeaways", "Key ideas")
CHECK_TITLE = "Check yourself"
LAB_TITLES = ("Try it", "In the lab")
# Where a chapter's explorer lives: the lab output that holds it, or a book page to link to.
EXPLORER_MARKERS = ("gllm-tokens", "glm-attn", "glm-samp")
IN_PAGE_GPT = {"06": ("chapters/06-gpt-in-your-browser", "Your tiny GPT, running in the book")}


class SlideError(RuntimeError):
    """A chapter page cannot become a deck; the message says where and what to do."""


def _shown(path: Path) -> str:
    """A path as an error message names it: relative to the repository when inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def book_root(page: Path) -> Path:
    """The book's root folder: the one that holds chapters/ and notebooks/."""
    return page.resolve().parent.parent


@dataclass
class Slide:
    title: str
    body: str  # HTML
    notes: str = ""  # HTML
    classes: str = ""


@dataclass
class Deck:
    chapter: str  # "04"
    name: str  # "04-attention", the page's file stem and the deck's name
    title: str
    slides: list[Slide] = field(default_factory=list)
    figures: set[Path] = field(default_factory=set)


class _Logger:
    """What myst-nb's glue extraction reports (a key glued twice) becomes a build error."""

    def __init__(self, notebook: Path) -> None:
        self.notebook = notebook

    def warning(self, message: str, **_: Any) -> None:
        raise SlideError(f"{_shown(self.notebook)}: {message}")


@cache
def glued_values(notebook: Path) -> dict[str, Any]:
    """Every glued output a lab stores, by key, as myst-nb reads it for the book."""
    if not notebook.is_file():
        raise SlideError(f"{notebook} is missing: a chapter page pastes numbers from it.")
    book = nbformat.read(notebook, as_version=4)
    return extract_glue_data(book, [0] * len(book.cells), _Logger(notebook))


def glue_text(reference: str, page: Path) -> str:
    """The text ``{glue:text}`path::key:fmt``` shows in the book (myst-nb's formatting)."""
    path, sep, key_fmt = reference.partition("::")
    if not sep:
        raise SlideError(f"{_shown(page)}: glue reference {reference!r} names no lab")
    key, _, fmt = key_fmt.partition(":")
    notebook = (page.parent / path).resolve()
    outputs = glued_values(notebook)
    if key not in outputs:
        raise SlideError(
            f"{_shown(page)}: glue key {key!r} is not stored in "
            f"{_shown(notebook)}; run that lab (scripts/run_notebook.py) so it "
            "stores the value, or fix the key."
        )
    return format_plain_text(outputs[key]["data"]["text/plain"], fmt)


_EXPLICIT_TARGET = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.DOTALL)


def _role_parts(content: str) -> tuple[str, str]:
    """``text <target>`` -> (text, target); a bare ``target`` -> ("", target)."""
    match = _EXPLICIT_TARGET.match(content.strip())
    return (match["text"], match["target"]) if match else ("", content.strip())


def book_link(target: str, page: Path) -> str:
    """A ``{doc}`` target of ``page`` as a link from a deck to the built book page."""
    source = (page.parent / target).resolve().relative_to(book_root(page))
    return f"{BOOK}/{source.as_posix()}.html"


def _page_title(source: Path) -> str:
    for ext in (".md", ".ipynb"):
        path = source.with_suffix(ext)
        if path.is_file():
            heading = re.search(r"^# (.+)$", path.read_text(encoding="utf-8"), re.MULTILINE)
            if heading:
                return heading.group(1).strip().strip('"')
    return source.name


class SlideRenderer(RendererHTML):
    """HTML for slides: MyST roles become plain text, links and pasted numbers; math is marked
    for MathJax. ``env["page"]`` is the chapter page being rendered."""

    def myst_role(self, tokens: list[Token], idx: int, options: Any, env: dict) -> str:
        token, page = tokens[idx], env["page"]
        name = token.meta["name"]
        if name == "glue:text":
            return html.escape(glue_text(token.content, page))
        text, target = _role_parts(token.content)
        if name == "doc":
            label = text or _page_title((page.parent / target).resolve())
            return f'<a href="{html.escape(book_link(target, page))}">{html.escape(label)}</a>'
        if name in ("term", "ref", "numref", "abbr"):
            return html.escape(text or target)
        raise SlideError(f"{_shown(page)}: the {{{name}}} role has no slide form yet")

    def math_inline(self, tokens: list[Token], idx: int, options: Any, env: dict) -> str:
        return f'<span class="math">\\({html.escape(tokens[idx].content)}\\)</span>'

    def math_block(self, tokens: list[Token], idx: int, options: Any, env: dict) -> str:
        return f'<div class="math">\\[{html.escape(tokens[idx].content.strip())}\\]</div>\n'

    math_block_label = math_block

    def amsmath(self, tokens: list[Token], idx: int, options: Any, env: dict) -> str:
        return self.math_block(tokens, idx, options, env)

    def myst_target(self, tokens: list[Token], idx: int, options: Any, env: dict) -> str:
        return ""

    myst_line_comment = myst_target

    def html_block(self, tokens: list[Token], idx: int, options: Any, env: dict) -> str:
        # Raw HTML of a page (comments on figure sources, embedded explorers) is not shown.
        return ""

    def link_open(self, tokens: list[Token], idx: int, options: Any, env: dict) -> str:
        href = tokens[idx].attrGet("href") or ""
        if href.startswith(("http://", "https://")):
            tokens[idx].attrSet("target", "_blank")  # a deck stays open in its own tab
            tokens[idx].attrSet("rel", "noopener")
        return self.renderToken(tokens, idx, options, env)


@cache
def markdown_parser() -> MarkdownIt:
    """markdown-it with the MyST extensions _config.yml enables, rendering slide HTML."""
    config = MdParserConfig(
        enable_extensions={"amsmath", "colon_fence", "deflist", "dollarmath", "attrs_inline"}
    )
    md = create_md_parser(config, SlideRenderer)
    # myst-parser's plugins register their own HTML for roles and math; the slide forms win.
    for name in ("myst_role", "math_inline", "math_block", "math_block_label", "amsmath"):
        md.add_render_rule(name, getattr(SlideRenderer, name))
    md.add_render_rule("myst_target", SlideRenderer.myst_target)
    md.add_render_rule("myst_line_comment", SlideRenderer.myst_line_comment)
    return md


def _blocks(tokens: list[Token]) -> list[list[Token]]:
    """Split a token stream into its top-level blocks (a paragraph, a list, a fence ...)."""
    blocks, current, depth = [], [], 0
    for token in tokens:
        current.append(token)
        depth += token.nesting
        if depth == 0:
            blocks.append(current)
            current = []
    return blocks


def _directive(fence: Token) -> tuple[str, str, dict[str, str], str]:
    """(name, argument, options, body) of a ```{name} argument fenced directive."""
    match = re.match(r"\{(?P<name>[\w:-]+)\}\s*(?P<arg>.*)", fence.info.strip())
    if not match:
        return "", fence.info.strip(), {}, fence.content
    options, lines = {}, fence.content.splitlines()
    while lines and (option := re.match(r":([\w-]+):\s*(.*)", lines[0])):
        options[option.group(1)] = option.group(2)
        lines.pop(0)
    return match["name"], match["arg"], options, "\n".join(lines).strip()


def _plain(html_text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", html_text)).strip()


_SENTENCE_END = re.compile(r"(?<=[.!?:])\s+(?=[A-Z(<])")


def _balanced(fragment: str) -> bool:
    """True if an HTML fragment closes every element and every inline formula it opens."""
    opened = len(re.findall(r"<(?!/|br\b|img\b|hr\b)\w", fragment))
    return opened == fragment.count("</") and fragment.count("\\(") == fragment.count("\\)")


def _first_sentences(paragraph_html: str, budget: int = LEAD_BUDGET) -> str:
    """The first sentences of a paragraph that fit in ``budget`` characters (at least one).

    A cut falls only at a sentence end outside any element or formula, so markup stays whole.
    """
    if len(_plain(paragraph_html)) <= budget:
        return paragraph_html
    kept = paragraph_html
    for end in _SENTENCE_END.finditer(paragraph_html):
        head = paragraph_html[: end.start()]
        if not _balanced(head):
            continue
        if kept is not paragraph_html and len(_plain(head)) > budget:
            break
        kept = head
    return kept


def _lead(paragraph_html: str) -> str:
    """A slide's lead: the first sentences, without a last one that introduces what the slide
    leaves out (a sentence ending in a colon announces a table, code or a list)."""
    lead = _first_sentences(paragraph_html)
    ends = [end.start() for end in _SENTENCE_END.finditer(lead) if _balanced(lead[: end.start()])]
    if lead.endswith(":") and ends and not lead[: ends[-1]].endswith(":"):
        return lead[: ends[-1]]
    return lead


def _shorten_item(item_html: str, budget: int = 220) -> str:
    """A list item cut to its first paragraph's first sentences, so a slide holds several."""
    if item_html.startswith("<p>"):
        item_html = item_html.removeprefix("<p>").split("</p>")[0]
    return item_html if len(_plain(item_html)) <= budget else _first_sentences(item_html, budget)


@dataclass
class Section:
    title: str
    blocks: list[list[Token]]


def _sections(tokens: list[Token]) -> tuple[str, list[list[Token]], list[Section]]:
    """(page title, blocks before the first section, sections at ## and ### headings)."""
    title, intro, sections = "", [], []
    for block in _blocks(tokens):
        head = block[0]
        if head.type == "heading_open" and head.tag == "h1":
            title = block[1].content
        elif head.type == "heading_open" and head.tag in ("h2", "h3"):
            sections.append(Section(block[1].content, []))
        elif sections:
            sections[-1].blocks.append(block)
        else:
            intro.append(block)
    return title, intro, sections


class DeckBuilder:
    """Turns one chapter page into a Deck."""

    def __init__(self, page: Path) -> None:
        self.page = page
        self.md = markdown_parser()
        self.env: dict[str, Any] = {"page": page}
        self.deck = Deck(chapter=page.name[:2], name=page.stem, title="")

    def render(self, blocks: list[list[Token]]) -> str:
        return "".join(self.md.renderer.render(b, self.md.options, self.env) for b in blocks)

    def render_markdown(self, text: str) -> str:
        return self.render(_blocks(self.md.parse(text, self.env)))

    def inline(self, text: str) -> str:
        return self.md.renderInline(text, self.env)

    def build(self) -> Deck:
        tokens = self.md.parse(self.page.read_text(encoding="utf-8"), self.env)
        title, intro, sections = _sections(tokens)
        self.deck.title = self.inline(title)
        self.title_slide(intro)
        for section in sections:
            if section.title in TAKEAWAY_TITLES:
                self.list_slides(section.title, section.blocks)
            elif section.title == CHECK_TITLE:
                self.check_slides(section.blocks)
            else:
                self.section_slides(section)
                if section.title in LAB_TITLES:
                    self.explorer_slide()
        return self.deck

    def title_slide(self, intro: list[list[Token]]) -> None:
        objectives, objectives_title, reading, notes = "", "", "", []
        for block in intro:
            name, arg, _, body = _directive(block[0]) if block[0].type == "fence" else ("",) * 4
            if name == "admonition" and not objectives:
                objectives_title = html.escape(arg)
                for inner in _blocks(self.md.parse(body, self.env)):
                    text = _plain(self.render([inner]))
                    if inner[0].type == "bullet_list_open":
                        objectives = self.render([inner])
                    elif reading_time := re.match(r"Reading time:[^.]*\.", text):
                        reading = reading_time.group()  # not the link to this deck after it
            elif block[0].type == "paragraph_open":
                notes.append(self.render([block]))
        body = (
            f'<p class="kicker">Chapter {int(self.deck.chapter)}</p>'
            f"<h1>{self.deck.title}</h1>"
            + (f'<p class="reading">{html.escape(reading)}</p>' if reading else "")
        )
        self.deck.slides.append(Slide("", body, "".join(notes), "title-slide"))
        if objectives:
            self.deck.slides.append(Slide(objectives_title, objectives, "", "objectives"))

    def figure_slide(self, title: str, block: Token) -> Slide:
        _, path, options, caption = _directive(block)
        image = (self.page.parent / path).resolve()
        if not image.is_file():
            raise SlideError(f"{_shown(self.page)}: figure {path} is missing")
        self.deck.figures.add(image)
        caption_html = self.render_markdown(caption)
        first = _first_sentences(caption_html.removeprefix("<p>").split("</p>")[0], 200)
        alt = html.escape(options.get("alt", ""), quote=True)
        body = (
            # A click opens the full-size figure, as in the book.
            f'<figure><a href="figures/{image.name}"><img src="figures/{image.name}" alt="{alt}">'
            "</a>"
            f"<figcaption>{first}</figcaption></figure>"
        )
        return Slide(title, body, caption_html, "figure-slide")

    def section_slides(self, section: Section) -> None:
        title = self.inline(section.title)
        paragraphs, lists, equations, figures, notes = [], [], [], [], []
        for block in section.blocks:
            kind = block[0].type
            if kind == "paragraph_open":
                rendered = self.render([block])
                paragraphs.append(rendered)
                notes.append(rendered)
            elif kind in ("bullet_list_open", "ordered_list_open"):
                lists.append(block)
                notes.append(self.render([block]))
            elif kind in ("math_block", "math_block_label", "amsmath"):
                equations.append(self.render([block]))
            elif kind == "fence":
                name, arg, _, body = _directive(block[0])
                if name == "figure":
                    figures.append(block[0])
                elif name == "admonition":
                    notes.append(f"<p><strong>{html.escape(arg)}.</strong></p>")
                    notes.append(self.render_markdown(body))
        note_html = "".join(notes)
        shown = equations[:MAX_EQUATIONS]
        # A section with only prose and figures is shown by its figures alone.
        text_slide = bool(lists or equations or not figures)
        if lists:
            self.list_slides(section.title, lists[:1], note_html, equations=shown)
        elif text_slide:
            lead = paragraphs[0].removeprefix("<p>").split("</p>")[0] if paragraphs else ""
            lead_html = f'<p class="lead">{_lead(lead)}</p>' if lead else ""
            if not (lead_html or shown):  # a heading whose text is all in its subsections
                self.deck.slides.append(Slide("", f"<h2>{title}</h2>", note_html, "divider"))
            else:
                self.deck.slides.append(Slide(title, lead_html + "".join(shown), note_html))
        for figure in figures:
            slide = self.figure_slide(title, figure)
            if not text_slide:
                slide.notes = note_html + slide.notes  # the prose goes with the figure
            self.deck.slides.append(slide)

    def list_slides(
        self,
        title: str,
        blocks: list[list[Token]],
        notes: str = "",
        equations: list[str] | None = None,
    ) -> None:
        """The items of the section's first list, split over as many slides as they need."""
        items: list[str] = []
        for block in blocks:
            if block[0].type not in ("bullet_list_open", "ordered_list_open"):
                continue
            for item in _blocks(block[1:-1]):
                items.append(_shorten_item(self.render(_blocks(item[1:-1]))))
            break
        budget = TEXT_BUDGET - 120 * len(equations or [])
        total = len(_plain("".join(items)))
        # As many slides as the text needs, filled evenly rather than leaving a last straggler.
        target = total / max(1, -(-total // budget))
        pages: list[list[str]] = [[]]
        for item in items:
            filled = len(_plain("".join(pages[-1])))
            if pages[-1] and (filled >= target or filled + len(_plain(item)) > budget):
                pages.append([])
            pages[-1].append(item)
        for number, page in enumerate(pages, 1):
            heading = self.inline(title)
            if len(pages) > 1:
                heading += f" ({number}/{len(pages)})"
            body = "<ul>" + "".join(f"<li>{item}</li>" for item in page) + "</ul>"
            if number == 1 and equations:
                body = "".join(equations) + body
            self.deck.slides.append(Slide(heading, body, notes if number == 1 else ""))

    def check_slides(self, blocks: list[list[Token]]) -> None:
        """One slide per question; its answer goes in the speaker notes."""
        questions: list[tuple[str, list[str]]] = []
        for block in blocks:
            kind = block[0].type
            if kind == "ordered_list_open":
                for item in _blocks(block[1:-1]):
                    questions.append((self.render(_blocks(item[1:-1])), []))
            elif kind == "fence" and questions:
                name, arg, _, body = _directive(block[0])
                if name == "admonition":
                    questions[-1][1].append(self.render_markdown(body))
            elif kind == "paragraph_open" and questions:
                questions[-1] = (questions[-1][0] + self.render([block]), questions[-1][1])
        for number, (question, answers) in enumerate(questions, 1):
            notes = "<p><strong>Answer.</strong></p>" + "".join(answers)
            title = f"{CHECK_TITLE} ({number}/{len(questions)})"
            if not question.startswith("<"):
                question = f"<p>{question}</p>"  # a tight list's item is bare text
            self.deck.slides.append(Slide(title, question, notes, "question"))

    def explorer_slide(self) -> None:
        """The lab's in-page explorer, when it has one, or a link to the page that runs it."""
        root = book_root(self.page)
        notebooks = sorted((root / "notebooks").glob(f"{self.deck.chapter}-*.ipynb"))
        explorer = _first_explorer(notebooks[0]) if notebooks else None
        if explorer is not None:
            link = f"{BOOK}/{notebooks[0].relative_to(root).with_suffix('.html').as_posix()}"
            body = (
                f'<div class="explorer">{explorer}</div>'
                f'<p class="small">From the <a href="{link}">lab page</a>, where it works '
                "the same way.</p>"
            )
            self.deck.slides.append(Slide("Explore it", body, "", "explorer-slide"))
        if self.deck.chapter in IN_PAGE_GPT:
            page, label = IN_PAGE_GPT[self.deck.chapter]
            body = (
                f'<p class="lead"><a href="{BOOK}/{page}.html">{html.escape(label)}</a>: '
                "the model of this chapter generates text right in the browser, no Python "
                "needed.</p>"
            )
            self.deck.slides.append(Slide("Explore it", body))


def _first_explorer(notebook: Path) -> str | None:
    """The HTML of the first kernel-free explorer a lab stores (the smallest one that fits)."""
    found = []
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        for output in cell.get("outputs", []):
            text = output.get("data", {}).get("text/html")
            text = "".join(text) if isinstance(text, list) else text
            if text and any(f'class="{marker}' in text[:200] for marker in EXPLORER_MARKERS):
                found.append(text)
    return min(found, key=len) if found else None


def chapter_pages() -> list[Path]:
    """One page per chapter number: the main page (06-gpt-in-your-browser is the second)."""
    pages: dict[str, Path] = {}
    second_pages = {Path(page).stem for page, _ in IN_PAGE_GPT.values()}
    for page in sorted((ROOT / "chapters").glob("[0-9][0-9]-*.md")):
        if page.stem not in second_pages:
            pages.setdefault(page.name[:2], page)
    return [pages[number] for number in sorted(pages)]


DECK_TEMPLATE = Template(
    """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ plain_title }} · slides</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{{ static }}/reveal.js/dist/reset.css">
<link rel="stylesheet" href="{{ static }}/reveal.js/dist/reveal.css">
<link rel="stylesheet" href="{{ static }}/reveal.js/dist/theme/white.css">
<style>
  .reveal { font-size: 30px; --r-heading-text-transform: none; }
  .reveal .slides section { text-align: left; }
  .reveal h1 { font-size: 1.9em; }
  .reveal h2 { font-size: 1.3em; margin-bottom: 0.6em; }
  .reveal .title-slide, .reveal .divider { text-align: center; }
  .reveal .kicker, .reveal .reading, .reveal .small, .reveal figcaption { color: #555; }
  .reveal .small, .reveal figcaption { font-size: 0.65em; }
  .reveal ul, .reveal ol { display: block; margin-left: 1.2em; }
  .reveal li { margin-bottom: 0.35em; }
  .reveal li p { margin: 0; }
  .reveal .lead { font-size: 1.05em; line-height: 1.45; }
  .reveal figure { margin: 0; text-align: center; }
  .reveal figure img { max-width: 100%; max-height: 510px; margin: 0 auto; }
  .reveal figcaption { margin-top: 0.4em; text-align: left; }
  .reveal .explorer { max-height: 540px; overflow: auto; font-size: 16px; text-align: left; }
  .reveal code { font-size: 0.9em; }
  .reveal .math { font-size: 0.95em; }
</style>
<script>
  // MathJax 3 from the book's own copy: \\( \\) inline, \\[ \\] display.
  window.MathJax = { startup: { typeset: true } };
</script>
<script defer src="{{ static }}/mathjax/tex-mml-chtml.js"></script>
</head>
<body>
<div class="reveal"><div class="slides">
{% for slide in slides %}<section{% if slide.classes %} class="{{ slide.classes }}"{% endif %}>
{% if slide.title %}<h2>{{ slide.title }}</h2>
{% endif %}{{ slide.body }}
{% if slide.notes %}<aside class="notes">{{ slide.notes }}</aside>
{% endif %}</section>
{% endfor %}</div></div>
<script src="{{ static }}/reveal.js/dist/reveal.js"></script>
<script src="{{ static }}/reveal.js/plugin/notes/notes.js"></script>
<script>
  Reveal.initialize({
    width: 1280, height: 720, margin: 0.04, hash: true, slideNumber: "c/t",
    transition: "fade", plugins: [RevealNotes],
  });
</script>
</body>
</html>
"""
)


def _write_if_changed(path: Path, data: bytes) -> None:
    # An unchanged deck is left alone, so a browser test reading the site while another test
    # rebuilds the decks never sees a half-written file.
    if not path.is_file() or path.read_bytes() != data:
        path.write_bytes(data)


def write_deck(deck: Deck, out: Path) -> Path:
    """Write the deck's HTML and copy its figures beside it; return the HTML file."""
    (out / "figures").mkdir(parents=True, exist_ok=True)
    for figure in sorted(deck.figures):
        _write_if_changed(out / "figures" / figure.name, figure.read_bytes())
    target = out / f"{deck.name}.html"
    page = DECK_TEMPLATE.render(
        slides=deck.slides, static=STATIC, plain_title=html.escape(_plain(deck.title))
    )
    _write_if_changed(target, page.encode("utf-8"))
    return target


def ensure_vendored_files(html_dir: Path) -> None:
    """Put the vendored reveal.js and MathJax where the decks load them, if the book build
    has not already (Sphinx copies _build/offline_static to _static on every book build)."""
    build_book.install_node_packages()
    build_book.vendor_static_files()
    for source, dest in build_book._vendor_sources():
        placed = html_dir / "_static" / "vendor" / dest.relative_to(build_book.VENDOR)
        if not placed.is_file() or placed.stat().st_size != source.stat().st_size:
            placed.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, placed)


def build(out: Path = SLIDES_DIR) -> list[Path]:
    """Build every chapter's deck into ``out`` (a folder of the built site); return them."""
    ensure_vendored_files(out.parent)
    return [write_deck(DeckBuilder(page).build(), out) for page in chapter_pages()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SLIDES_DIR, help="folder of the decks")
    args = parser.parse_args(argv)
    try:
        decks = build(args.out.resolve())
    except (SlideError, build_book.BuildError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{len(decks)} slide decks in {args.out} (open one in a browser; S shows the notes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
