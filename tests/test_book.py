"""The book builds with warnings as errors, and every built page works in a browser offline.

The build runs once per test session (scripts/build_book.py, incremental, so fast when nothing
changed). Headless Chromium then opens every page from a loopback server, with every request
that would leave the machine blocked, and the tests below each check one thing a reader would
notice. Run them alone with `pytest -m book`.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import browser as browser_helpers
import pytest
import yaml
from browser import (
    ChromiumMissing,
    PageReport,
    chromium,
    chromium_path,
    open_page,
    page_problems,
    serve_directory,
)
from filelock import FileLock

ROOT = Path(__file__).resolve().parents[1]
HTML_DIR = ROOT / "_build" / "html"
BUILD_SCRIPT = ROOT / "scripts" / "build_book.py"

pytestmark = [pytest.mark.book, pytest.mark.xdist_group("book")]

# A word the intro page uses, so the search must find at least that page.
SEARCH_WORD = "tokenization"

_CELL_OUTPUTS_JS = """
() => Array.from(document.querySelectorAll(".cell_output")).map((el) => el.childElementCount)
"""

# Desktop and phone widths the layout checks use: a laptop, and a common phone (CSS pixels).
DESKTOP = (1280, 900)
PHONE = (390, 844)

# Shared by the two layout checks: a short name for an element, and "is it a scroll box".
_LAYOUT_HELPERS = """
  const scrolls = (el) => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
  const name = (el) => {
    const cls = typeof el.className === "string" && el.className.trim()
      ? "." + el.className.trim().split(/\\s+/)[0] : "";
    const text = (el.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 50);
    return el.tagName.toLowerCase() + cls + ' "' + text + '"';
  };
"""

# Every output area, table and code block either fits or scrolls sideways in its own box;
# and the page as a whole never scrolls sideways.
CLIPPED_JS = (
    "() => {"
    + _LAYOUT_HELPERS
    + """
  const problems = [];
  const main = document.querySelector("main") || document.body;
  const boxes = main.querySelectorAll(".cell_output, .cell_output .output, table, pre");
  for (const el of boxes) {
    if (el.scrollWidth > el.clientWidth + 1 && !scrolls(el)) {
      problems.push("clipped: " + name(el) + " needs " + el.scrollWidth + " px, has "
        + el.clientWidth + " px, and does not scroll");
    }
  }
  const page = document.scrollingElement || document.documentElement;
  if (page.scrollWidth > window.innerWidth + 1) {
    problems.push("the whole page scrolls sideways: " + page.scrollWidth + " px wide");
  }
  return problems;
}"""
)

# Nothing in the article sticks out of the text column, unless it sits in a scroll box that
# itself fits.
# Every figure or plot image shown smaller than its file must sit in a link to that file.
UNLINKED_FIGURES_JS = """
() => [...document.querySelectorAll('figure img, .cell_output img')]
  .filter(img => img.naturalWidth > img.clientWidth + 1)
  .filter(img => !img.getAttribute('src').startsWith('data:'))
  .filter(img => { const a = img.closest('a'); return !a || a.href !== img.src; })
  .map(img => img.getAttribute('src'))
"""
WIDER_THAN_COLUMN_JS = (
    "() => {"
    + _LAYOUT_HELPERS
    + """
  const column = document.querySelector("article.bd-article") || document.body;
  const edge = column.getBoundingClientRect().right + 1;
  const problems = [];
  const flagged = new Set();
  for (const el of column.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= edge) { continue; }
    let boxed = false;
    for (let up = el.parentElement; up && up !== column; up = up.parentElement) {
      if (scrolls(up) && up.getBoundingClientRect().right <= edge) { boxed = true; break; }
    }
    if (boxed) { continue; }
    flagged.add(el);
    if (!flagged.has(el.parentElement)) {  // name only the outermost element that sticks out
      problems.push("wider than the text column: " + name(el) + " reaches "
        + Math.round(box.right) + " px, the column ends at " + Math.round(edge - 1) + " px");
    }
  }
  return problems.slice(0, 20);
}"""
)


@dataclass
class BuildResult:
    returncode: int
    output: str
    seconds: float


@dataclass
class Visit:
    """What one page showed when Chromium opened it."""

    report: PageReport
    problems: list[str] = field(default_factory=list)
    cell_outputs: list[int] = field(default_factory=list)
    too_wide: list[str] = field(default_factory=list)  # at desktop width


def _toc_files() -> list[str]:
    """Every source file the table of contents names, without its extension, in order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(entries: list[dict]) -> None:
        for entry in entries:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections", []))
            walk(entry.get("chapters", []))

    walk(toc.get("parts", []))
    walk(toc.get("chapters", []))
    return files


