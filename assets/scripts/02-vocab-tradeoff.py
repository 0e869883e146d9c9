"""Make assets/figures/02-vocab-tradeoff.png: the vocabulary-size trade-off of Chapter 2.

Left: how many characters one token covers on held-out Tiny Shakespeare, for our byte-level
BPE trained at several vocabulary sizes, and for three real tokenizers. Right: what the
vocabulary costs, the size of the token-embedding table at SmolLM2's width.

Run from the repository root (offline, with the asset mirror; about a minute on 2 cores):
    GENTLE_LLM_MIRROR=../shared/assets .venv/bin/python assets/scripts/02-vocab-tradeoff.py
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from gentle_llm.data import load_tinyshakespeare  # noqa: E402
from gentle_llm.pretrained import load_smollm2  # noqa: E402
from gentle_llm.tokenizers import BPETokenizer, HFTokenizer, TiktokenTokenizer  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "figures" / "02-vocab-tradeoff.png"
OUR_SIZES = [512, 1024, 2048, 4096, 8192]


def _size_label(value: float, _position: int) -> str:
    return f"{value / 1024:.0f}k" if value >= 1024 else f"{value:.0f}"


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
    real = [
        ("GPT-2/3 (r50k_base)", TiktokenTokenizer("r50k_base")),
        ("GPT-4 (cl100k_base)", TiktokenTokenizer("cl100k_base")),
        ("SmolLM2", HFTokenizer(hf_tokenizer, name="SmolLM2")),
    ]
    real_points = [
        (label, tok.vocab_size, len(held_out) / len(tok.encode(held_out))) for label, tok in real
    ]

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), dpi=120)
    left.plot(*zip(*ours, strict=True), "o-", color="#3b6ea5", label="our BPE (trained here)")
    markers = ["s", "^", "D"]
    for (label, size, chars), marker in zip(real_points, markers, strict=True):
        left.plot(size, chars, marker, markersize=8, label=label)
    left.set_xscale("log", base=2)
    left.set_xlabel("vocabulary size (tokens)")
    left.set_ylabel("characters per token (higher = shorter sequences)")
    left.set_title("A bigger vocabulary packs more text into each token")
    left.legend(fontsize=8, loc="lower right")
    left.grid(True, alpha=0.3)

    total = sum(p.numel() for p in model.parameters())
    sizes = sorted({size for size, _ in ours} | {size for _, size, _ in real_points})
    right.plot(sizes, [s * width / 1e6 for s in sizes], "o-", color="#b5543c")
    offsets = {"GPT-2/3 (r50k_base)": (-10, 10), "SmolLM2": (-10, -14)}
    for label, size, _ in real_points:
        params = size * width
        note = f" = {params / total:.0%} of SmolLM2" if label == "SmolLM2" else ""
        right.annotate(
            f"{label}: {params / 1e6:.1f} M{note}",
            (size, params / 1e6),
            textcoords="offset points",
            xytext=offsets.get(label, (-10, 0)),
            ha="right",
            va="center",
            fontsize=8,
        )
    right.set_xscale("log", base=2)
    for axes in (left, right):
        axes.xaxis.set_major_formatter(FuncFormatter(_size_label))
    right.set_xlabel("vocabulary size (tokens)")
    right.set_ylabel(f"embedding parameters (millions, width {width})")
    right.set_title("…but every token needs its own row of weights")
    right.grid(True, alpha=0.3)

    fig.tight_layout()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT, metadata={"Software": None})
    for size, chars in ours:
        print(f"our BPE {size:>6}: {chars:.3f} characters per token")
    for label, size, chars in real_points:
        print(f"{label:>20} {size:>7}: {chars:.3f} characters per token")
    print(f"wrote {OUT.relative_to(Path.cwd()) if OUT.is_relative_to(Path.cwd()) else OUT}")


if __name__ == "__main__":
    main()
