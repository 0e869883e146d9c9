"""Make assets/figures/02-vocab-tradeoff.png: the vocabulary-size trade-off of Chapter 2.

Left: how many characters one token covers on held-out Tiny Shakespeare, for our byte-level
BPE trained at several vocabulary sizes, and for three real tokenizers. Right: what the
vocabulary costs, the size of the token-embedding table at SmolLM2's width.

Both panels put the vocabulary on a logarithmic axis (each step doubles it). The right panel
uses a logarithmic vertical axis too: the table grows in proportion to the vocabulary, which
is then a straight line, where a linear vertical axis would bend it into a curve that looks
like runaway growth. The figure is sized for the book's text column (672 px wide on a 1280 px
screen), so that its smallest text, 9.5 pt at 120 dpi, is still about 10 px there.

Run from the repository root (offline, with the asset mirror; about a minute on 2 cores):
    GENTLE_LLM_MIRROR=../shared/assets .venv/bin/python assets/scripts/02-vocab-tradeoff.py
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
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
    fig, (left, right) = plt.subplots(1, 2, figsize=(WIDTH_IN, 4.3), dpi=DPI)

    left.plot(*zip(*ours, strict=True), "o-", color="#3b6ea5", label="our BPE (trained here)")
    for label, size, chars in real_points:
        marker, colour = STYLE[label]
        left.plot(size, chars, marker, color=colour, markersize=8, label=label)
    left.set_ylabel("characters per token")
    left.set_title("Bigger vocabulary: fewer, longer tokens")
    left.legend(loc="lower right")
    left.set_ylim(0.8, 4.0)

    sizes = [size for size, _ in ours] + [100_277]
    right.plot(sizes, [s * width / 1e6 for s in sizes], "-", color="#b5543c", linewidth=1.5)
    right.plot([s for s, _ in ours], [s * width / 1e6 for s, _ in ours], "o", color="#3b6ea5")
    points = {label: (size, size * width / 1e6) for label, size, _ in real_points}
    for label, (size, params) in points.items():
        marker, colour = STYLE[label]
        right.plot(size, params, marker, color=colour, markersize=8)
    # GPT-2's and SmolLM2's vocabularies are almost the same size, so they share one note,
    # placed left of their markers, above the line.
    gpt4 = points["GPT-4 (cl100k_base)"]
    right.annotate(
        f"GPT-4: {gpt4[1]:.1f} M",
        gpt4,
        textcoords="offset points",
        xytext=(-8, 4),
        ha="right",
        va="bottom",
        fontsize=SMALL,
    )
    gpt2, smol = points["GPT-2/3 (r50k_base)"], points["SmolLM2"]
    right.annotate(
        f"GPT-2/3: {gpt2[1]:.1f} M\nSmolLM2: {smol[1]:.1f} M ({smol[0] * width / total:.0%}"
        f" of its {total / 1e6:.0f} M)",
        smol,
        textcoords="offset points",
        xytext=(-10, -2),
        ha="right",
        va="center",
        fontsize=SMALL,
    )
    right.set_yscale("log")
    right.yaxis.set_major_locator(LogLocator(base=10))
    right.yaxis.set_major_formatter(FuncFormatter(_millions))
    right.yaxis.set_minor_formatter(NullFormatter())
    right.set_ylim(0.08, 200)
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
    OUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT, metadata={"Software": None})
    for size, chars in ours:
        print(f"our BPE {size:>6}: {chars:.3f} characters per token")
    for label, size, chars in real_points:
        print(f"{label:>20} {size:>7}: {chars:.3f} characters per token")
    print(f"embedding table of SmolLM2: {49_152 * width / 1e6:.1f} M of {total / 1e6:.1f} M")
    print(f"wrote {OUT.relative_to(Path.cwd()) if OUT.is_relative_to(Path.cwd()) else OUT}")


if __name__ == "__main__":
    main()
