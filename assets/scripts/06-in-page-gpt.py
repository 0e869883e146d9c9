"""Make assets/figures/06-in-page-gpt.png: what runs where when the tiny GPT writes in the page.

Left, what happened once, in Python, before the book was built: ``scripts/export_browser_gpt.py``
trains the ``cpu-quick`` tiny GPT, rounds its weights to 16-bit floats and writes
``assets/extra/tiny-gpt/tiny-gpt-weights.js``. Right, what the reader's browser does at every
step: ``src/gentle_llm/explorers/gpt.js`` runs the forward pass (with its key/value cache) and
``src/gentle_llm/explorers/decoding.js`` turns the 65 logits into one drawn character, which is
appended to the text before the next step.

The numbers are read from the weights file itself (its configuration and its size), so the
figure follows the file when it is exported again.

Run from the repository root (a second or two, no model needed):
    .venv/bin/python assets/scripts/06-in-page-gpt.py
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from figure_kit import INK, MUTED, arrow, box, canvas, save_checked, write_rows  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "assets" / "figures" / "06-in-page-gpt.png"
WEIGHTS = ROOT / "assets" / "extra" / "tiny-gpt" / "tiny-gpt-weights.js"


def _config() -> tuple[dict, int]:
    """The model's configuration, as the page reads it, and the file's size in bytes."""
    text = WEIGHTS.read_text(encoding="utf-8")
    start = text.index('"config":') + len('"config":')
    config, _ = json.JSONDecoder().raw_decode(text[start:])
    return config, WEIGHTS.stat().st_size


def _parameters(c: dict) -> int:
    """Parameters of gentle_llm.model.GPT with biases and a tied output layer."""
    d, v = c["n_embd"], c["vocab_size"]
    block = 2 * 2 * d + (d * 3 * d + 3 * d) + (d * d + d) + (d * 4 * d + 4 * d) + (4 * d * d + d)
    return v * d + c["block_size"] * d + c["n_layer"] * block + 2 * d


def main() -> None:
    config, size = _config()
    params = _parameters(config)
    assert config["bias"] and params == 413_312, params  # the count Chapter 6's page gives

    fig, ax = canvas(10.0, 4.3)

    # Left: once, in Python, before the book is built.
    box(ax, 0.1, 0.25, 2.75, 3.75, "#f5f7fa", dashed=True, edge=MUTED)
    ax.text(1.475, 3.88, "Once, in Python", ha="center", va="top", fontsize=12, weight="bold")
    steps = [
        (2.55, [("train the tiny GPT", True), (f"{params:,} weights", False)]),
        (1.55, [("round each weight", True), ("to a 16-bit float", False)]),
        (
            0.55,
            [("tiny-gpt-weights.js", True), (f"{size / 1e6:.1f} MB, ships with the book", False)],
        ),
    ]
    for y, rows in steps:
        box(ax, 0.3, y, 2.35, 0.8, "#ffffff")
        write_rows(ax, 1.475, y + 0.68, rows)
    for y in (2.55, 1.55):
        arrow(ax, (1.475, y - 0.02), (1.475, y - 0.18))

    # Right: the reader's browser, at every step.
    box(ax, 3.2, 0.25, 6.7, 3.75, "#fbfcfe", edge=INK)
    ax.add_patch(Rectangle((3.22, 3.55), 6.66, 0.43, facecolor="#e4e7eb", lw=0))
    ax.text(
        3.4,
        3.765,
        "Your browser, at every step (no server, no network)",
        ha="left",
        va="center",
        fontsize=12,
        weight="bold",
    )
    row_y, row_h = 1.35, 1.75
    blocks = [
        (
            3.45,
            1.55,
            "#f5f7fa",
            [
                ("the text", True),
                ("so far", True),
                ("(its last", False),
                (f"{config['block_size']} characters)", False),
            ],
        ),
        (
            5.4,
            2.1,
            "#fff3e0",
            [
                ("gpt.js", True),
                ("forward pass:", False),
                (f"{config['n_layer']} blocks, {config['n_head']} heads,", False),
                (f"width {config['n_embd']},", False),
                ("key/value cache", False),
                (f"→ {config['vocab_size']} logits", False),
            ],
        ),
        (
            7.9,
            1.8,
            "#fce4ec",
            [
                ("decoding.js", True),
                ("temperature,", False),
                ("top-k, softmax,", False),
                ("top-p, then a", False),
                ("seeded draw", False),
            ],
        ),
    ]
    for x, w, fill, rows in blocks:
        box(ax, x, row_y, w, row_h, fill)
        write_rows(ax, x + w / 2, row_y + row_h - 0.13, rows)
    mid = row_y + row_h / 2
    arrow(ax, (3.45 + 1.55 + 0.03, mid), (5.4 - 0.04, mid))
    arrow(ax, (5.4 + 2.1 + 0.03, mid), (7.9 - 0.04, mid))
    # The drawn character goes back onto the text: the loop of Chapter 1.
    ax.plot([8.8, 8.8, 4.225], [row_y - 0.03, 0.75, 0.75], color=INK, lw=1.8)
    arrow(ax, (4.225, 0.75), (4.225, row_y - 0.05))
    ax.text(
        6.5,
        0.68,
        "append the drawn character, then the next step",
        ha="center",
        va="top",
        fontsize=10.5,
        style="italic",
        color=MUTED,
    )
    # The weights file is read once, when the page loads.
    ax.plot([2.65, 3.05], [0.95, 0.95], color=INK, lw=1.8)
    ax.plot([3.05, 3.05, 6.45], [0.95, 3.3, 3.3], color=INK, lw=1.8)
    arrow(ax, (6.45, 3.3), (6.45, row_y + row_h + 0.04))
    ax.text(
        6.6,
        3.33,
        "weights, loaded once",
        ha="left",
        va="bottom",
        fontsize=10.5,
        color=MUTED,
        style="italic",
    )
    save_checked(fig, OUT)


if __name__ == "__main__":
    main()
