"""Give every lab the same setup cell and a Colab link, both built from _config.yml.

    python scripts/sync_notebooks.py            # rewrite the labs in place
    python scripts/sync_notebooks.py --check    # exit 1 and name the labs that differ

The repository's address lives in one place, `_config.yml` (`repository.url` and `branch`):
the book's launch buttons are built from it by Jupyter Book, and this script writes it into
each lab's first code cell (the line that installs the package on Colab) and into the link to
Colab at the end of each lab's first markdown cell. tests/test_colab.py runs the check.
Only cell sources change; stored outputs stay as they are.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
COLAB_LINE = re.compile(r"^\*\*Run it:\*\*.*$", re.MULTILINE)


def repository() -> tuple[str, str, str]:
    """(GitHub URL, branch, Colab URL) from _config.yml."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    url = config["repository"]["url"].rstrip("/")
    return url, config["repository"]["branch"], config["launch_buttons"]["colab_url"].rstrip("/")


def setup_cell_source() -> str:
    url, _, _ = repository()
    return (
        "# Setup: install gentle_llm on Colab if needed,\n"
        "# pick the device, seed everything.\n"
        "try:\n"
        "    import gentle_llm\n"
        "except ImportError:  # on Colab\n"
        f"    %pip install -q git+{url}\n"
        "from gentle_llm.notebook import setup\n"
        "device = setup(seed=0)"
    )


def colab_line(notebook: Path) -> str:
    url, branch, colab = repository()
    repo = url.removeprefix("https://github.com/")
    target = f"{colab}/github/{repo}/blob/{branch}/notebooks/{notebook.name}"
    return f"**Run it:** on your machine with `make lab`, or [open it in Google Colab]({target})."


def synced(notebook: Path) -> dict:
    """The notebook with its setup cell and Colab line brought up to date."""
    data = json.loads(notebook.read_text(encoding="utf-8"))
    cells = data["cells"]
    intro = next(c for c in cells if c["cell_type"] == "markdown")
    text = "".join(intro["source"])
    line = colab_line(notebook)
    text = COLAB_LINE.sub(line, text) if COLAB_LINE.search(text) else f"{text.rstrip()}\n\n{line}"
    intro["source"] = _lines(text)
    setup = next(c for c in cells if c["cell_type"] == "code")
    setup["source"] = _lines(setup_cell_source())
    return data


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report labs that differ")
    args = parser.parse_args()
    stale = []
    for notebook in sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")):
        current = json.loads(notebook.read_text(encoding="utf-8"))
        wanted = synced(notebook)
        if wanted == current:
            continue
        stale.append(notebook.name)
        if not args.check:
            text = json.dumps(wanted, indent=1, ensure_ascii=False) + "\n"
            notebook.write_text(text, encoding="utf-8")
    if args.check and stale:
        print("setup cell or Colab link out of date (run scripts/sync_notebooks.py):", *stale)
        return 1
    print(f"{'updated' if stale else 'all current'}: {', '.join(stale) or 'every lab'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
