"""Build the HTML book into _build/html so that it works with no internet.

Three steps:

1. Vendor the browser files the pages load (require.js, the ipywidgets HTML manager, MathJax 3
   with its fonts, reveal.js for the slide decks): the exact versions package-lock.json pins
   are downloaded once from the npm registry, checked against the lock file's integrity hashes
   and unpacked into node_modules/ (no Node.js needed), and the files the pages need are
   copied to _build/offline_static/vendor/, which _config.yml serves as static files. Both are
   skipped when they are already current.
2. Run Jupyter Book with warnings as errors (`-W -n --keep-going`). Sphinx rebuilds only the
   pages whose sources changed, so a second build with no changes takes seconds.
3. Build each chapter's slide deck into _build/html/slides/ (scripts/build_slides.py, a few
   seconds).

After the build the pages are scanned: any script, stylesheet, image or font that would be
fetched from another site fails the build, because the book must open in a workshop room
with no Wi-Fi.

Usage: python scripts/build_book.py [--all]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import tarfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NODE_MODULES = ROOT / "node_modules"
NPM_REGISTRY = "https://registry.npmjs.org"
HTML_DIR = ROOT / "_build" / "html"
OFFLINE_STATIC = ROOT / "_build" / "offline_static"
VENDOR = OFFLINE_STATIC / "vendor"

# Bump when the copied layout below changes, so existing builds re-vendor.
VENDOR_LAYOUT_VERSION = "2"

# (source under node_modules, destination under vendor/, file name patterns to copy).
# A pattern ending in "/" copies that whole folder.
VENDOR_FILES: list[tuple[str, str, tuple[str, ...]]] = [
    ("requirejs", "", ("require.js",)),
    (
        "@jupyter-widgets/html-manager/dist",
        "html-manager",
        # The manager loads its icon fonts from beside itself.
        ("embed-amd.js", "embed.js.LICENSE.txt", "*.woff2", "*.woff", "*.ttf", "*.eot", "*.svg"),
    ),
    (
        "mathjax/es5",
        "mathjax",
        # The combined TeX + MathML + CommonHTML component, plus what it loads on demand:
        # TeX extensions, its fonts, the menu and the accessibility tools.
        ("tex-mml-chtml.js", "input/", "output/chtml/", "ui/", "a11y/", "sre/"),
    ),
    ("mathjax", "mathjax", ("LICENSE",)),
    # The chapters' slide decks (scripts/build_slides.py): reveal.js, its white theme with the
    # theme's font (WOFF only: every browser that runs reveal.js 5 reads it, and the font
    # file's other formats would triple the size), and the speaker-notes plugin.
    ("reveal.js", "reveal.js", ("LICENSE",)),
    ("reveal.js/dist", "reveal.js/dist", ("reveal.js", "reveal.css", "reset.css")),
    ("reveal.js/dist/theme", "reveal.js/dist/theme", ("white.css",)),
    (
        "reveal.js/dist/theme/fonts/source-sans-pro",
        "reveal.js/dist/theme/fonts/source-sans-pro",
        ("source-sans-pro.css", "*.woff", "LICENSE"),
    ),
    ("reveal.js/plugin/notes", "reveal.js/plugin/notes", ("notes.js",)),
]

# Tags whose src/href makes the browser fetch something as part of showing the page. Plain
# hyperlinks (<a href>) to other sites are fine: they are only followed when clicked.
_FETCHING_ATTR = re.compile(
    r"<(?P<tag>script|link|img|iframe|source|video|audio|embed|object|input)\b[^>]*?"
    r"\b(?P<attr>src|href|data|poster|srcset)\s*=\s*[\"']?\s*(?P<url>(?:https?:)?//[^\"'\s>]+)",
    re.IGNORECASE,
)
_CSS_REMOTE_URL = re.compile(
    r"(?:url\(\s*[\"']?|@import\s+[\"'])(?P<url>(?:https?:)?//[^\"')\s]+)", re.IGNORECASE
)


class BuildError(RuntimeError):
    """A step of the book build failed; the message says what to do."""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _npm_stamp() -> Path:
    return NODE_MODULES / ".gentle-llm-lock.sha256"


def _lock_entries() -> list[tuple[str, str, str]]:
    """``(name, version, integrity)`` of each package package.json names, from the lock file."""
    lock_path, manifest_path = ROOT / "package-lock.json", ROOT / "package.json"
    for path in (lock_path, manifest_path):
        if not path.is_file():
            raise BuildError(f"{path} is missing; restore it with `git checkout -- {path.name}`.")
    lock = json.loads(lock_path.read_text(encoding="utf-8"))["packages"]
    names = json.loads(manifest_path.read_text(encoding="utf-8"))["dependencies"]
    return [
        (name, lock[f"node_modules/{name}"]["version"], lock[f"node_modules/{name}"]["integrity"])
        for name in sorted(names)
    ]


def check_integrity(data: bytes, integrity: str, what: str) -> None:
    """Refuse ``data`` unless it matches the lock file's Subresource-Integrity hash."""
    algorithm, _, expected = integrity.partition("-")
    if algorithm not in ("sha512", "sha384", "sha256"):
        raise BuildError(f"{what}: the lock file's integrity {integrity[:20]}... is not supported.")
    actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if actual != expected:
        raise BuildError(
            f"{what} does not match package-lock.json ({algorithm} {actual[:16]}... instead of "
            f"{expected[:16]}...): the download was damaged or replaced. Build again; if it "
            "keeps failing, do not use this network."
        )


