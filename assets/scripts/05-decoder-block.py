"""Make assets/figures/05-decoder-block.png: one decoder block of SmolLM2, with its real shapes.

The block of Chapter 5 drawn as the residual stream (a horizontal line that every block reads
and adds to) with its two side branches: RMSNorm, then grouped-query attention, added back;
RMSNorm, then the SwiGLU feed-forward network, added back.

The shapes are SmolLM2-135M-Instruct's, read from the metadata of the GGUF file the course loads
(``llama.embedding_length`` 576, ``llama.attention.head_count`` 9,
``llama.attention.head_count_kv`` 3, ``llama.rope.dimension_count`` 64,
``llama.rope.freq_base`` 100,000, ``llama.feed_forward_length`` 1,536, ``llama.block_count`` 30);
the same numbers as Chapter 5's parameter table and ``gentle_llm.llama``. The script recomputes
the parameter counts from them and checks that 30 blocks plus the tied embedding give the
134,515,008 parameters Lab 5 counts.

Run from the repository root (a second or two, no model needed):
    .venv/bin/python assets/scripts/05-decoder-block.py
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from figure_kit import INK, MUTED, arrow, box, canvas, diagram_title, save_checked, write_rows  # noqa: E402
from matplotlib.patches import Circle  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "figures" / "05-decoder-block.png"

WIDTH, HEADS, KV_HEADS, HEAD = 576, 9, 3, 64
FFN, LAYERS, VOCAB = 1536, 30, 49152

ATTENTION_PARAMS = WIDTH * HEADS * HEAD + 2 * WIDTH * KV_HEADS * HEAD + HEADS * HEAD * WIDTH
FFN_PARAMS = 3 * WIDTH * FFN
BLOCK_PARAMS = ATTENTION_PARAMS + FFN_PARAMS + 2 * WIDTH
assert HEADS * HEAD == WIDTH
assert LAYERS * BLOCK_PARAMS + VOCAB * WIDTH + WIDTH == 134_515_008  # Lab 5's count

STREAM = "#fff8e1"
NORM = "#e3f2fd"
ATTN = "#fce4ec"
MLP = "#e8f5e9"


def main() -> None:
    fig, ax = canvas(10.0, 4.35)
    stream_y = 0.75
    add1, add2 = 4.45, 8.9  # where the two branches add their result back

    # The residual stream: one vector of 576 numbers per token, from block to block.
    for start, end in ((0.15, add1 - 0.17), (add1 + 0.17, add2 - 0.17), (add2 + 0.17, 9.95)):
        arrow(ax, (start, stream_y), (end, stream_y), lw=3.2, color="#b7791f")
    for x in (add1, add2):
        ax.add_patch(Circle((x, stream_y), 0.17, facecolor="white", edgecolor=INK, lw=1.6))
        ax.text(x, stream_y - 0.01, "+", ha="center", va="center", fontsize=15, weight="bold")
    ax.text(0.15, stream_y - 0.22, "from the block below:", ha="left", va="top", fontsize=10)
    ax.text(0.15, stream_y - 0.47, f"T tokens × {WIDTH}", ha="left", va="top", fontsize=10)
    ax.text(9.95, stream_y - 0.22, "to the next block:", ha="right", va="top", fontsize=10)
    ax.text(9.95, stream_y - 0.47, f"T × {WIDTH}, same shape", ha="right", va="top", fontsize=10)
    ax.text(
        6.7,
        stream_y - 0.22,
        "the residual stream",
        ha="center",
        va="top",
        fontsize=10.5,
        style="italic",
        color="#8d5b0b",
    )

    body_y, body_h = 1.3, 2.5
    norm_w, norm_h = 1.0, 0.9
    norm_y = body_y + body_h / 2 - norm_h / 2

    def branch(up_x, body_x, body_w, fill, rows, add_x):
        # Up from the stream into the norm, through the sub-layer, down into the addition.
        mid = norm_y + norm_h / 2
        norm_x = up_x + 0.2
        ax.plot([up_x, up_x], [stream_y, mid], color=INK, lw=1.8)
        arrow(ax, (up_x, mid), (norm_x - 0.03, mid))
        box(ax, norm_x, norm_y, norm_w, norm_h, NORM)
        ax.text(
            norm_x + norm_w / 2,
            norm_y + 0.6,
            "RMSNorm",
            ha="center",
            va="center",
            fontsize=11,
            weight="bold",
        )
        ax.text(
            norm_x + norm_w / 2,
            norm_y + 0.28,
            f"{WIDTH} gains",
            ha="center",
            va="center",
            fontsize=10,
            color=MUTED,
        )
        arrow(ax, (norm_x + norm_w + 0.03, mid), (body_x - 0.04, mid))
        box(ax, body_x, body_y, body_w, body_h, fill)
        write_rows(
            ax, body_x + body_w / 2, body_y + body_h - 0.14, rows, bold_size=1, bold_gap=0.07
        )
        arrow(ax, (add_x, body_y - 0.03), (add_x, stream_y + 0.19))

    branch(
        0.35,
        1.8,
        3.05,
        ATTN,
        [
            ("Grouped-query attention", True),
            (f"queries: {HEADS} heads × {HEAD}", False),
            (f"keys, values: {KV_HEADS} heads × {HEAD} each", False),
            ("(each shared by 3 query heads)", False),
            ("RoPE turns queries and keys", False),
            (f"softmax(QKᵀ / √{HEAD}), causal mask", False),
            (f"join {HEADS} × {HEAD} = {WIDTH}, project to {WIDTH}", False),
            (f"{ATTENTION_PARAMS / 1e6:.2f} million parameters", True),
        ],
        add1,
    )
    branch(
        5.05,
        6.5,
        2.75,
        MLP,
        [
            ("SwiGLU feed-forward", True),
            ("each token on its own:", False),
            (f"gate: {WIDTH} → {FFN:,}", False),
            (f"up: {WIDTH} → {FFN:,}", False),
            ("silu(gate) ⊙ up", False),
            (f"down: {FFN:,} → {WIDTH}", False),
            ("", False),
            (f"{FFN_PARAMS / 1e6:.2f} million parameters", True),
        ],
        add2,
    )
    diagram_title(
        ax, 5.0, 4.3, f"One decoder block of SmolLM2-135M (the model stacks {LAYERS} of them)"
    )
    save_checked(fig, OUT)


if __name__ == "__main__":
    main()
