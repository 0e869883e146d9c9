"""Run time and peak memory of every lab, each in a clean kernel, as CI and the book run them.

    python benchmarks/bench_labs.py                      # every lab in notebooks/
    python benchmarks/bench_labs.py notebooks/07-*.ipynb # some of them
    python benchmarks/bench_labs.py --threads 1          # as the test workers run them

Each notebook runs top to bottom in its own process (offline, asset mirror, no progress bars:
the settings of scripts/run_notebook.py) and nothing is written back. Peak memory is the
largest resident set of that process and its kernel. These are the figures the instructor
guide's agendas are built from; run it on a quiet machine (nothing else heavy running), and
give the thread count with the figures: the labs use the threads they are given (``--threads``,
default 2, the course's target of a 2-core laptop).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _execute(path: Path, threads: int) -> None:
    sys.path.insert(0, str(ROOT))
    import nbformat
    from nbclient import NotebookClient

    import conftest  # noqa: F401  (the offline environment the tests use)

    # conftest pins one thread for the test workers; a lab is measured with the cores a
    # learner's machine gives it, as --threads says.
    os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = str(threads)
    notebook = nbformat.read(path, as_version=4)
    where = {"metadata": {"path": str(path.parent)}}
    NotebookClient(notebook, timeout=1200, kernel_name="python3", resources=where).execute()


def measure(path: Path, threads: int) -> tuple[float, float]:
    """(seconds, peak GB) of one lab run in a child process."""
    start = time.perf_counter()
    command = [sys.executable, __file__, "--execute", str(path), "--threads", str(threads)]
    child = subprocess.Popen(command)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{path.name} failed (exit status {os.waitstatus_to_exitcode(status)})")
    # Linux reports ru_maxrss in KiB for the child and the descendants it waited for (the kernel).
    return elapsed, usage.ru_maxrss * 1024 / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument(
        "--threads", type=int, default=2, help="threads each lab may use (default 2: 2 cores)"
    )
    parser.add_argument("--execute", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.execute:
        _execute(args.execute, args.threads)
        return
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    print(f"| lab | run time (s) | peak memory (GB) |   ({args.threads} threads)")
    print("| --- | ---: | ---: |")
    total = 0.0
    for path in paths:
        seconds, peak = measure(path, args.threads)
        total += seconds
        print(f"| {path.stem} | {seconds:.0f} | {peak:.2f} |", flush=True)
    print(f"| all | {total:.0f} | |")


if __name__ == "__main__":
    main()