def _toc_notebooks() -> list[Path]:
    return [ROOT / f"{name}.ipynb" for name in _toc_files() if (ROOT / f"{name}.ipynb").exists()]


def _shown_outputs(notebook: Path) -> int:
    """How many code cells of a notebook have outputs the book must show.

    A glued value (myst-nb's ``scrapbook`` output) is pasted into a chapter page, not shown.
    """
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    hidden = {"remove-output", "remove_output", "remove-cell", "remove_cell"}
    return sum(
        1
        for cell in cells
        if cell["cell_type"] == "code"
        and any("scrapbook" not in output.get("metadata", {}) for output in cell.get("outputs", []))
        and not hidden & set(cell.get("metadata", {}).get("tags", []))
    )


def _built_pages() -> list[str]:
    return sorted(
        page.relative_to(HTML_DIR).as_posix()
        for page in HTML_DIR.rglob("*.html")
        if page.relative_to(HTML_DIR).parts[0] not in {"_static", "_sources", "_images"}
    )


@pytest.fixture(scope="session")
def book_build() -> BuildResult:
    """Build the book once (a lock keeps parallel test workers from building at once)."""
    lock_path = ROOT / "_build" / ".book-build.lock"
    lock_path.parent.mkdir(exist_ok=True)
    with FileLock(str(lock_path)):
        start = time.perf_counter()
        completed = subprocess.run(
            [sys.executable, str(BUILD_SCRIPT)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=1800,
        )
    return BuildResult(
        completed.returncode, completed.stdout + completed.stderr, time.perf_counter() - start
    )


@pytest.fixture(scope="session")
def built_html(book_build: BuildResult) -> Path:
    if book_build.returncode != 0:
        pytest.fail("The book did not build; see test_book_builds_with_warnings_as_errors.")
    return HTML_DIR


@pytest.fixture(scope="session")
def browser():
    try:
        chromium_path()
    except ChromiumMissing as error:
        pytest.fail(str(error))
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="session")
def site(built_html: Path):
    with serve_directory(built_html) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def visits(built_html: Path, site: str, browser) -> dict[str, Visit]:
    """Open every built page once; the tests below each look at one kind of problem."""
    results = {}
    for rel in _built_pages():
        with open_page(browser, site + rel, viewport=DESKTOP) as (page, report):
            visit = Visit(report=report, problems=page_problems(page))
            visit.cell_outputs = page.evaluate(_CELL_OUTPUTS_JS)
            visit.too_wide = page.evaluate(WIDER_THAN_COLUMN_JS)
        results[rel] = visit
    return results


@pytest.fixture(scope="session")
def phone_visits(built_html: Path, site: str, browser) -> dict[str, tuple[list[str], list[str]]]:
    """Open every built page at phone width: what each shows clipped, and its figures that
    do not open full size on a tap."""
    results = {}
    for rel in _built_pages():
        with open_page(browser, site + rel, viewport=PHONE) as (page, _report):
            page_problems(page)  # waits for images and stored widgets, which take up room
            results[rel] = (page.evaluate(CLIPPED_JS), page.evaluate(UNLINKED_FIGURES_JS))
    return results


def _listing(problems: dict[str, list[str]]) -> str:
    return "\n".join(f"{page}: {line}" for page, lines in problems.items() for line in lines)


def test_book_builds_with_warnings_as_errors(book_build: BuildResult) -> None:
    if book_build.returncode != 0:
        clean = re.sub(r"\x1b\[[0-9;]*m", "", book_build.output)
        flagged = [line for line in clean.splitlines() if re.search(r"WARNING|ERROR|error:", line)]
        detail = "\n".join(flagged[:40]) or "\n".join(clean.splitlines()[-40:])
        pytest.fail(
            f"`python scripts/build_book.py` failed (exit {book_build.returncode}):\n{detail}"
        )
    assert (HTML_DIR / "index.html").is_file()


def test_every_toc_page_is_built(built_html: Path) -> None:
    missing = [name for name in _toc_files() if not (built_html / f"{name}.html").is_file()]
    assert missing == [], f"pages named in _toc.yml but not built: {missing}"


