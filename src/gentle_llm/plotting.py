"""Plotting helpers the labs and the book's figure scripts share (not an idea of the course).

:func:`place_labels` writes labels beside crowded points (Chapter 3's word maps) so that none
overlaps another label, a point or the legend.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
from matplotlib.text import Text
from matplotlib.transforms import Bbox

__all__ = ["place_labels"]

Point = tuple[float, float]

# Where a label may go, nearest first: rings of growing radius (points) around its point, each
# tried at these angles (degrees); a label further out than the first ring gets a leader line.
RADII = (4, 10, 18, 28, 40, 54, 70, 88, 110, 135)
ANGLES = (0, 30, -30, 60, -60, 90, -90, 120, -120, 150, -150, 180, 15, -15, 165, -165)


def _line_hits_box(start: Point, end: Point, boxes: list[Bbox]) -> bool:
    """Whether the straight line from ``start`` to ``end`` (pixels) runs through any box."""
    samples = [
        (start[0] + (end[0] - start[0]) * t / 20, start[1] + (end[1] - start[1]) * t / 20)
        for t in range(1, 20)
    ]
    return any(box.contains(x, y) for box in boxes for x, y in samples)


def _segments_cross(a: Point, b: Point, c: Point, d: Point) -> bool:
    """Whether the segments a-b and c-d cross (points in pixels)."""

    def side(p: Point, q: Point, r: Point) -> float:
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    return side(a, b, c) * side(a, b, d) < 0 and side(c, d, a) * side(c, d, b) < 0


def place_labels(
    ax: plt.Axes,
    points: Sequence[Point],
    labels: Sequence[str],
    colours: Sequence[str],
    *,
    fontsize: float = 9.5,
) -> None:
    """Write each label beside its point, in the nearest spot that overlaps no other label, no
    point and not the legend; each label takes its point's colour.

    A label that is not right next to its point gets a thin grey line back to it, which crosses
    no label and, where possible, no other line. Points in crowded places are labelled first,
    so they get the nearest spots. Placement is measured in display pixels, so call this once
    the axes' limits and the legend are final (it draws the figure first).
    """
    ax.figure.canvas.draw()  # fix the layout first: placement is measured in pixels
    renderer = ax.figure.canvas.get_renderer()
    pixels = [(float(x), float(y)) for x, y in ax.transData.transform(points)]
    markers = [Bbox.from_bounds(x - 6, y - 6, 12, 12) for x, y in pixels]
    labels_taken: list[Bbox] = []
    if ax.get_legend() is not None:
        labels_taken.append(ax.get_legend().get_window_extent(renderer).expanded(1.02, 1.05))
    lines: list[tuple[Point, Point]] = []
    frame = ax.get_window_extent(renderer)
    crowding = [sum(math.dist(p, q) < 60 for q in pixels) for p in pixels]
    # First look for a spot whose line crosses no other line; failing that, allow it.
    spots = [(strict, r, a) for strict in (True, False) for r in RADII for a in ANGLES]
    for i in sorted(range(len(points)), key=lambda i: -crowding[i]):
        others = markers[:i] + markers[i + 1 :]
        for strict, radius, angle in spots:
            dx, dy = radius * math.cos(math.radians(angle)), radius * math.sin(math.radians(angle))
            leader = radius > RADII[0]
            text = ax.annotate(
                labels[i],
                points[i],
                xytext=(dx, dy),
                textcoords="offset points",
                ha="left" if dx > 2 else ("right" if dx < -2 else "center"),
                va="bottom" if dy > 2 else ("top" if dy < -2 else "center"),
                fontsize=fontsize,
                color=colours[i],
                arrowprops=(
                    {"arrowstyle": "-", "color": "#6e7781", "lw": 0.7, "shrinkA": 1, "shrinkB": 3}
                    if leader
                    else None
                ),
            )
            # The text's own box: an annotation's extent would include its leader line.
            text.update_positions(renderer)
            box = Text.get_window_extent(text, renderer).expanded(1.04, 1.1)
            inside = frame.contains(box.x0, box.y0) and frame.contains(box.x1, box.y1)
            free = inside and not any(box.overlaps(b) for b in labels_taken + others)
            # The line ends at the point of the label's box nearest to the marker.
            end = (min(max(pixels[i][0], box.x0), box.x1), min(max(pixels[i][1], box.y0), box.y1))
            if free and leader:
                free = not _line_hits_box(pixels[i], end, labels_taken)
                if strict:
                    free = free and not any(_segments_cross(pixels[i], end, *ln) for ln in lines)
            if free:
                labels_taken.append(box)
                if leader:
                    lines.append((pixels[i], end))
                break
            text.remove()
        else:
            raise RuntimeError(f"no free spot for the label {labels[i]!r}; make the figure larger")
