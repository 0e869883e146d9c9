"""What the diagram scripts beside this file share: boxes and arrows in one style, and a check
that every word is legible where the book shows the figure and that no label overlaps another.

The book's text column shows an image at most ``COLUMN_PX`` CSS pixels wide at a 1280 px desktop
width (measured in Chromium on the built book: every chapter figure wider than that is drawn
672 px wide). A figure saved ``width`` pixels wide is therefore shrunk by ``COLUMN_PX / width``,
and a label of ``size`` points is drawn ``size * dpi / 72 * COLUMN_PX / width`` pixels tall.
:func:`save_checked` saves the figure and refuses it (``SystemExit``) if any text would be
drawn smaller than ``MIN_PX`` there, or if two texts overlap.

Used by the figure scripts of Chapters 5 to 12 beside it (``assets/scripts/05-*.py`` and on).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.collections import Collection
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch
from matplotlib.text import Text
from matplotlib.transforms import Bbox
from PIL import Image

COLUMN_PX = 672  # widest an image is drawn in the book's text column at 1280 px
MIN_PX = 9.0  # no text smaller than this, in CSS pixels, at that width
# PNG files without a creation stamp, so re-running a script changes nothing in git.
SAVE = {"dpi": 150, "bbox_inches": "tight", "facecolor": "white", "metadata": {"Software": None}}


DRAWN = (Text, Patch, Line2D, Collection)
INK = "#1f2933"
MUTED = "#52606d"


def box(ax, x, y, w, h, fill, *, edge=INK, lw=1.4, dashed=False):
    """A rounded box with its lower left corner at (x, y), in data units."""
    ax.add_patch(
        FancyBboxPatch(
            (x, y),
            w,
            h,
            boxstyle="round,pad=0.02,rounding_size=0.12",
            facecolor=fill,
            edgecolor=edge,
            linewidth=lw,
            linestyle="--" if dashed else "-",
        )
    )


def arrow(ax, start, end, *, bend=0.0, color=INK, lw=1.8, style="-|>"):
    """An arrow from ``start`` to ``end`` (data units), straight or bent by ``bend``."""
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle=style,
            mutation_scale=16,
            connectionstyle=f"arc3,rad={bend}",
            color=color,
            linewidth=lw,
            shrinkA=0,
            shrinkB=0,
        )
    )


def write_rows(ax, x, top, rows, *, size=10.5, step=0.27, bold_size=0.5, bold_gap=0.05):
    """Write ``rows`` of (text, bold?) downwards from ``top``, centred on ``x``; a bold row is
    ``bold_size`` points larger and takes ``bold_gap`` more room."""
    y = top
    for text, bold in rows:
        ax.text(
            x,
            y,
            text,
            ha="center",
            va="top",
            fontsize=size + (bold_size if bold else 0),
            weight="bold" if bold else "normal",
            color=INK if bold else "#323f4b",
        )
        y -= step + (bold_gap if bold else 0)


def diagram_title(ax, x, top, text):
    """A diagram's title, centred on ``x`` below ``top``."""
    ax.text(x, top, text, ha="center", va="top", fontsize=13, color=INK)


def canvas(width, height):
    """A figure ``width`` x ``height`` inches whose data units are inches, axes hidden."""
    fig = plt.figure(figsize=(width, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.axis("off")
    fig.diagram_axes = ax  # save_checked crops such a figure to what is drawn on it
    return fig, ax


def _drawn_area(fig: plt.Figure, ax: plt.Axes) -> Bbox:
    """The box (inches) around everything drawn on a diagram's axes, with a small margin."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    skip = {id(ax.patch), *(id(spine) for spine in ax.spines.values())}
    boxes = [
        artist.get_window_extent(renderer)
        for artist in ax.get_children()
        if artist.get_visible() and id(artist) not in skip and isinstance(artist, DRAWN)
    ]
    boxes = [b for b in boxes if b.width > 0 or b.height > 0]
    area = Bbox.union(boxes).transformed(fig.dpi_scale_trans.inverted())
    return area.expanded(1, 1).padded(0.08)


def _texts(fig: plt.Figure) -> list[Text]:
    """Every text the figure draws: titles, labels, annotations, and the tick labels of the
    ticks inside each axis's limits (matplotlib keeps others, undrawn, at stale places)."""
    ticks, drawn = set(), set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                ticks.update((id(tick.label1), id(tick.label2)))
            for tick in axis._update_ticks():  # the ticks matplotlib will draw
                drawn.update((id(tick.label1), id(tick.label2)))
    found = []
    for text in fig.findobj(Text):
        if id(text) in ticks and id(text) not in drawn:
            continue
        if text.get_visible() and text.get_text().strip() and text.get_alpha() != 0:
            found.append(text)
    return found


def save_checked(fig: plt.Figure, out: Path, *, allow_overlap: tuple[str, ...] = ()) -> None:
    """Save ``fig`` to ``out`` as PNG and check it is legible at the book's desktop width.

    ``allow_overlap`` names texts (their exact strings) that are meant to sit on top of
    something else, such as a label written inside a box that has a text of its own.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    options = dict(SAVE)
    if getattr(fig, "diagram_axes", None) is not None:
        options["bbox_inches"] = _drawn_area(fig, fig.diagram_axes)
    fig.savefig(out, **options)
    width = Image.open(out).size[0]
    scale = min(1.0, COLUMN_PX / width)
    dpi = SAVE["dpi"]
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    problems = []
    texts = _texts(fig)
    for text in texts:
        px = text.get_fontsize() * dpi / 72 * scale
        if px < MIN_PX:
            problems.append(f"{text.get_text()!r} would be {px:.1f} px tall (< {MIN_PX})")
    boxes = [(t, t.get_window_extent(renderer)) for t in texts]
    for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
        if a.get_text() in allow_overlap or b.get_text() in allow_overlap:
            continue
        if box_a.overlaps(box_b):
            problems.append(f"{a.get_text()!r} overlaps {b.get_text()!r}")
    plt.close(fig)
    if problems:
        raise SystemExit(f"{out.name}:\n  " + "\n  ".join(problems))
    smallest = min(t.get_fontsize() for t in texts) * dpi / 72 * scale
    print(f"wrote {out.name}: {width} px wide, smallest text {smallest:.1f} px at {COLUMN_PX} px")