def _build_script():
    spec = importlib.util.spec_from_file_location("build_book", BUILD_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_page_loads_files_from_another_site(built_html: Path) -> None:
    assert _build_script().find_remote_assets(built_html) == []


def test_every_page_loads_offline_without_failed_requests(visits: dict[str, Visit]) -> None:
    problems = {
        rel: [line for line in v.report.problems() if not line.startswith("console error")]
        for rel, v in visits.items()
    }
    problems = {rel: lines for rel, lines in problems.items() if lines}
    assert not problems, "requests that failed or left the machine:\n" + _listing(problems)


def test_every_page_has_no_console_errors(visits: dict[str, Visit]) -> None:
    problems = {
        rel: [line for line in v.report.problems() if line.startswith("console error")]
        for rel, v in visits.items()
    }
    problems = {rel: lines for rel, lines in problems.items() if lines}
    assert not problems, "console errors:\n" + _listing(problems)


def test_images_math_and_widgets_render(visits: dict[str, Visit]) -> None:
    problems = {rel: v.problems for rel, v in visits.items() if v.problems}
    assert not problems, "what a reader would see broken:\n" + _listing(problems)


def test_every_notebook_output_is_shown(visits: dict[str, Visit]) -> None:
    notebooks = _toc_notebooks()
    assert notebooks, "_toc.yml names no notebook that exists"
    problems = {}
    for notebook in notebooks:
        rel = notebook.relative_to(ROOT).with_suffix(".html").as_posix()
        shown = visits[rel].cell_outputs
        expected = _shown_outputs(notebook)
        lines = []
        if len(shown) != expected:
            lines.append(f"{expected} cells have stored outputs but {len(shown)} output areas")
        if any(children == 0 for children in shown):
            lines.append(f"{shown.count(0)} output areas are empty")
        if lines:
            problems[rel] = lines
    assert not problems, "notebook outputs missing from the book:\n" + _listing(problems)


def test_nothing_is_clipped_on_a_phone(phone_visits: dict) -> None:
    problems = {rel: clipped for rel, (clipped, _) in phone_visits.items() if clipped}
    assert not problems, f"clipped at {PHONE[0]} px wide:\n" + _listing(problems)


def test_every_figure_opens_full_size_on_a_phone(phone_visits: dict) -> None:
    problems = {rel: unlinked for rel, (_, unlinked) in phone_visits.items() if unlinked}
    assert not problems, (
        f"figures shrunk at {PHONE[0]} px that a tap does not open full size "
        "(assets/js/figure-zoom.js):\n" + _listing(problems)
    )


def test_nothing_sticks_out_of_the_text_column_on_a_desktop(visits: dict[str, Visit]) -> None:
    problems = {rel: v.too_wide for rel, v in visits.items() if v.too_wide}
    assert not problems, f"wider than the text column at {DESKTOP[0]} px:\n" + _listing(problems)


def _search(browser, url: str) -> tuple[str, list[str], PageReport]:
    with open_page(browser, url) as (page, report):
        page.wait_for_selector("#search-results .search-summary:not(:empty)", timeout=20_000)
        summary = page.inner_text("#search-results .search-summary")
        links = page.eval_on_selector_all(
            "#search-results ul.search li a", "(els) => els.map((a) => a.getAttribute('href'))"
        )
    return summary, links, report


def test_search_works_offline_from_the_server(site: str, browser) -> None:
    summary, links, report = _search(browser, f"{site}search.html?q={quote(SEARCH_WORD)}")
    assert report.problems() == []
    assert "found" in summary and links, f"search for {SEARCH_WORD!r} found nothing: {summary}"
    assert any(link.startswith("intro.html") for link in links), links


def test_search_works_offline_from_a_file_url(built_html: Path, browser) -> None:
    # Readers may open _build/html/index.html straight from disk (the build says to).
    url = f"{(built_html / 'search.html').as_uri()}?q={quote(SEARCH_WORD)}"
    summary, links, report = _search(browser, url)
    assert report.problems() == []
    assert "found" in summary and links, f"search for {SEARCH_WORD!r} found nothing: {summary}"


def test_pages_work_from_a_file_url(built_html: Path, browser) -> None:
    pages = ["intro.html"] + [
        n.relative_to(ROOT).with_suffix(".html").as_posix() for n in _toc_notebooks()[:1]
    ]
    problems = {}
    for rel in pages:
        with open_page(browser, (built_html / rel).as_uri()) as (page, report):
            lines = report.problems() + page_problems(page)
        if lines:
            problems[rel] = lines
    assert not problems, "problems when opened from disk:\n" + _listing(problems)


def test_launch_buttons_open_each_notebook_in_colab(built_html: Path) -> None:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    repo = config["repository"]["url"].removeprefix("https://github.com/").strip("/")
    branch = config["repository"]["branch"]
    colab = config["launch_buttons"]["colab_url"].rstrip("/")
    for notebook in _toc_notebooks():
        path = notebook.relative_to(ROOT).as_posix()
        page = (built_html / path).with_suffix(".html").read_text(encoding="utf-8")
        expected = f"{colab}/github/{repo}/blob/{branch}/{path}"
        colab_links = set(re.findall(r'href="(https://colab\.research\.google\.com/[^"]+)"', page))
        assert colab_links == {expected}, f"{path}: Colab links {colab_links}, want {expected}"


# The checks above must be able to fail: the same helpers on pages broken on purpose.


def test_remote_asset_scan_flags_loaded_files_not_hyperlinks(tmp_path: Path) -> None:
    (tmp_path / "_static").mkdir()
    (tmp_path / "page.html").write_text(
        '<script src="https://cdn.example.org/require.min.js"></script>'
        '<link rel="stylesheet" href="//cdn.example.org/theme.css">'
        '<a href="https://example.org/paper.pdf">a paper</a>'
    )
    (tmp_path / "_static" / "fonts.css").write_text(
        "@font-face { src: url('https://fonts.example.org/x.woff2'); }"
    )
    found = _build_script().find_remote_assets(tmp_path)
    assert len(found) == 3, found
    assert not any("paper.pdf" in line for line in found)


def test_missing_chromium_fails_with_the_install_command(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(browser_helpers, "CHROMIUM", tmp_path / "no-chromium")
    with pytest.raises(ChromiumMissing, match="apt-get install chromium"):
        chromium_path()


def test_browser_check_catches_a_broken_page(tmp_path: Path, browser) -> None:
    # 127.0.0.2 is a loopback address too, but not the test server's: the guard must block it
    # as "leaving", so this test sends nothing off the machine.
    (tmp_path / "index.html").write_text(
        """<!DOCTYPE html><html><body>
        <script src="http://127.0.0.2:9/cdn/require.min.js"></script>
        <img src="missing.png" alt="a figure that was never generated">
        <span class="math">\\(x^2\\)</span>
        <div class="cell_output"><script type="application/vnd.jupyter.widget-view+json">
        {"version_major": 2, "version_minor": 0, "model_id": "abc"}</script></div>
        <script>console.error("boom");</script>
        </body></html>"""
    )
    with serve_directory(tmp_path) as base:
        with open_page(browser, base + "index.html") as (page, report):
            problems = page_problems(page, widget_timeout_ms=500)
    assert report.outside_requests == ["http://127.0.0.2:9/cdn/require.min.js"]
    assert any("missing.png" in line for line in report.failed_requests)
    assert any("boom" in line for line in report.console_errors)
    assert "image did not load: missing.png" in problems
    assert "the page has math but MathJax did not load" in problems
    assert "widget 1 of 1 did not render" in problems


def test_layout_checks_catch_clipping_and_overflow(tmp_path: Path, browser) -> None:
    wide = "x" * 300
    (tmp_path / "index.html").write_text(
        f"""<!DOCTYPE html><html><body style="margin:0"><main>
        <article class="bd-article" style="width:300px">
        <div class="cell_output" style="overflow:hidden"><pre id="a">{wide}</pre></div>
        <pre style="overflow-x:auto">{wide}</pre>
        <table style="width:600px"><tr><td>a table wider than the column</td></tr></table>
        <div style="overflow-x:auto"><table style="width:600px"><tr><td>boxed</td></tr>
        </table></div>
        </article></main></body></html>"""
    )
    with serve_directory(tmp_path) as base:
        with open_page(browser, base + "index.html", viewport=(390, 600)) as (page, _):
            clipped = page.evaluate(CLIPPED_JS)
            too_wide = page.evaluate(WIDER_THAN_COLUMN_JS)
    # the pre that does not scroll, and the output area around it, are clipped; the pre
    # with overflow-x: auto and the boxed table are fine
    assert any(line.startswith('clipped: pre "xxx') for line in clipped), clipped
    assert any(line.startswith("clipped: div.cell_output") for line in clipped), clipped
    assert len([line for line in clipped if line.startswith("clipped:")]) == 2, clipped
    assert any("the whole page scrolls sideways" in line for line in clipped), clipped
    assert any('table "a table wider' in line for line in too_wide), too_wide
    assert not any("boxed" in line for line in too_wide), too_wide


def test_phone_check_fails_on_a_real_page_without_the_scroll_rules(site: str, browser) -> None:
    # Lab 2 has wide printed tables and long code lines; with sideways scrolling switched
    # off (what the theme and assets/css/book.css switch on), the check must see them.
    with open_page(browser, site + "notebooks/02-tokenization.html", viewport=PHONE) as (
        page,
        _,
    ):
        assert page.evaluate(CLIPPED_JS) == []
        page.add_style_tag(
            content=".cell_output, .cell_output .output, .cell_output pre, .cell_input pre,"
            " .gllm-tokens { overflow: visible !important; }"
        )
        assert len(page.evaluate(CLIPPED_JS)) > 5
