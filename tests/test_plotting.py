"""The label placer of Chapter 3's word maps: no label on another, none outside the axes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from gentle_llm.plotting import place_labels  # noqa: E402


def test_crowded_labels_do_not_overlap_and_stay_inside() -> None:
    points = (torch.randn(24, 2, generator=torch.Generator().manual_seed(0)) * 0.3).tolist()
    fig, ax = plt.subplots(figsize=(7, 5))
    ax.scatter(*zip(*points, strict=True))
    ax.margins(0.3)
    place_labels(ax, points, [f"word{i}" for i in range(24)], ["black"] * 24, fontsize=9)
    renderer = fig.canvas.get_renderer()
    boxes = [Text.get_window_extent(t, renderer) for t in ax.texts]
    frame = ax.get_window_extent(renderer)
    plt.close(fig)
    assert len(boxes) == 24
    assert all(frame.contains(b.x0, b.y0) and frame.contains(b.x1, b.y1) for b in boxes)
    overlapping = [(i, j) for i in range(24) for j in range(i) if boxes[i].overlaps(boxes[j])]
    assert overlapping == []
