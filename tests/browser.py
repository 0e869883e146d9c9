"""Helpers for tests that look at the built book the way a reader does: in a real browser.

- `serve_directory(path)` serves a folder on a loopback HTTP server on a free port.
- `chromium()` starts Debian's headless Chromium through Playwright (Playwright cannot download
  its own browser here, and the book must not need one).
- `open_page(browser, url)` opens a page in a fresh browser context that blocks every request
  leaving the machine, and reports failed requests, blocked requests and console errors, while
  the test goes on using the page (clicking an explorer, for example).
- `page_problems(page)` checks what a reader would notice: images that did not load, math that
  MathJax did not typeset, stored widgets that did not render, widget JSON shown as text.

Example::

    with serve_directory(html_dir) as base, chromium() as browser:
        with open_page(browser, base + "notebooks/04-attention.html") as (page, report):
            page.click("button.head-3")
        assert report.problems() == []
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Request,
    Response,
    Route,
    sync_playwright,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDGET_VIEW_SELECTOR = 'script[type="application/vnd.jupyter.widget-view+json"]'
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# Schemes that never touch the network.
LOCAL_SCHEMES = frozenset({"data", "blob", "about", "file", "chrome-error"})


class ChromiumMissing(RuntimeError):
    """Debian's Chromium is not installed where the browser checks expect it."""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        # Test output should show problems, not an access log.
        pass


@contextlib.contextmanager
def serve_directory(root: Path) -> Iterator[str]:
    """Serve `root` over HTTP on 127.0.0.1 and a free port; yield the base URL (ends in "/")."""
    if not Path(root).is_dir():
        raise FileNotFoundError(f"cannot serve {root}: not a folder")
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="book-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def chromium_path() -> Path:
    """Path of Debian's Chromium, or a ChromiumMissing error that says how to install it."""
    if not CHROMIUM.exists():
        raise ChromiumMissing(
            f"{CHROMIUM} is missing. The book's browser checks use Debian's Chromium: install it "
            "with `apt-get install chromium` (as root; run `apt-get update` first)."
        )
    return CHROMIUM


@contextlib.contextmanager
def no_running_event_loop() -> Iterator[None]:
    """Let Playwright's sync API start even if an earlier test left an event loop marked running.

    A test worker that ran notebooks first (nbval drives Jupyter kernels through asyncio, with
    nest-asyncio) can be left with a loop marked as running; Playwright's sync API then refuses
    to start. Nothing is actually running at that point, so the mark is cleared and restored.
    """
    leftover = asyncio.events._get_running_loop()
    asyncio.events._set_running_loop(None)
    try:
        yield
    finally:
        asyncio.events._set_running_loop(leftover)


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    """Start headless Chromium (Debian's) and close it afterwards."""
    executable = chromium_path()
    with no_running_event_loop(), sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(executable), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class PageReport:
    """What went wrong while a page loaded and while a test used it."""

    url: str
    failed_requests: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        """Every problem as one line, prefixed by its kind; empty when the page was clean."""
        return (
            [f"request left the machine: {url}" for url in self.outside_requests]
            + [f"request failed: {line}" for line in self.failed_requests]
            + [f"console error: {line}" for line in self.console_errors]
        )


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or parts.hostname in LOOPBACK_HOSTS


