"""Make assets/figures/time-to-quality.png: the CPU speedrun's frontier.

Full-validation loss against wall-clock seconds for every recipe that
benchmarks/bench_time_to_quality.py raced on 2 CPU threads: the nanoGPT CPU recipe in our
trainer, and the presets ``cpu-quick``, ``cpu-sprint`` and ``cpu-speedrun``. Chapter 6 and the
benchmarks page show it. Run from the repository root after the benchmark:
    .venv/bin/python assets/scripts/plot_time_to_quality.py
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
RESULT = ROOT / "benchmarks" / "results" / "time_to_quality.json"
OUT = ROOT / "assets" / "figures" / "time-to-quality.png"
LABELS = {
    "reference": "nanoGPT's CPU recipe (4 layers, batch 12)",
    "cpu-quick": "cpu-quick",
    "cpu-sprint": "cpu-sprint (Muon)",
    "cpu-speedrun": "cpu-speedrun (Muon)",
}
COLORS = {
    "reference": "#7f7f7f",
    "cpu-quick": "#d62728",
    "cpu-sprint": "#2ca02c",
    "cpu-speedrun": "#1f77b4",
}
BEST_GOAL = 1.60


def main() -> None:
    data = json.loads(RESULT.read_text())
    target = data["target"]
    plt.rcParams.update({"font.size": 11})
    fig, ax = plt.subplots(figsize=(7, 5.0), dpi=100)
    for name, run in data["runs"].items():
        ax.plot(
            run["wall_s"],
            run["val_loss"],
            marker="o",
            ms=3,
            color=COLORS.get(name),
            label=LABELS.get(name, name),
        )
    budget = data["runs"]["reference"]["train_wall_s"]
    ax.axvline(budget, color="#7f7f7f", linestyle=":", linewidth=1)
    ax.text(budget - 1, 2.45, "reference\nends", ha="right", va="top", color="#555555")
    ax.axhline(target, color="black", linewidth=0.8, linestyle="--")
    ax.text(budget + 2, target + 0.01, f"{target}", va="bottom")
    ax.axhline(BEST_GOAL, color="black", linewidth=0.8, linestyle=":")
    ax.text(budget + 2, BEST_GOAL + 0.01, f"{BEST_GOAL:.2f}", va="bottom")
    ax.set_ylim(1.55, 2.5)
    ax.set_xlim(0, budget * 1.15)
    ax.set_xlabel("seconds since the process started (2 CPU threads)")
    ax.set_ylabel("validation loss (nats per character)")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    fig.tight_layout()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT)
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