def unpack_npm_tarball(data: bytes, destination: Path) -> None:
    """Unpack an npm package tarball (its files sit under ``package/``) into ``destination``.

    Only plain files and folders are written, and only inside ``destination``.
    """
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        members = []
        for member in archive.getmembers():
            parts = Path(member.name).parts
            # Kept although the "data" filter below refuses escapes too: Python 3.10.0-3.10.11
            # and 3.11.0-3.11.3 have no filter, and this names the package in a BuildError.
            if not parts or parts[0] != "package" or ".." in parts or member.name.startswith("/"):
                raise BuildError(f"unexpected path {member.name!r} in an npm package tarball")
            # Links and devices are skipped: the book needs none, and they could point outside.
            if len(parts) > 1 and (member.isdir() or member.isfile()):
                member.name = "/".join(parts[1:])  # drop the package/ folder
                members.append(member)
        # The standard library's "data" filter also refuses odd modes and absolute names, and
        # silences Python 3.12+'s warning about unfiltered extraction.
        safety = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        archive.extractall(destination, members=members, **safety)


def install_node_packages() -> bool:
    """Fetch the locked browser packages from the npm registry, unless already in place.

    No Node.js is needed: the tarballs that package-lock.json pins are downloaded once,
    checked against the lock file's integrity hashes, and unpacked into node_modules/. Their
    bundles are prebuilt, so none of their own dependencies is needed. True if it fetched.
    """
    wanted = _sha256(ROOT / "package-lock.json")
    stamp = _npm_stamp()
    if stamp.is_file() and stamp.read_text().strip() == wanted:
        return False
    print("Vendoring the book's browser files from the npm registry (once) ...", flush=True)
    for name, version, integrity in _lock_entries():
        url = f"{NPM_REGISTRY}/{name}/-/{name.split('/')[-1]}-{version}.tgz"
        try:
            with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310
                data = response.read()
        except OSError as error:
            raise BuildError(
                f"could not download {url} ({error}). The book serves MathJax and the widget "
                "manager itself and fetches them once from the npm registry; connect to the "
                "internet and build again (afterwards the book builds offline)."
            ) from None
        check_integrity(data, integrity, f"{name} {version}")
        folder = NODE_MODULES / name
        if folder.exists():
            shutil.rmtree(folder)
        unpack_npm_tarball(data, folder)
    NODE_MODULES.mkdir(exist_ok=True)
    stamp.write_text(wanted + "\n")
    return True


