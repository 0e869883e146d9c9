"""Make assets/figures/05-moe-layer.png: a mixture-of-experts layer routing one token.

Chapter 5's section "Mixture of experts": the token's vector goes to a router (one matrix and a
softmax), which gives each of 8 experts a probability; the token keeps the 2 most likely (top-2,
as in Mixtral), their probabilities are rescaled to add up to 1, and the layer's output is the
weighted sum of those two experts' outputs. The other six hold parameters but do no work for
this token: the total/active split of the chapter.

The probabilities are an illustration, not a trained router's; the rescaling is the one
``gentle_llm.moe.TopKRouter`` does, and the script checks its arithmetic.

Run from the repository root (a second or two, nothing downloaded):
    .venv/bin/python assets/scripts/05-moe-layer.py
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from figure_kit import INK, MUTED, arrow, box, canvas, diagram_title, save_checked  # noqa: E402
from matplotlib.patches import Circle, Rectangle  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "figures" / "05-moe-layer.png"

PROBS = [0.09, 0.31, 0.06, 0.04, 0.18, 0.13, 0.12, 0.07]  # the router's softmax, 8 experts
TOP_K = 2
assert abs(sum(PROBS) - 1) < 1e-9
CHOSEN = sorted(range(len(PROBS)), key=lambda e: -PROBS[e])[:TOP_K]
WEIGHTS = {e: PROBS[e] / sum(PROBS[c] for c in CHOSEN) for e in CHOSEN}
assert [round(WEIGHTS[e], 2) for e in CHOSEN] == [0.63, 0.37]

# Box fills by role, and the colour of the router's choice (bars, arrows and weights).
FILL = {"token": "#fff8e1", "router": "#e3f2fd", "picked": "#c8e6c9", "idle": "#f1f3f5"}
BAR = "#1565c0"


def main() -> None:
    fig, ax = canvas(10.0, 4.6)
    mid = 2.05

    # The token's vector, from the norm below (the residual stream of the block).
    box(ax, 0.2, mid - 0.45, 1.35, 0.9, FILL["token"])
    ax.text(0.875, mid + 0.17, "token x", ha="center", va="center", fontsize=11, weight="bold")
    ax.text(0.875, mid - 0.17, "d numbers", ha="center", va="center", fontsize=10, color=MUTED)

    # The router: scores W_r x, a softmax, and the two most likely experts kept.
    rx, ry, rw, rh = 2.0, 0.55, 2.9, 3.05
    box(ax, rx, ry, rw, rh, FILL["router"])
    ax.text(rx + rw / 2, ry + rh - 0.17, "router", ha="center", va="top", fontsize=11.5,
            weight="bold")  # fmt: skip
    ax.text(rx + rw / 2, ry + rh - 0.5, r"softmax($W_r\,x$): one probability", ha="center",
            va="top", fontsize=10)  # fmt: skip
    ax.text(rx + rw / 2, ry + rh - 0.76, "per expert; keep the top 2", ha="center", va="top",
            fontsize=10)  # fmt: skip
    arrow(ax, (1.6, mid), (rx - 0.05, mid))
    base, scale, bar_w = ry + 0.5, 4.2, 0.22
    for e, p in enumerate(PROBS):
        x = rx + 0.3 + e * 0.32
        picked = e in CHOSEN
        ax.add_patch(Rectangle((x, base), bar_w, p * scale, facecolor=BAR if picked else
                               "#90a4ae", edgecolor="none"))  # fmt: skip
        ax.text(x + bar_w / 2, base - 0.08, str(e + 1), ha="center", va="top", fontsize=10,
                color=INK if picked else MUTED)  # fmt: skip
        if picked:
            ax.text(x + bar_w / 2, base + p * scale + 0.05, f"{p:.2f}", ha="center",
                    va="bottom", fontsize=10, color=BAR, weight="bold")  # fmt: skip

    # The experts: feed-forward networks of one shape; only the chosen two run.
    ex, ew, eh, gap = 5.75, 1.75, 0.36, 0.1
    top = 4.0
    centres = {}
    for e in range(len(PROBS)):
        y = top - e * (eh + gap) - eh
        picked = e in CHOSEN
        fill = FILL["picked"] if picked else FILL["idle"]
        box(ax, ex, y, ew, eh, fill, edge=INK if picked else "#adb5bd", lw=1.6 if picked else 1.0)
        label = f"expert {e + 1}" + ("" if picked else ": idle")
        ax.text(ex + ew / 2, y + eh / 2, label, ha="center", va="center", fontsize=10,
                color=INK if picked else MUTED, weight="bold" if picked else "normal")  # fmt: skip
        centres[e] = y + eh / 2
    for e in CHOSEN:
        arrow(ax, (rx + rw + 0.05, mid), (ex - 0.05, centres[e]), lw=1.6, color=BAR)

    # The weighted sum of the chosen experts' outputs.
    sx = 8.45
    ax.add_patch(Circle((sx, mid), 0.22, facecolor="white", edgecolor=INK, lw=1.6))
    ax.text(sx, mid, "+", ha="center", va="center", fontsize=15, weight="bold")
    for e in CHOSEN:
        arrow(ax, (ex + ew + 0.05, centres[e]), (sx - 0.2, mid + (0.08 if centres[e] > mid
              else -0.08)), lw=1.6, color=BAR)  # fmt: skip
        ax.text(ex + ew + 0.3, (centres[e] + mid) / 2 + (0.3 if centres[e] > mid else -0.3),
                f"× {WEIGHTS[e]:.2f}", ha="left", va="center", fontsize=10.5, color=BAR,
                weight="bold")  # fmt: skip
    arrow(ax, (sx + 0.24, mid), (9.25, mid))
    ax.text(9.3, mid + 0.17, "output", ha="left", va="center", fontsize=10.5, weight="bold")
    ax.text(9.3, mid - 0.17, "d numbers", ha="left", va="center", fontsize=10, color=MUTED)

    for row, line in enumerate(
        [
            "All 8 experts sit in memory (the total parameters); this token runs through 2 (the",
            "active parameters). Their probabilities 0.31 and 0.18 are rescaled to add up to 1.",
        ]
    ):
        ax.text(5.0, 0.3 - row * 0.26, line, ha="center", va="center", fontsize=10, color=MUTED,
                style="italic")  # fmt: skip
    diagram_title(ax, 5.0, 4.6, "A mixture-of-experts layer: 8 experts, the top 2 for each token")
    save_checked(fig, OUT)


if __name__ == "__main__":
    main()
