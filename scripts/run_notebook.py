"""Execute lab notebooks top to bottom in a clean kernel and store their outputs in place.

Usage: python scripts/run_notebook.py notebooks/01-next-token-prediction.ipynb [...]

Uses the same environment the tests use (offline, asset mirror, no progress bars), so the
stored outputs are exactly what nbval will reproduce.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
import conftest  # noqa: E402,F401  (sets the environment variables the tests use)


def run(path: Path, timeout: int) -> float:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=True,
        record_timing=False,
        coalesce_streams=True,  # one output box per cell in the book, as nbval compares them
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    nbformat.write(notebook, path)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args()
    os.environ.setdefault("PYTHONHASHSEED", "0")
    for path in args.notebooks:
        elapsed = run(path, args.timeout)
        print(f"{path}: executed in {elapsed:.1f} s")


if __name__ == "__main__":
    main()
