"""Make assets/figures/12-llama-family.png: how one family grew, July 2023 to December 2024.

Every open-weights release of Meta's Llama family that Chapter 12 names, placed by release date
and size (its nominal parameter count, on a logarithmic axis; the right axis gives the memory of
the weights at 16 bits, 2 bytes per parameter). A dated snapshot, like the chapter: later
releases are not drawn. Dates and sizes, from Meta's announcements and model cards:

* Llama 2, 7B, 13B and 70B, base and chat: 18 July 2023 (Touvron et al., 2023; Meta's
  announcement of that day);
* Code Llama, 7B, 13B and 34B: 24 August 2023 (Meta's "Introducing Code Llama");
* Llama Guard, 7B: 7 December 2023 (Inan et al., 2023, released with Purple Llama);
* Llama 3, 8B and 70B: 18 April 2024 (Meta's "Introducing Meta Llama 3", the date the chapter
  gives);
* Llama 3.1, 8B, 70B and 405B: 23 July 2024 (the Llama 3.1 model card's release date);
* Llama 3.2, 1B and 3B (text) and 11B and 90B (text and images): 25 September 2024 (Meta's
  Llama 3.2 announcement at Connect 2024);
* Llama 3.3, 70B: 6 December 2024 (the Llama 3.3 model card's release date).

Run from the repository root (a second or two, nothing downloaded):
    .venv/bin/python assets/scripts/12-llama-family.py
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from figure_kit import INK, MUTED, save_checked  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "figures" / "12-llama-family.png"

# name, date, sizes in billions, kind, where the name goes ("above" its largest or "below" its
# smallest size), and which side of the markers the size labels go.
RELEASES = [
    ("Llama 2", date(2023, 7, 18), [7, 13, 70], "text", "above", "left"),
    ("Code Llama", date(2023, 8, 24), [7, 13, 34], "code", "above", "right"),
    ("Llama Guard", date(2023, 12, 7), [7], "guard", "below", "right"),
    ("Llama 3", date(2024, 4, 18), [8, 70], "text", "above", "right"),
    ("Llama 3.1", date(2024, 7, 23), [8, 70, 405], "text", "above", "left"),
    ("Llama 3.2", date(2024, 9, 25), [1, 3, 11, 90], "mixed", "above", "right"),
    ("Llama 3.3", date(2024, 12, 6), [70], "text", "above", "right"),
]
KINDS = {
    "text": ("o", "#1565c0", "text model"),
    "images": ("s", "#ef6c00", "reads text and images"),
    "code": ("^", "#2e7d32", "code model"),
    "guard": ("D", "#6a1b9a", "guard (safety classifier)"),
}


def _kind(kind: str, size: float) -> str:
    if kind == "mixed":  # Llama 3.2: the two small models read text, the two large ones images too
        return "images" if size >= 11 else "text"
    return kind


def main() -> None:
    fig, ax = plt.subplots(figsize=(9.6, 5.2), layout="constrained")
    shown = set()
    for name, day, sizes, kind, name_at, side in RELEASES:
        x = mdates.date2num(day)
        for size in sizes:
            k = _kind(kind, size)
            marker, colour, label = KINDS[k]
            ax.plot(
                [x],
                [size],
                marker,
                color=colour,
                ms=9,
                zorder=3,
                label=None if k in shown else label,
            )
            shown.add(k)
            dx = -9 if side == "left" else 9
            ax.annotate(
                f"{size}B",
                (x, size),
                xytext=(dx, 0),
                textcoords="offset points",
                ha="right" if side == "left" else "left",
                va="center",
                fontsize=10,
                color=colour,
            )
        y, dy, va = (max(sizes), 14, "bottom") if name_at == "above" else (min(sizes), -14, "top")
        ax.annotate(
            name,
            (x, y),
            xytext=(0, dy),
            textcoords="offset points",
            ha="center",
            va=va,
            fontsize=10.5,
            weight="bold",
            color=INK,
        )
    ax.set_yscale("log")
    ax.set_ylim(0.6, 1200)
    ax.set_yticks([1, 3, 10, 30, 100, 300, 1000])
    ax.set_yticklabels(["1B", "3B", "10B", "30B", "100B", "300B", "1,000B"])
    ax.set_ylabel("parameters (log scale)", fontsize=10.5)
    ax.set_xlim(mdates.date2num(date(2023, 6, 1)), mdates.date2num(date(2025, 1, 20)))
    ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 4, 7, 10)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    ax.tick_params(labelsize=10)
    ax.grid(axis="y", color="#e4e7eb", lw=0.8)
    ax.set_axisbelow(True)
    right = ax.secondary_yaxis("right", functions=(lambda b: 2 * b, lambda gb: gb / 2))
    right.set_yticks([2, 6, 20, 60, 200, 600, 2000])
    right.set_yticklabels(["2 GB", "6 GB", "20 GB", "60 GB", "200 GB", "600 GB", "2 TB"])
    right.set_ylabel("weights at 16 bits", fontsize=10.5)
    right.tick_params(labelsize=10)
    ax.spines["top"].set_visible(False)
    ax.legend(loc="upper left", fontsize=10, frameon=False)
    ax.set_title(
        "The Llama family, July 2023 to December 2024: release date and size",
        fontsize=12.5,
        color=INK,
        loc="left",
    )
    ax.text(
        0.99,
        0.02,
        "open-weights releases only; later ones not shown",
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        fontsize=10,
        color=MUTED,
    )
    save_checked(fig, OUT)


if __name__ == "__main__":
    main()