def _vendor_sources() -> Iterator[tuple[Path, Path]]:
    """Every (source file, destination file) pair the vendored static folder holds."""
    for source_dir, dest_dir, patterns in VENDOR_FILES:
        src_root = NODE_MODULES / source_dir
        dst_root = VENDOR / dest_dir
        for pattern in patterns:
            if pattern.endswith("/"):
                folder = src_root / pattern
                if not folder.is_dir():
                    raise BuildError(f"{folder} is missing; delete node_modules/ and build again.")
                for path in sorted(folder.rglob("*")):
                    if path.is_file():
                        yield path, dst_root / path.relative_to(src_root)
            else:
                matches = sorted(src_root.glob(pattern))
                if not matches:
                    raise BuildError(
                        f"No {pattern} in {src_root}; delete node_modules/ and build again."
                    )
                for path in matches:
                    yield path, dst_root / path.name


def vendor_static_files() -> bool:
    """Copy the files the pages load into _build/offline_static/vendor/. True if it copied."""
    stamp = OFFLINE_STATIC / ".stamp"
    wanted = f"{VENDOR_LAYOUT_VERSION} {_sha256(ROOT / 'package-lock.json')}"
    if stamp.is_file() and stamp.read_text().strip() == wanted:
        return False
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    for source, dest in _vendor_sources():
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, dest)
    stamp.write_text(wanted + "\n")
    return True


def find_remote_assets(html_dir: Path = HTML_DIR) -> list[str]:
    """Every place a built page or stylesheet would fetch something from another site."""
    problems = []
    for page in sorted(html_dir.rglob("*.html")):
        text = page.read_text(encoding="utf-8", errors="replace")
        for match in _FETCHING_ATTR.finditer(text):
            tag, url = match.group("tag").lower(), match.group("url")
            problems.append(f"{page.relative_to(html_dir)}: <{tag}> loads {url}")
        for match in _CSS_REMOTE_URL.finditer(text):
            problems.append(f"{page.relative_to(html_dir)}: inline CSS loads {match.group('url')}")
    for sheet in sorted((html_dir / "_static").rglob("*.css")):
        text = sheet.read_text(encoding="utf-8", errors="replace")
        for match in _CSS_REMOTE_URL.finditer(text):
            problems.append(f"{sheet.relative_to(html_dir)}: loads {match.group('url')}")
    return problems


def run_jupyter_book(rebuild_all: bool) -> int:
    """Build the HTML with warnings as errors; return Jupyter Book's exit status."""
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    if not jupyter_book.exists():
        raise BuildError(
            f"{jupyter_book} is missing. Install the book tools into this environment: "
            "`pip install -e '.[book]'` (or run `make book`)."
        )
    command = [str(jupyter_book), "build", str(ROOT), "-W", "-n", "--keep-going"]
    if rebuild_all:
        command.append("--all")
    return subprocess.run(command, cwd=ROOT).returncode


def build_slides() -> int:
    """Build the chapters' slide decks into the built site; return the script's exit status."""
    # A separate process: build_slides.py imports this module for the vendoring above.
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "build_slides.py")]).returncode


def build(rebuild_all: bool = False) -> int:
    """Vendor, build and check the book; return a process exit status."""
    start = time.perf_counter()
    try:
        install_node_packages()
        vendor_static_files()
        status = run_jupyter_book(rebuild_all)
    except BuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if status != 0:
        print(
            "error: the book build reported warnings or errors (listed above); they count as "
            "errors so that broken links, missing figures and bad markup never reach readers.",
            file=sys.stderr,
        )
        return status
    if build_slides() != 0:
        return 1
    remote = find_remote_assets()
    if remote:
        print("error: these pages would load files from the internet:", file=sys.stderr)
        for line in remote:
            print(f"  {line}", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - start
    index = HTML_DIR / "index.html"
    print(f"\nThe book is built ({seconds:.0f} s). Open it in a browser:")
    print(f"  {index.relative_to(ROOT)}   ({index.as_uri()})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--all", action="store_true", help="rebuild every page, not only the changed ones"
    )
    args = parser.parse_args(argv)
    return build(rebuild_all=args.all)


if __name__ == "__main__":
    sys.exit(main())
