"""Make assets/figures/01-autoregressive-loop.png: generation as repeated next-token prediction.

The diagram of Chapter 1, drawn as a cycle. Top row: the text so far goes through the
tokenizer and the embeddings. Bottom row, right to left: the transformer decoder turns them
into one probability per vocabulary token, one token is picked and appended to the text, and
the loop runs again on the longer text.

The probabilities drawn are SmolLM2-135M-Instruct's for the prompt below, as computed in the
lab with ``gentle_llm.model_facts.next_token_table`` (tests/test_model_facts.py checks the
same values).

Run from the repository root (a second or two, no model needed):
    .venv/bin/python assets/scripts/01-autoregressive-loop.py
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "figures" / "01-autoregressive-loop.png"

PROMPT = "The best thing about AI is its ability to"
TOP_TOKENS = [(" make", 0.167), (" automate", 0.163), (" augment", 0.111), (" create", 0.043)]

INK = "#1f2933"
MUTED = "#52606d"
BAR = "#c2185b"
W, H = 3.0, 1.9  # box size
COLUMNS = (0.2, 3.9, 7.6)  # left edges of the three columns
TOP, BOTTOM = 3.1, 0.3  # bottom edges of the two rows


def _box(ax, x, y, fill, title, body=None, *, body_style="normal"):
    ax.add_patch(
        FancyBboxPatch(
            (x, y),
            W,
            H,
            boxstyle="round,pad=0.02,rounding_size=0.15",
            facecolor=fill,
            edgecolor=INK,
            linewidth=1.5,
        )
    )
    ax.text(x + W / 2, y + H - 0.32, title, ha="center", va="center", fontsize=14, weight="bold")
    if body is not None:
        ax.text(
            x + W / 2,
            y + H / 2 - 0.2,
            body,
            ha="center",
            va="center",
            fontsize=12,
            color=INK if body_style == "italic" else MUTED,
            style=body_style,
            linespacing=1.4,
        )


def _arrow(ax, start, end, *, bend=0.0):
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle="-|>",
            mutation_scale=20,
            connectionstyle=f"arc3,rad={bend}",
            color=INK,
            linewidth=2,
        )
    )


def main() -> None:
    fig, ax = plt.subplots(figsize=(10.8, 5.6))
    ax.set_xlim(0, 10.8)
    ax.set_ylim(0, 5.3)
    ax.axis("off")
    left, middle, right = COLUMNS
    gap = 0.08

    # Top row, left to right: text → tokenizer → embeddings.
    text = PROMPT.replace(" about", "\nabout").replace(" ability", "\nability")
    _box(ax, left, TOP, "#f5f7fa", "1. Text so far", text, body_style="italic")
    _box(ax, middle, TOP, "#e3f2fd", "2. Tokenizer", "text → token ids\n504, 1450, …, 288")
    _box(ax, right, TOP, "#e8f5e9", "3. Embeddings", "each id → a vector\nof 576 numbers")
    for start, end in ((left, middle), (middle, right)):
        _arrow(ax, (start + W + gap, TOP + H / 2), (end - gap, TOP + H / 2))

    # Down the right side, then the bottom row right to left.
    _box(
        ax,
        right,
        BOTTOM,
        "#fff3e0",
        "4. Transformer",
        "decoder: 30 layers of\nattention + feed-forward",
    )
    _arrow(ax, (right + W / 2, TOP - gap), (right + W / 2, BOTTOM + H + gap))

    # The output: one probability per vocabulary token, the top few drawn as bars.
    ax.add_patch(
        FancyBboxPatch(
            (middle, BOTTOM),
            W,
            H,
            boxstyle="round,pad=0.02,rounding_size=0.15",
            facecolor="#fce4ec",
            edgecolor=INK,
            linewidth=1.5,
        )
    )
    ax.text(
        middle + W / 2,
        BOTTOM + H - 0.3,
        "5. Probabilities",
        ha="center",
        va="center",
        fontsize=14,
        weight="bold",
    )
    ax.text(
        middle + W / 2,
        BOTTOM + H - 0.62,
        "one for each of 49,152 tokens",
        ha="center",
        va="center",
        fontsize=10,
        color=MUTED,
    )
    for i, (token, p) in enumerate(TOP_TOKENS):
        y = BOTTOM + 1.0 - i * 0.25
        ax.text(
            middle + 1.28,
            y,
            repr(token),
            ha="right",
            va="center",
            fontsize=9.5,
            family="monospace",
        )
        width = 0.85 * p / TOP_TOKENS[0][1]
        ax.add_patch(Rectangle((middle + 1.37, y - 0.09), width, 0.18, color=BAR))
        ax.text(middle + 1.42 + width, y, f"{p:.1%}", va="center", fontsize=10)
    _arrow(ax, (right - gap, BOTTOM + H / 2), (middle + W + gap, BOTTOM + H / 2))

    # Pick one and append it, then back to the top: the autoregressive loop.
    _box(
        ax,
        left,
        BOTTOM,
        "#ede7f6",
        "6. Pick & append",
        "greedy: the most likely\n→ “… ability to make”",
    )
    _arrow(ax, (middle - gap, BOTTOM + H / 2), (left + W + gap, BOTTOM + H / 2))
    _arrow(ax, (left + W / 2, BOTTOM + H + gap), (left + W / 2, TOP - gap))
    ax.text(
        left + W / 2 + 0.12,
        (BOTTOM + H + TOP) / 2,
        "repeat with the longer text",
        ha="left",
        va="center",
        fontsize=11,
        style="italic",
        color=MUTED,
    )

    ax.set_title(
        "Generation is repeated next-token prediction (SmolLM2-135M-Instruct)",
        fontsize=15,
        color=INK,
        pad=6,
    )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT, dpi=120, bbox_inches="tight", facecolor="white")
    plt.close(fig)
    print(f"wrote {OUT.relative_to(OUT.parents[2])}")


if __name__ == "__main__":
    main()
