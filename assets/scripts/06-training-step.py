"""Make assets/figures/06-training-step.png: one step of pre-training, as Lab 6 runs it.

Five boxes from left to right: a batch of random windows (targets shifted by one), the forward
pass (logits at every position), the loss (one number), the backward pass (a gradient for every
weight, clipped), and the AdamW step that moves the weights; an arrow back to the start says the
loop repeats with a new batch. Underneath, the learning rate that each step uses: a linear
warm-up, then half a cosine down to the minimum.

Every number comes from the library: the ``cpu-quick`` preset (batch, context, steps, warm-up,
peak and minimum learning rate, clipping), its model's parameter count, and
``gentle_llm.train.lr_at`` for the curve, so the figure follows the preset if it changes.

Run from the repository root (a few seconds, no training):
    .venv/bin/python assets/scripts/06-training-step.py
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from figure_kit import INK, MUTED, arrow, box, canvas, save_checked, write_rows  # noqa: E402

from gentle_llm.model import GPT  # noqa: E402
from gentle_llm.presets import PRESETS  # noqa: E402
from gentle_llm.train import lr_at  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "figures" / "06-training-step.png"


def main() -> None:
    preset = PRESETS["cpu-quick"]
    model, train = preset.model, preset.train
    params = GPT(model).num_parameters()
    assert params == 413_312, params  # the count Chapter 6 and Lab 6 give

    fig, ax = canvas(10.0, 4.6)

    # The five stages of one step, left to right.
    top, height, width, gap = 2.55, 1.8, 1.74, 0.26
    stages = [
        (
            "#f5f7fa",
            [
                ("1. a batch", True),
                (f"{train.batch_size} random windows", False),
                (f"of {model.block_size} characters;", False),
                ("targets: the same", False),
                ("windows shifted", False),
                ("by one character", False),
            ],
        ),
        (
            "#fff3e0",
            [
                ("2. forward", True),
                ("the model gives", False),
                (f"{model.vocab_size} logits at", False),
                ("every position", False),
            ],
        ),
        (
            "#fce4ec",
            [
                ("3. loss", True),
                ("the mean of", False),
                ("−ln p(next character)", False),
                ("over all positions:", False),
                ("one number", False),
            ],
        ),
        (
            "#e3f2fd",
            [
                ("4. backward", True),
                ("a gradient for each", False),
                (f"of the {params:,}", False),
                ("weights, clipped to", False),
                (f"length {train.grad_clip:g} at most", False),
            ],
        ),
        (
            "#e8f5e9",
            [
                ("5. AdamW step", True),
                ("move every weight", False),
                ("against its gradient,", False),
                ("as far as this step's", False),
                ("learning rate allows", False),
            ],
        ),
    ]
    lefts = [0.1 + i * (width + gap) for i in range(len(stages))]
    for x, (fill, rows) in zip(lefts, stages, strict=True):
        box(ax, x, top, width, height, fill)
        write_rows(ax, x + width / 2, top + height - 0.14, rows, bold_gap=0.07)
    for x in lefts[:-1]:
        arrow(ax, (x + width + 0.03, top + height / 2), (x + width + gap - 0.04, top + height / 2))

    # The loop: the updated weights meet the next batch.
    loop_y = 2.2
    last_mid, first_mid = lefts[-1] + width / 2, lefts[0] + width / 2
    ax.plot([last_mid, last_mid, first_mid], [top - 0.03, loop_y, loop_y], color=INK, lw=1.8)
    arrow(ax, (first_mid, loop_y), (first_mid, top - 0.05))
    ax.text(
        (first_mid + last_mid) / 2,
        loop_y + 0.06,
        f"new weights; repeat with a new batch ({train.steps} steps in the lab)",
        ha="center",
        va="bottom",
        fontsize=10.5,
        style="italic",
        color=MUTED,
    )

    # The learning rate each step uses, drawn to scale under the last stages.
    x0, x1, y0, y1 = 3.4, 8.9, 0.45, 1.65
    peak = train.lr
    steps = range(train.steps + 1)
    xs = [x0 + (x1 - x0) * s / train.steps for s in steps]
    ys = [y0 + (y1 - y0) * lr_at(s, train) / peak for s in steps]
    ax.plot([x0, x1], [y0, y0], color=MUTED, lw=1)
    ax.plot([x0, x0], [y0, y1 + 0.05], color=MUTED, lw=1)
    ax.plot(xs, ys, color="#2e7d32", lw=2.2)
    ax.text(x0 - 0.08, y1, f"{peak:g}", ha="right", va="center", fontsize=10.5, color=MUTED)
    ax.text(x0 - 0.08, y0, "0", ha="right", va="center", fontsize=10.5, color=MUTED)
    ax.text(x0, y0 - 0.07, "step 0", ha="left", va="top", fontsize=10.5, color=MUTED)
    ax.text(x1, y0 - 0.07, f"{train.steps}", ha="right", va="top", fontsize=10.5, color=MUTED)
    warm_x = x0 + (x1 - x0) * train.warmup_steps / train.steps
    ax.text(
        warm_x + 0.1,
        y1 + 0.02,
        f"warm-up over {train.warmup_steps} steps, then half a cosine",
        ha="left",
        va="bottom",
        fontsize=10.5,
        color=INK,
    )
    ax.text(
        x1,
        y0 + (y1 - y0) * train.min_lr / peak + 0.12,
        f"down to {train.min_lr:g}",
        ha="right",
        va="bottom",
        fontsize=10.5,
        color=INK,
    )
    ax.text(
        x0 - 0.55,
        (y0 + y1) / 2,
        "learning\nrate of\neach step",
        ha="right",
        va="center",
        fontsize=10.5,
        weight="bold",
        color=INK,
    )
    save_checked(fig, OUT)


if __name__ == "__main__":
    main()
