"""Make assets/figures/02-vocab-tradeoff.png: the vocabulary-size trade-off of Chapter 2.

Left: how many characters one token covers on held-out Tiny Shakespeare, for our byte-level
BPE trained at several vocabulary sizes, and for three real tokenizers. Right: what the
vocabulary costs, the size of the token-embedding table at SmolLM2's width.

Both panels put the vocabulary on a logarithmic axis (each step doubles it). The right panel
uses a logarithmic vertical axis too: the table grows in proportion to the vocabulary, which
is then a straight line, where a linear vertical axis would bend it into a curve that looks
like runaway growth. GPT-2's and SmolLM2's tokenizers land almost on the same spot in both
panels, so GPT-2's marker is a hollow square around SmolLM2's diamond, and the values go in the
legends instead of labels beside the markers. ``figure_kit.save_checked`` checks that the
smallest text (9.5 pt) is still about 10 px at the book's column width and that no labels
overlap.

Run from the repository root (offline, with the asset mirror; about a minute on 2 cores):
    GENTLE_LLM_MIRROR=../shared/assets .venv/bin/python assets/scripts/02-vocab-tradeoff.py
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from figure_kit import save_checked  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter  # noqa: E402

from gentle_llm.data import load_tinyshakespeare  # noqa: E402
from gentle_llm.pretrained import load_smollm2  # noqa: E402
from gentle_llm.tokenizers import BPETokenizer, HFTokenizer, TiktokenTokenizer  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "figures" / "02-vocab-tradeoff.png"
OUR_SIZES = [512, 1024, 2048, 4096, 8192]
DPI = 120
WIDTH_IN = 9.0  # 1080 px, shown 672 px wide at 1280 px: 1 pt of font is then 1.04 px
SMALL = 9.5  # pt: the smallest text in the figure, about 10 px on screen
# One look per real tokenizer, the same in both panels.
STYLE = {
    "GPT-2/3 (r50k_base)": ("s", "#1f77b4"),
    "GPT-4 (cl100k_base)": ("^", "#ff7f0e"),
    "SmolLM2": ("D", "#2ca02c"),
}


def _marker(label: str) -> dict:
    """GPT-2's marker is a large hollow square, so SmolLM2's diamond, drawn at almost the same
    place (their vocabularies and ratios are nearly equal), sits visibly inside it."""
    marker, colour = STYLE[label]
    if label.startswith("GPT-2"):
        return dict(
            marker=marker,
            color=colour,
            markersize=13,
            markerfacecolor="none",
            markeredgewidth=2,
            linestyle="none",
        )
    return dict(marker=marker, color=colour, markersize=7, linestyle="none")


def _size_label(value: float, _position: int) -> str:
    return f"{value / 1024:.0f}k" if value >= 1024 else f"{value:.0f}"


def _millions(value: float, _position: int) -> str:
    return f"{value:g} M"


def main() -> None:
    text = load_tinyshakespeare()
    cut = int(len(text) * 0.9)
    train, held_out = text[:cut], text[cut:]  # measure on lines the BPE never saw

    ours = [(256, 1.0)]  # bytes only: Tiny Shakespeare is plain ASCII, one byte per character
    for size in OUR_SIZES:
        bpe = BPETokenizer.train(train, size)
        ours.append((size, len(held_out) / len(bpe.encode(held_out))))

    model, hf_tokenizer = load_smollm2()
    width = model.config.hidden_size
    total = sum(p.numel() for p in model.parameters())
    real = [
        ("GPT-2/3 (r50k_base)", TiktokenTokenizer("r50k_base")),
        ("GPT-4 (cl100k_base)", TiktokenTokenizer("cl100k_base")),
        ("SmolLM2", HFTokenizer(hf_tokenizer, name="SmolLM2")),
    ]
    real_points = [
        (label, tok.vocab_size, len(held_out) / len(tok.encode(held_out))) for label, tok in real
    ]

    plt.rcParams.update({"font.size": 10, "axes.titlesize": 11, "legend.fontsize": SMALL})
    fig, (left, right) = plt.subplots(1, 2, figsize=(WIDTH_IN, 4.6), dpi=DPI)

    left.plot(
        *zip(*ours, strict=True), "o-", color="#3b6ea5", label="our BPE (trained on the rest)"
    )
    for label, size, chars in real_points:
        left.plot(size, chars, label=f"{label}: {chars:.2f}", **_marker(label))
    left.set_ylabel("characters per token (held-out last 10 %)")
    left.set_title("Bigger vocabulary: fewer, longer tokens")
    left.legend(loc="lower right")
    left.set_ylim(0.8, 4.0)

    sizes = [size for size, _ in ours] + [100_277]
    right.plot(sizes, [s * width / 1e6 for s in sizes], "-", color="#b5543c", linewidth=1.5)
    right.plot([s for s, _ in ours], [s * width / 1e6 for s, _ in ours], "o", color="#3b6ea5")
    # The real vocabularies at SmolLM2's width, named in the legend rather than beside their
    # markers (GPT-2's and SmolLM2's sit almost on top of each other). These are not those
    # models' own tables: GPT-2 and GPT-4 are wider than 576.
    for label, size, _ in real_points:
        params = size * width / 1e6
        note = (
            f" ({params / (total / 1e6):.0%} of its {total / 1e6:.0f} M)"
            if label == "SmolLM2"
            else ""
        )
        right.plot(size, params, label=f"{label}: {params:.1f} M{note}", **_marker(label))
    right.legend(loc="upper left", title=f"each vocabulary at width {width}", title_fontsize=SMALL)
    right.set_yscale("log")
    right.yaxis.set_major_locator(LogLocator(base=10))
    right.yaxis.set_major_formatter(FuncFormatter(_millions))
    right.yaxis.set_minor_formatter(NullFormatter())
    right.set_ylim(0.08, 2000)
    right.set_ylabel(f"embedding parameters (width {width}, log scale)")
    right.set_title("…but a bigger embedding table")
    right.text(
        0.96,
        0.05,
        "both axes logarithmic:\ntwice the vocabulary,\ntwice the parameters",
        transform=right.transAxes,
        ha="right",
        va="bottom",
        fontsize=SMALL,
        color="#444",
    )

    for axes in (left, right):
        axes.set_xscale("log", base=2)
        axes.set_xlim(180, 180_000)
        axes.xaxis.set_major_formatter(FuncFormatter(_size_label))
        axes.set_xlabel("vocabulary size (log scale)")
        axes.grid(True, alpha=0.3)

    fig.tight_layout()
    save_checked(fig, OUT)
    for size, chars in ours:
        print(f"our BPE {size:>6}: {chars:.3f} characters per token")
    for label, size, chars in real_points:
        print(f"{label:>20} {size:>7}: {chars:.3f} characters per token")
    print(f"embedding table of SmolLM2: {49_152 * width / 1e6:.1f} M of {total / 1e6:.1f} M")


if __name__ == "__main__":
    main()
