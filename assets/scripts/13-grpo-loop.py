"""Make assets/figures/13-grpo-loop.png: one step of GRPO, from a prompt to an update.

Chapter 13's loop, with the numbers of one real group: a prompt, a group of sampled answers,
a program that checks each, the group-relative advantages (reward minus the group's mean,
divided by its standard deviation, as in DeepSeekMath, Shao et al. 2024), and the update that
makes the right answers likelier while a KL penalty holds the policy near a frozen reference.

Run from the repository root (a second or two, nothing downloaded):
    .venv/bin/python assets/scripts/13-grpo-loop.py
"""

from __future__ import annotations

import statistics
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from figure_kit import MUTED, arrow, box, canvas, diagram_title, save_checked  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "figures" / "13-grpo-loop.png"

PROMPT = "3+4+5="
ANSWERS = ["12", "13", "12", "11"]  # a group of G = 4 sampled answers
RIGHT = "#2e7d32"
WRONG = "#c62828"


def advantages(rewards: list[float]) -> list[float]:
    mean, spread = statistics.mean(rewards), statistics.stdev(rewards)
    return [(r - mean) / (spread + 1e-4) for r in rewards]


def main() -> None:
    fig, ax = canvas(10.0, 4.4)
    rewards = [1.0 if a == "12" else 0.0 for a in ANSWERS]
    adv = advantages(rewards)

    box(ax, 0.2, 1.7, 1.5, 1.0, "#e3f2fd")
    ax.text(0.95, 2.45, "prompt", ha="center", va="top", fontsize=10.5, color=MUTED)
    ax.text(0.95, 2.1, PROMPT, ha="center", va="center", fontsize=13, family="monospace")

    columns = [
        (2.45, "1. sample a group\n(policy, temperature 1)"),
        (4.75, "2. check each answer\n(a program: reward)"),
        (7.05, "3. advantage =\n(r − mean) / std"),
    ]
    for x, title in columns:
        ax.text(
            x + 0.9,
            4.0,
            title,
            ha="center",
            va="top",
            fontsize=10.5,
            weight="bold",
            linespacing=1.15,
        )
    for i, (answer, reward, a) in enumerate(zip(ANSWERS, rewards, adv, strict=True)):
        y = 2.95 - i * 0.62
        colour = RIGHT if reward else WRONG
        box(ax, 2.45, y - 0.22, 1.8, 0.46, "#ffffff")
        ax.text(3.35, y, answer, ha="center", va="center", fontsize=12, family="monospace")
        arrow(ax, (4.3, y), (4.7, y), lw=1.2)
        ax.text(
            5.65,
            y,
            f"{'right' if reward else 'wrong'}: r = {reward:.0f}",
            ha="center",
            va="center",
            fontsize=10.5,
            color=colour,
        )
        arrow(ax, (6.6, y), (7.0, y), lw=1.2)
        advantage = f"A = {a:+.2f}".replace("-", "\u2212")  # a minus sign, not a hyphen
        ax.text(7.95, y, advantage, ha="center", va="center", fontsize=10.5, color=colour)
        ax.plot([8.45, 8.62], [y, y], color="#1f2933", lw=1.2)
    arrow(ax, (1.75, 2.2), (2.4, 2.2), lw=1.4)

    box(ax, 8.95, 0.95, 1.0, 2.35, "#fff3e0")
    ax.text(9.42, 3.1, "4. update", ha="center", va="top", fontsize=10.5, weight="bold")
    for j, line in enumerate(
        [
            "right",
            "answers",
            "likelier,",
            "wrong",
            "ones less;",
            "KL keeps",
            "it near the",
            "reference",
        ]
    ):
        ax.text(9.42, 2.78 - j * 0.23, line, ha="center", va="top", fontsize=10, color="#323f4b")
    # Every advantage feeds the one update: a bracket joins the column to its arrow.
    rows_y = [2.95 - i * 0.62 for i in range(len(ANSWERS))]
    ax.plot([8.62, 8.62], [rows_y[-1], rows_y[0]], color="#1f2933", lw=1.2)
    arrow(ax, (8.62, 2.1), (8.92, 2.1), lw=1.4)
    ax.text(
        5.0,
        0.45,
        "No value model: the group's own mean reward is the baseline. A group whose "
        "answers all score alike has A = 0 and teaches nothing.",
        ha="center",
        va="center",
        fontsize=10,
        color=MUTED,
        style="italic",
    )
    diagram_title(ax, 5.0, 4.4, "One step of GRPO")
    save_checked(fig, OUT)


if __name__ == "__main__":
    main()