@contextlib.contextmanager
def open_page(
    browser: Browser,
    url: str,
    *,
    timeout_ms: int = 120_000,
    viewport: tuple[int, int] = (1280, 900),
) -> Iterator[tuple[Page, PageReport]]:
    """Open `url` in a fresh context; yield the page and its (still growing) report.

    The timeout is generous because `make test` runs a lab on the other core meanwhile: a book
    page that loads in 2 to 3 s on a quiet machine once took over 30 s there.

    Every request to a host other than the loopback is recorded and blocked, so a page that
    would need the internet fails here even on a machine that has it.
    """
    report = PageReport(url=url)
    context = browser.new_context(
        viewport={"width": viewport[0], "height": viewport[1]}, service_workers="block"
    )
    context.set_default_timeout(timeout_ms)

    def guard(route: Route) -> None:
        if _is_local(route.request.url):
            route.continue_()
        else:
            report.outside_requests.append(route.request.url)
            route.abort("blockedbyclient")

    def on_failed(request: Request) -> None:
        if _is_local(request.url):
            report.failed_requests.append(f"{request.url} ({request.failure})")

    def on_response(response: Response) -> None:
        if response.status >= 400:
            report.failed_requests.append(f"{response.url} (HTTP {response.status})")

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url", "")
            report.console_errors.append(f"{message.text} [{where}]")

    def on_page_error(error: Exception) -> None:
        report.console_errors.append(f"uncaught: {error}")

    context.route("**/*", guard)
    page = context.new_page()
    page.on("requestfailed", on_failed)
    page.on("response", on_response)
    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    try:
        page.goto(url, wait_until="load")
        page.wait_for_load_state("networkidle")
        yield page, report
    finally:
        context.close()


_IMAGES_JS = """
async () => {
  const images = Array.from(document.images);
  // Lazy images below the fold would never load in a headless window; load them all.
  for (const img of images) { img.loading = "eager"; }
  await Promise.all(images.map((img) => img.decode().catch(() => null)));
  return images
    .filter((img) => !img.complete || img.naturalWidth === 0)
    .map((img) => img.getAttribute("src") || "(no src)");
}
"""

_MATH_JS = """
async () => {
  const math = Array.from(document.querySelectorAll(".math"));
  if (math.length === 0) { return []; }
  if (!window.MathJax || !window.MathJax.startup || !window.MathJax.startup.promise) {
    return ["the page has math but MathJax did not load"];
  }
  await window.MathJax.startup.promise;
  const problems = [];
  for (const el of math) {
    if (!el.querySelector("mjx-container")) {
      problems.push("math not typeset: " + el.textContent.trim().slice(0, 60));
    } else if (el.querySelector("mjx-merror")) {
      problems.push("TeX error in: " + el.textContent.trim().slice(0, 60));
    }
  }
  return problems;
}
"""

_WIDGETS_READY_JS = """
() => Array.from(
  document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')
).every((s) => {
  const area = s.previousElementSibling;
  return area && area.classList.contains("widget-subarea") && area.childElementCount > 0;
})
"""

_WIDGETS_JS = """
() => {
  const problems = [];
  const views = document.querySelectorAll(
    'script[type="application/vnd.jupyter.widget-view+json"]');
  views.forEach((s, i) => {
    const area = s.previousElementSibling;
    if (!area || !area.classList.contains("widget-subarea") || area.childElementCount === 0) {
      problems.push("widget " + (i + 1) + " of " + views.length + " did not render");
    } else if (area.getBoundingClientRect().height === 0) {
      problems.push("widget " + (i + 1) + " of " + views.length + " rendered with no height");
    }
  });
  const text = document.body.innerText;
  for (const marker of ['"model_id"', "application/vnd.jupyter.widget", "Loading widget"]) {
    if (text.includes(marker)) {
      problems.push("widget data shown as text: " + marker);
    }
  }
  return problems;
}
"""


def page_problems(page: Page, *, widget_timeout_ms: int = 15_000) -> list[str]:
    """What a reader would see broken on the open page: images, math and stored widgets."""
    problems = [f"image did not load: {src}" for src in page.evaluate(_IMAGES_JS)]
    problems += page.evaluate(_MATH_JS)
    if page.query_selector(WIDGET_VIEW_SELECTOR) is not None:
        with contextlib.suppress(Exception):
            # A timeout here is reported below, widget by widget.
            page.wait_for_function(_WIDGETS_READY_JS, timeout=widget_timeout_ms)
    problems += page.evaluate(_WIDGETS_JS)
    return problems
