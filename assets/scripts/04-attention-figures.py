"""Make the figures of Chapter 4 (attention) in assets/figures/:

- 04-which-words-matter.png: where two real SmolLM2 heads look from one token of a sentence;
- 04-causal-mask.png: the causal mask as a grid of allowed and blocked pairs;
- 04-softmax-saturation.png: one row of softmax weights with and without the 1/sqrt(d) scaling;
- 04-grouped-query-attention.png: 9 query heads sharing 3 key/value heads, as in SmolLM2.

Run from the repository root (offline, with the asset mirror; under a minute on 2 cores):
    GENTLE_LLM_MIRROR=../shared/assets .venv/bin/python assets/scripts/04-attention-figures.py
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from matplotlib.patches import FancyBboxPatch  # noqa: E402

from gentle_llm.attention import attention_maps, causal_mask  # noqa: E402
from gentle_llm.explorers.attention import token_label  # noqa: E402
from gentle_llm.pretrained import load_smollm2  # noqa: E402

FIGURES = Path(__file__).resolve().parents[1] / "figures"
SENTENCE = "The girl bought a red kite. Later, the girl flew the red kite."
BLUE = "#08306b"
# PNG files without a creation stamp, so re-running the script changes nothing in git.
SAVE = {"dpi": 150, "metadata": {"Software": None}}


def _text_widths(labels: list[str], fontsize: float, bold: int) -> list[float]:
    """How wide each label is when drawn, in inches (label number ``bold`` in bold)."""
    fig = plt.figure()
    renderer = fig.canvas.get_renderer()
    widths = []
    for j, label in enumerate(labels):
        weight = "bold" if j == bold else "normal"
        text = fig.text(0, 0, label, fontsize=fontsize, fontweight=weight)
        widths.append(text.get_window_extent(renderer).width / fig.dpi)
    plt.close(fig)
    return widths


def which_words_matter() -> None:
    """Arcs from the second 'red' to every earlier token, one panel per head.

    The words are laid out in inches, measured from their drawn widths, and each panel's axes
    span exactly that many inches: the figure is as wide as the sentence needs, and the font
    sizes stay what they say (no shrinking to fit) when the book shows it at column width.
    """
    model, tokenizer = load_smollm2()
    tokens, maps = attention_maps(model, tokenizer, SENTENCE)
    labels = [token_label(t) for t in tokens]
    query = len(tokens) - 3  # the second " red"
    heads = [
        (16, 0, "a previous-token head (layer 16, head 0)"),
        (17, 4, "an induction head (layer 17, head 4)"),
    ]
    word_size, weight_size, title_size = 11.5, 10.0, 10.5
    gap, margin = 0.19, 0.08  # inches between words, and around the sentence
    widths = _text_widths(labels, word_size, bold=query)
    xs = [widths[0] / 2]
    for left, right in zip(widths[:-1], widths[1:], strict=True):
        xs.append(xs[-1] + left / 2 + gap + right / 2)
    span = xs[-1] + widths[-1] / 2
    fig_width = span + 2 * margin

    # Each panel: a title line, the arcs (an arc3 curve with rad r over a distance D rises
    # r * D / 2), the words, and the weights under them; all in inches, top to bottom.
    rad, title_h, word_h, weight_h = 0.3, 0.32, 0.24, 0.42
    panels = []
    for layer, head, name in heads:
        weights = maps[layer, head, query]
        shown = [j for j in range(query) if float(weights[j]) >= 0.05]  # fainter: not drawn
        rise = max(rad * (xs[query] - xs[j]) / 2 for j in shown)
        panels.append((name, weights, shown, title_h + rise + 0.1 + word_h + weight_h))
    fig_height = sum(height for *_, height in panels) + 0.1
    fig = plt.figure(figsize=(fig_width, fig_height))
    top = fig_height
    base = 0.05  # arcs start and end just above the words
    for name, weights, shown, height in panels:
        top -= height
        ax = fig.add_axes((0, top / fig_height, 1, height / fig_height))
        ax.set_xlim(-margin, span + margin)
        ax.set_ylim(-(word_h + weight_h), height - (word_h + weight_h))  # y = 0: top of words
        ax.axis("off")
        for j, (x, label) in enumerate(zip(xs, labels, strict=True)):
            colour = "#d1242f" if j == query else ("#1f2328" if j < query else "#8c959f")
            bold = "bold" if j == query else "normal"
            ax.text(
                x,
                0,
                label,
                ha="center",
                va="top",
                fontsize=word_size,
                color=colour,
                fontweight=bold,
            )
        for j in shown:
            w = float(weights[j])
            ax.annotate(
                "",
                xy=(xs[j], base),
                xytext=(xs[query], base),
                arrowprops={
                    "arrowstyle": "-|>",
                    "connectionstyle": f"arc3,rad={rad}",
                    "linewidth": 0.6 + 5 * w,
                    "color": BLUE,
                    "alpha": 0.3 + 0.7 * w,
                    "shrinkA": 0,
                    "shrinkB": 0,
                },
            )
            ax.text(
                xs[j], -word_h, f"{w:.2f}", ha="center", va="top", fontsize=weight_size, color=BLUE
            )
        ax.text(
            0,
            height - (word_h + weight_h) - 0.04,
            f"Where the second “red” looks in {name}",
            ha="left",
            va="top",
            fontsize=title_size,
        )
    fig.savefig(FIGURES / "04-which-words-matter.png", **SAVE)
    plt.close(fig)


def causal_mask_figure() -> None:
    tokens = ["The", "girl", "bought", "a", "red", "kite"]
    T = len(tokens)
    allowed = causal_mask(T).float()
    fig, ax = plt.subplots(figsize=(5.2, 4.4), layout="constrained")
    ax.imshow(allowed, cmap="Blues", vmin=-0.3, vmax=1.4)
    for i in range(T):
        for j in range(T):
            ax.text(
                j,
                i,
                "✓" if allowed[i, j] else "−∞",
                ha="center",
                va="center",
                fontsize=11,
                color="white" if allowed[i, j] else "#57606a",
            )
    ax.set_xticks(range(T), tokens)
    ax.set_yticks(range(T), tokens)
    ax.xaxis.tick_top()
    ax.set_xlabel("may it look at this token? (key)")
    ax.xaxis.set_label_position("top")
    ax.set_ylabel("token that is looking (query)")
    ax.grid(False)
    fig.savefig(FIGURES / "04-causal-mask.png", **SAVE)
    plt.close(fig)


def softmax_saturation() -> None:
    generator = torch.Generator().manual_seed(3)
    d, n_keys = 512, 8
    q = torch.randn(d, generator=generator)
    k = torch.randn(n_keys, d, generator=generator)
    raw = k @ q
    rows = [
        ("without scaling: softmax(q·k)", raw),
        ("with scaling: softmax(q·k / √d)", raw / math.sqrt(d)),
    ]
    fig, axes = plt.subplots(1, 2, figsize=(7.2, 3.3), layout="constrained", sharey=True)
    for ax, (name, scores) in zip(axes, rows, strict=True):
        weights = scores.softmax(-1)
        ax.bar(range(n_keys), weights, color=BLUE)
        # Each key's score under its number: above a bar of height 0 it would sit on the axis.
        shown = [f"{s:.0f}" if abs(s) >= 10 else f"{s:.1f}" for s in scores.tolist()]
        labels = [f"{j}\n{score}".replace("-", "\u2212") for j, score in enumerate(shown)]
        ax.set_xticks(range(n_keys), labels, fontsize=9)
        ax.set(xlabel="key, and its score", ylim=(0, 1.08))
        ax.set_title(name, fontsize=10.5)
    axes[0].set_ylabel("attention weight")
    fig.suptitle(
        f"The same 8 random keys and query, vectors of size d = {d}",
        fontsize=10.5,
    )
    fig.savefig(FIGURES / "04-softmax-saturation.png", **SAVE)
    plt.close(fig)


def grouped_query_attention() -> None:
    fig, ax = plt.subplots(figsize=(7.2, 3.0), layout="constrained")
    colours = ["#4c72b0", "#dd8452", "#55a868"]
    q_x = [i * 1.0 for i in range(9)]
    kv_x = [1.0 + 3.0 * g for g in range(3)]
    for i, x in enumerate(q_x):
        g = i // 3
        ax.add_patch(
            FancyBboxPatch(
                (x - 0.35, 2.0),
                0.7,
                0.6,
                boxstyle="round,pad=0.03",
                facecolor=colours[g],
                alpha=0.35,
                edgecolor=colours[g],
            )
        )
        ax.text(x, 2.3, f"Q{i}", ha="center", va="center", fontsize=10)
        ax.plot([x, kv_x[g]], [2.0, 0.9], color=colours[g], linewidth=1.2)
    for g, x in enumerate(kv_x):
        ax.add_patch(
            FancyBboxPatch(
                (x - 0.8, 0.3),
                1.6,
                0.6,
                boxstyle="round,pad=0.03",
                facecolor=colours[g],
                alpha=0.8,
                edgecolor=colours[g],
            )
        )
        ax.text(x, 0.6, f"K{g}, V{g}", ha="center", va="center", fontsize=10, color="white")
    ax.text(-0.6, 2.3, "9 query heads", ha="right", va="center", fontsize=10)
    ax.text(-0.6, 0.6, "3 key/value heads", ha="right", va="center", fontsize=10)
    ax.set_xlim(-3.2, 8.8)
    ax.set_ylim(0.1, 2.8)
    ax.axis("off")
    ax.set_title(
        "Grouped-query attention in SmolLM2: each key/value head serves 3 query heads", fontsize=11
    )
    fig.savefig(FIGURES / "04-grouped-query-attention.png", **SAVE)
    plt.close(fig)


def main() -> None:
    FIGURES.mkdir(parents=True, exist_ok=True)
    causal_mask_figure()
    softmax_saturation()
    grouped_query_attention()
    which_words_matter()


if __name__ == "__main__":
    main()
