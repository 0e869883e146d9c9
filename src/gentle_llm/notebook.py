"""The setup every lab notebook runs first: device, seeds, the QUICK/FULL switch, pre-flight.

``QUICK`` is True on a CPU (small settings that finish in minutes, the ones stored in the book
and checked in CI) and False on a GPU; set ``GENTLE_LLM_QUICK=0`` or ``1`` to choose yourself.
The second line ``setup`` prints sums up the quick pre-flight checks of ``gentle_llm.doctor``
(the same ones ``gentle-llm doctor`` runs, minus checksums and model loading).

``near_book`` checks a number that comes from a training run in the lab: its last digits depend
on the learner's CPU (which kernels it runs, how it rounds), so it is compared with the book's
figure within a tolerance that a healthy run always meets, never digit for digit.

``glue`` hands a number to the chapter page: the page pastes it from the lab's stored output
(myst-nb's glue), so the page and the lab can never disagree.
"""

from __future__ import annotations

import os
import platform
import random

import numpy as np
import torch

from gentle_llm.devices import pick_device
from gentle_llm.doctor import in_colab, quick_checks, summary_line

__all__ = [
    "QUICK",
    "environment_report",
    "glue",
    "near_book",
    "pick_device",
    "seed_everything",
    "setup",
]

QUICK: bool = True


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and PyTorch so a notebook gives the same numbers every run."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device


def near_book(name: str, value: float, book: float, tolerance: float) -> None:
    """Fail with a clear message unless ``value`` is within ``tolerance`` of the book's figure.

    For numbers a training run produces in a lab (Chapter 6 explains why they vary from CPU to
    CPU). Only the QUICK settings are the book's: on a GPU the labs run other settings, so
    there is nothing to compare and the check passes.
    """
    if not QUICK:
        return
    if not abs(value - book) <= tolerance:
        raise AssertionError(
            f"{name}: this run gave {value:.4g}, the book's run {book:.4g}; a healthy run on any "
            f"CPU lands within {tolerance:g} of it. Run the lab again from the top in a fresh "
            "kernel; if the number is still off, `gentle-llm doctor` checks your installation."
        )


# myst-nb reads a glued value from a display output whose MIME types carry this prefix.
GLUE_PREFIX = "application/papermill.record/"


def glue(name: str, value: object, spec: str = "") -> None:
    """Store ``format(value, spec)`` under ``name`` for the chapter page to paste.

    The output is the one ``myst_nb.glue(name, text, display=False)`` writes (a test keeps the
    two equal), made here so the labs need no book tools on Colab. The cell shows nothing; a
    page pastes the text with ``{glue:text}`../notebooks/NN-lab.ipynb::name```. Gluing the
    formatted text, not the raw float, keeps the stored output to the digits the page shows.
    """
    from IPython.display import display

    text = format(value, spec)
    display(
        {GLUE_PREFIX + "text/plain": repr(text)},
        raw=True,
        metadata={"scrapbook": {"name": name, "mime_prefix": GLUE_PREFIX}},
    )


def _inline_figures() -> None:
    """In a notebook, draw figures inline even if MPLBACKEND names a non-interactive backend."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell":
        shell.run_line_magic("matplotlib", "inline")


def _enable_colab_widgets() -> None:
    """Colab shows ipywidgets 8 only once its custom widget manager is switched on."""
    if in_colab():
        from google.colab import output  # type: ignore[import-not-found]

        output.enable_custom_widget_manager()


def setup(seed: int = 0, *, verbose: bool = True) -> torch.device:
    """Pick the device, seed everything, set ``QUICK`` and print what was found.

    The printed lines name only the kind of device, never its model or memory, and the number
    of pre-flight checks that pass, so the stored output is the same on every ready CPU machine.
    """
    global QUICK
    device = pick_device()
    choice = os.environ.get("GENTLE_LLM_QUICK", "")
    QUICK = device.type == "cpu" if choice == "" else choice not in ("0", "false", "no")
    seed_everything(seed)
    _inline_figures()
    _enable_colab_widgets()
    # Pretty matplotlib defaults, set once here so every lab's figures look alike.
    import matplotlib.pyplot as plt

    plt.rcParams.update({"figure.figsize": (7, 3.5), "figure.dpi": 100, "axes.grid": True})
    if verbose:
        mode = "QUICK (CPU-sized settings)" if QUICK else "FULL (GPU-sized settings)"
        print(f"gentle_llm ready: device={device.type}, mode={mode}, seed={seed}")
        print(summary_line(quick_checks()))
    return device


def environment_report() -> str:
    """Versions and device in one string (machine-dependent: print it in an ignored cell)."""
    return (
        f"Python {platform.python_version()}, torch {torch.__version__}, "
        f"device {pick_device().type}"
    )
