"""Make assets/figures/08-post-training.png: from base model to assistant, with Llama 2's data.

Chapter 8's pipeline: pre-training, supervised fine-tuning, a reward model, reinforcement
learning, and DPO as the shortcut from the comparisons straight to the model. Under each stage,
the data Meta used for Llama 2 and Llama 2-Chat, all from Touvron et al. (2023, "Llama 2: Open
Foundation and Fine-Tuned Chat Models"):

* pre-training: 2 trillion tokens (Section 2.1 and Table 1);
* supervised fine-tuning: 27,540 annotations written by vendors (Section 3.1, "Quality Is All
  You Need"; Meta set aside millions of third-party examples);
* reward models: 1,418,091 binary comparisons collected by Meta, 2,919,326 with the open
  datasets added (Table 6);
* reinforcement learning: five successive versions, RLHF-V1 to V5, trained with rejection
  sampling and PPO (Section 3.2.3).

Run from the repository root (a second or two, nothing downloaded):
    .venv/bin/python assets/scripts/08-post-training.py
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from figure_kit import MUTED, arrow, box, canvas, diagram_title, save_checked  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "figures" / "08-post-training.png"

DATA = "#8d2a4b"
STAGES = [
    (
        "#e3f2fd",
        "1. Pre-training",
        ["predict the next", "token of raw text"],
        ["2 trillion", "tokens"],
        "base model",
    ),
    (
        "#e8f5e9",
        "2. Supervised\nfine-tuning",
        ["prompts with ideal", "answers (prompt", "masked)"],
        ["27,540", "written examples"],
        "SFT model",
    ),
    (
        "#fff3e0",
        "3. Reward model",
        ["people pick the", "better of two", "answers"],
        ["1.42 million", "comparisons"],
        "reward model",
    ),
    (
        "#fce4ec",
        "4. Reinforcement\nlearning",
        ["the model writes,", "the reward model", "scores it"],
        ["5 rounds", "(RLHF-V1 to V5)"],
        "chat model",
    ),
]


def main() -> None:
    fig, ax = canvas(10.0, 4.3)
    w, h, gap, x0, y0 = 1.95, 2.5, 0.62, 0.18, 1.25
    for i, (fill, title, what, data, product) in enumerate(STAGES):
        x = x0 + i * (w + gap)
        box(ax, x, y0, w, h, fill)
        ax.text(
            x + w / 2,
            y0 + h - 0.12,
            title,
            ha="center",
            va="top",
            fontsize=11.5,
            weight="bold",
            linespacing=1.15,
        )
        y = y0 + h - 0.72
        for line in what:
            ax.text(x + w / 2, y, line, ha="center", va="top", fontsize=10.5, color="#323f4b")
            y -= 0.26
        ax.plot([x + 0.15, x + w - 0.15], [y0 + 0.78, y0 + 0.78], color=MUTED, lw=0.8)
        ax.text(
            x + w / 2,
            y0 + 0.62,
            data[0],
            ha="center",
            va="top",
            fontsize=12,
            weight="bold",
            color=DATA,
        )
        ax.text(x + w / 2, y0 + 0.33, data[1], ha="center", va="top", fontsize=10, color=DATA)
        if i < len(STAGES) - 1:
            arrow(ax, (x + w + 0.04, y0 + h / 2), (x + w + gap - 0.05, y0 + h / 2))
            ax.text(
                x + w + gap / 2,
                y0 + h / 2 + 0.12,
                product.replace(" ", "\n"),
                ha="center",
                va="bottom",
                fontsize=10,
                color=MUTED,
                linespacing=1.1,
            )
    # The result, under the last stage; DPO reaches it from the SFT model without steps 3-4.
    end_x = x0 + 3 * (w + gap) + w / 2
    result_y = 0.55
    arrow(ax, (end_x, y0 - 0.03), (end_x, result_y + 0.17))
    ax.text(end_x, result_y, "chat model", ha="center", va="center", fontsize=11, weight="bold")
    sft_x = x0 + 1 * (w + gap) + w / 2
    dpo = "#6a1b9a"
    ax.plot(
        [sft_x, sft_x, end_x - 0.75], [y0 - 0.03, result_y, result_y], color=dpo, lw=1.8, ls="--"
    )
    arrow(ax, (end_x - 0.76, result_y), (end_x - 0.62, result_y), color=dpo)
    ax.text(
        sft_x + 0.12,
        result_y + 0.07,
        "DPO: straight from the comparisons, skipping 3 and 4",
        ha="left",
        va="bottom",
        fontsize=10.5,
        color=dpo,
        style="italic",
    )
    diagram_title(ax, 5.0, 4.25, "From Llama 2 to Llama 2-Chat, with the data of each stage")
    save_checked(fig, OUT)


if __name__ == "__main__":
    main()
