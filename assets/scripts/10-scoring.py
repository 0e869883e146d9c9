"""Make assets/figures/10-scoring.png: how a multiple-choice benchmark scores a model, and how
sure the result is.

Left, one question scored by log-likelihood: the sum of the log-probabilities SmolLM2 gives
each option's tokens after the prompt; the highest sum is the model's answer. Right, the
accuracy of three scoring rules and of the letter format on Lab 10's 52 questions, each with its
95 % Wilson interval (``gentle_llm.evaluate.wilson_interval``), against the chance rate.

The scores and counts are SmolLM2-135M-Instruct's, as Lab 10's stored outputs print them: the
option scores from the cell that checks ``my_option_logprobs`` against ``score_options``
(Paris -4.51, Berlin -10.77, Madrid -13.27, Rome -7.39), the counts from the cell that scores
all 52 questions with the three rules (37, 33 and 38 right), and the letter format from the cell
after it (the model answers "A" every time, and A is right on 13 of the 52).

Run from the repository root (a second or two, no model needed):
    .venv/bin/python assets/scripts/10-scoring.py
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from figure_kit import INK, MUTED, save_checked  # noqa: E402

from gentle_llm.evaluate import wilson_interval  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "figures" / "10-scoring.png"

QUESTION = "Question: What is the capital of France?\nAnswer:"
SCORES = {" Paris": -4.51, " Rome": -7.39, " Berlin": -10.77, " Madrid": -13.27}
N = 52
RIGHT = {
    "sum": 37,
    "per token": 33,
    "per character": 38,
    "letter format": 13,
}
CHANCE = 0.25
BEST = "#1565c0"
OTHER = "#90a4ae"


def main() -> None:
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(9.8, 4.2), layout="constrained", gridspec_kw={"width_ratios": [1.1, 1]}
    )

    # Left: one question, four options, one score each.
    options = list(SCORES)
    best = max(options, key=SCORES.get)
    rows = range(len(options))
    left.barh(
        rows,
        [SCORES[o] for o in options],
        height=0.6,
        color=[BEST if o == best else OTHER for o in options],
    )
    for i, o in enumerate(options):
        s = SCORES[o]
        left.text(
            s + 0.3,
            i,
            f"{s:.2f}",
            ha="left",
            va="center",
            fontsize=10,
            color="white",
            weight="bold",
        )
        left.text(
            0.3,
            i,
            f"p = {100 * math.exp(s):.2g} %",
            ha="left",
            va="center",
            fontsize=10,
            color=MUTED,
        )
    left.set_yticks(rows)
    left.set_yticklabels([f'"{o}"' for o in options], family="monospace", fontsize=10.5)
    left.set_ylim(len(options) - 0.5, -0.5)
    left.set_xlim(-14, 5.2)
    left.set_xticks([-12, -8, -4, 0])
    left.plot([0, 0], [-0.45, len(options) - 0.5], color=INK, lw=1)
    left.set_xlabel("log-probability of the option after the prompt", fontsize=10.5)
    left.set_title("One question, four options", fontsize=11.5, loc="left")
    left.text(
        -13.8,
        -1.0,
        QUESTION + " …",
        ha="left",
        va="center",
        fontsize=10,
        family="monospace",
        color=INK,
        linespacing=1.3,
    )
    left.set_ylim(len(options) - 0.5, -1.7)

    # Right: accuracy on 52 questions, with 95 % Wilson intervals.
    names = list(RIGHT)
    for i, name in enumerate(names):
        k = RIGHT[name]
        low, high = wilson_interval(k, N)
        right.plot([low, high], [i, i], color=BEST, lw=2.5, solid_capstyle="butt")
        right.plot([k / N], [i], "o", color=BEST, ms=7)
        right.text(high + 0.02, i, f"{k}/{N} = {100 * k / N:.0f} %", va="center", fontsize=10)
    right.axvline(CHANCE, color=MUTED, lw=1.2, ls="--")
    right.text(CHANCE + 0.015, -0.55, "chance", fontsize=10, color=MUTED, va="center")
    right.set_yticks(range(len(names)))
    right.set_yticklabels(names, fontsize=10.5)
    right.set_ylim(len(names) - 0.3, -0.6)
    right.set_xlim(0, 1.12)
    right.set_xticks([0, 0.25, 0.5, 0.75, 1])
    right.xaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f} %")
    right.set_xlabel("accuracy, with its 95 % Wilson interval", fontsize=10.5)
    right.set_title(f"The same model on {N} questions, by scoring rule", fontsize=11.5, loc="left")
    for ax in (left, right):
        ax.tick_params(axis="x", labelsize=10)
        ax.tick_params(axis="y", length=0)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    fig.suptitle(
        "Scoring a multiple-choice benchmark: SmolLM2-135M-Instruct", fontsize=13, color=INK
    )
    save_checked(fig, OUT)


if __name__ == "__main__":
    main()
