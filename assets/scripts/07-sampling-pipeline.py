"""Make assets/figures/07-sampling-pipeline.png: from logits to one drawn token, step by step.

Chapter 7's decoding steps in the order ``gentle_llm.generate.next_token_distribution`` applies
them (temperature, top-k, softmax, top-p with renormalising), then the draw, on a real example:
SmolLM2-135M-Instruct's eight largest next-token logits after "Once upon a time, there was a".
The logits are those stored in Lab 7's sampling explorer (the cell that calls
``explore_sampling``; computed there with ``gentle_llm.explorers.sampling.stored_logits``,
rounded to 4 decimals). With top-k 5, every token below the eighth is removed anyway, so these
eight give exactly the distribution the whole vocabulary would.

The probabilities come from ``gentle_llm.explorers.sampling.distribution`` (which calls
``next_token_distribution``), and the draw from its ``draw_tokens`` with seed 1: the same
numbers the explorer shows for these settings.

Run from the repository root (a second or two, no model needed):
    .venv/bin/python assets/scripts/07-sampling-pipeline.py
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from figure_kit import INK, MUTED, save_checked  # noqa: E402

from gentle_llm.explorers.sampling import distribution, draw_tokens, mulberry32  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "figures" / "07-sampling-pipeline.png"

PROMPT = "Once upon a time, there was a"
TOKENS = [" small", " town", " woman", " young", " time", " place", " company", " great"]
LOGITS = [13.1475, 12.9828, 12.7319, 12.6738, 12.4956, 12.4358, 12.3785, 12.3762]
VOCAB = 49152
TEMPERATURE, TOP_K, TOP_P, SEED = 0.7, 5, 0.6, 1

KEPT = "#1565c0"
GONE = "#b0b8c1"
DRAWN = "#c2185b"


def _pct(p: float, digits: int = 1) -> str:
    """A probability as the book writes it: "30.8 %"."""
    return f"{100 * p:.{digits}f} %"


def _token_axis(ax, labels: bool) -> None:
    ax.set_ylim(len(TOKENS) - 0.4, -0.6)
    ax.set_yticks(range(len(TOKENS)))
    ax.set_yticklabels([f'"{t}"' for t in TOKENS] if labels else [], family="monospace")
    ax.tick_params(axis="y", length=0, labelsize=10.5)
    ax.tick_params(axis="x", labelsize=10)
    ax.grid(axis="x", color="#e4e7eb", lw=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _removed(ax, rows, x) -> None:
    for i in rows:
        ax.text(x, i, "removed", ha="left", va="center", fontsize=10, color=MUTED, style="italic")


def main() -> None:
    top = LOGITS[0]
    scaled = [z / TEMPERATURE for z in LOGITS]
    after_softmax = distribution(LOGITS, TEMPERATURE, TOP_K)
    after_top_p = distribution(LOGITS, TEMPERATURE, TOP_K, TOP_P)
    kept = [i for i, p in enumerate(after_top_p) if p > 0]
    u = mulberry32(SEED)()
    (drawn,) = draw_tokens(after_top_p, SEED, 1)

    fig, axes = plt.subplots(2, 3, figsize=(9.8, 6.6), layout="constrained")
    (a1, a2, a3), (a4, a5, a6) = axes
    rows = range(len(TOKENS))

    # 1 and 2: logits, as distances below the largest, before and after the temperature.
    # After panel 1 the values are logits divided by T, and the axis says so.
    scaled_label = f"logit / {TEMPERATURE}, minus the largest"
    for ax, values, title, label in (
        (a1, [z - top for z in LOGITS], "1. The model's logits", "logit minus the largest"),
        (
            a2,
            [s - scaled[0] for s in scaled],
            f"2. Divide by temperature {TEMPERATURE}",
            scaled_label,
        ),
    ):
        ax.scatter(values, rows, s=46, color=KEPT, zorder=3)
        ax.set_xlim(-1.35, 0.12)
        ax.set_xlabel(label, fontsize=10.5)
        ax.set_title(title, fontsize=11.5, loc="left")
        _token_axis(ax, labels=ax is a1)
    a1.text(
        -1.3,
        0.6,
        f"largest: {top:.2f}\n+ {VOCAB - len(TOKENS):,} more\ntokens, all lower",
        fontsize=10,
        va="center",
        color=MUTED,
    )
    a2.text(-1.3, 0.3, f"gaps × {1 / TEMPERATURE:.2f}", fontsize=10, va="center", color=MUTED)

    # 3: top-k keeps the k largest; the rest become minus infinity.
    a3.scatter([s - scaled[0] for s in scaled[:TOP_K]], range(TOP_K), s=46, color=KEPT, zorder=3)
    a3.set_xlim(-1.35, 0.12)
    a3.set_xlabel(scaled_label, fontsize=10.5)
    a3.set_title(f"3. Keep the top k = {TOP_K}", fontsize=11.5, loc="left")
    _token_axis(a3, labels=False)
    _removed(a3, range(TOP_K, len(TOKENS)), -1.3)

    # 4: softmax over what is left.
    a4.barh(rows, after_softmax, color=KEPT, height=0.62)
    for i, p in enumerate(after_softmax[:TOP_K]):
        a4.text(p + 0.012, i, _pct(p), va="center", fontsize=10)
    _removed(a4, range(TOP_K, len(TOKENS)), 0.01)
    a4.set_title("4. Softmax: probabilities", fontsize=11.5, loc="left")

    # 5: top-p keeps the likeliest until their total reaches p, then renormalises.
    a5.barh(rows, after_softmax, color="none", edgecolor=GONE, height=0.62, lw=1.2)
    a5.barh(rows, after_top_p, color=KEPT, height=0.62)
    for i in kept:
        a5.text(after_top_p[i] + 0.012, i, _pct(after_top_p[i]), va="center", fontsize=10)
    for i in range(len(TOKENS)):
        if i not in kept:
            _removed(a5, [i], after_softmax[i] + 0.012 if after_softmax[i] > 0 else 0.01)
    total = sum(after_softmax[i] for i in kept)
    a5.set_title(f"5. Top-p {TOP_P}, renormalise", fontsize=11.5, loc="left")
    a5.text(
        0.19,
        6.0,
        f"the top {len(kept)} reach {_pct(total, 0)}:\nscaled up to 100 %",
        fontsize=10,
        va="center",
        color=MUTED,
    )
    for ax in (a4, a5):
        ax.set_xlim(0, 0.55)
        ax.set_xlabel("probability", fontsize=10.5)
        ax.xaxis.set_major_formatter(lambda v, _: _pct(v, 0))
        _token_axis(ax, labels=ax is a4)

    # 6: the draw. The kept probabilities tile [0, 1); a random number picks a tile.
    start = 0.0
    for i in kept:
        p = after_top_p[i]
        a6.barh(
            0,
            p,
            left=start,
            height=0.5,
            color=DRAWN if i == drawn else KEPT,
            edgecolor="white",
            lw=2,
        )
        a6.text(
            start + p / 2,
            0,
            TOKENS[i].strip(),
            ha="center",
            va="center",
            fontsize=10.5,
            color="white",
        )
        start += p
    a6.annotate(
        f"random number {u:.3f}\n(seed {SEED})",
        (u, -0.26),
        xytext=(u, -1.1),
        ha="center",
        va="bottom",
        fontsize=10,
        arrowprops={"arrowstyle": "-|>", "color": INK, "lw": 1.2},
    )
    a6.text(
        0.5,
        1.0,
        f'drawn: "{TOKENS[drawn]}"',
        ha="center",
        va="center",
        fontsize=11.5,
        color=DRAWN,
        weight="bold",
    )
    a6.set_xlim(0, 1)
    a6.set_ylim(1.5, -1.5)
    a6.set_yticks([])
    a6.set_xlabel("cumulative probability", fontsize=10.5)
    a6.tick_params(axis="x", labelsize=10)
    for side in ("top", "right", "left"):
        a6.spines[side].set_visible(False)
    a6.set_title("6. Draw one token", fontsize=11.5, loc="left")

    fig.suptitle(f'SmolLM2 after "{PROMPT}": from logits to one token', fontsize=13, color=INK)
    save_checked(fig, OUT)


if __name__ == "__main__":
    main()
