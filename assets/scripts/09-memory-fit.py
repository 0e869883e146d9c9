"""Make assets/figures/09-memory-fit.png: does it fit? Weights at three precisions plus the
key/value cache for 1 or 32 conversations, against three common memory sizes.

Every number comes from ``gentle_llm.deploy``, the calculator Chapter 9 and Lab 9 use: Meta's
published shapes of Llama 3 8B and Llama 3 70B (``PUBLISHED``, which names its sources),
``weight_bytes`` (int8 and int4 with one 16-bit scale per 32 weights) and ``kv_cache_bytes``
(a 16-bit cache, 8,192 tokens per conversation, the models' full context). The three lines are
the module's round, illustrative ``DEVICES``. Activations and the serving software's own
memory are left out, as in the chapter, so every bar is a lower bound.

Run from the repository root (a second or two, nothing downloaded):
    .venv/bin/python assets/scripts/09-memory-fit.py
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from figure_kit import INK, MUTED, save_checked  # noqa: E402

from gentle_llm.deploy import DEVICES, PUBLISHED, kv_cache_bytes, weight_bytes  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "figures" / "09-memory-fit.png"

MODELS = ["Llama 3 8B", "Llama 3 70B"]
PRECISIONS = ["bf16", "int8", "int4"]
CONVERSATIONS = [1, 32]
TOKENS = 8192
WEIGHTS = "#1565c0"
CACHE = "#ef6c00"


def main() -> None:
    fig, axes = plt.subplots(2, 1, figsize=(9.4, 6.2), sharex=True, layout="constrained")
    for ax, name in zip(axes, MODELS, strict=True):
        shape = PUBLISHED[name]
        labels, weights, caches = [], [], []
        for precision in PRECISIONS:
            for n in CONVERSATIONS:
                labels.append(f"{precision}, {n} conversation{'s' if n > 1 else ''}")
                weights.append(weight_bytes(shape.parameters, precision) / 1e9)
                caches.append(kv_cache_bytes(shape, TOKENS, batch=n) / 1e9)
        rows = range(len(labels))
        ax.barh(rows, weights, color=WEIGHTS, height=0.64, label="weights")
        ax.barh(
            rows,
            caches,
            left=weights,
            color=CACHE,
            height=0.64,
            label=f"key/value cache (16-bit, {TOKENS:,} tokens each)",
        )
        for i, (w, c) in enumerate(zip(weights, caches, strict=True)):
            ax.text(
                w + c + 2,
                i,
                f"{w + c:.1f} GB",
                va="center",
                fontsize=10,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.5},
            )
        ax.set_yticks(rows)
        ax.set_yticklabels(labels, fontsize=10.5)
        ax.set_ylim(len(labels) - 0.45, -0.55)
        ax.set_title(
            f"{name}: {shape.parameters / 1e9:.2f} billion parameters, {shape.layers} layers, "
            f"{shape.kv_heads} key/value heads",
            fontsize=11.5,
            loc="left",
        )
        for size in DEVICES.values():
            ax.axvline(size / 1e9, color=MUTED, lw=1.2, ls="--", zorder=0)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.tick_params(axis="x", labelsize=10)
    top = axes[0]
    top.set_title(top.get_title("left"), fontsize=11.5, loc="left", pad=20)
    for i, (device, size) in enumerate(sorted(DEVICES.items(), key=lambda d: d[1])):
        # The first label goes left of its line, so that it leaves room for the second.
        left = i == 0
        top.text(
            size / 1e9 + (-1 if left else 1),
            -0.6,
            device,
            ha="right" if left else "left",
            va="bottom",
            fontsize=10,
            color=MUTED,
        )
    axes[0].legend(loc="lower right", fontsize=10, frameon=False)
    axes[1].set_xlabel("memory, GB (10⁹ bytes)", fontsize=10.5)
    axes[1].set_xlim(0, 250)
    fig.suptitle("Does it fit? Weights plus the key/value cache", fontsize=13, color=INK)
    save_checked(fig, OUT)


if __name__ == "__main__":
    main()
