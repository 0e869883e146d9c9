"""Make assets/figures/time-to-quality.png: full-validation loss against wall-clock seconds.

It draws the curves measured by benchmarks/bench_time_to_quality.py (the nanoGPT CPU recipe
and the ``cpu-quick`` preset, both on 2 CPU threads) with the 1.898 target line, for the
benchmark table of Chapter 7. Run from the repository root after the benchmark:
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
    "reference": "reference: nanoGPT's CPU recipe in our trainer (4 layers, batch 12, lr 1e-3)",
    "cpu-quick": "gentle-llm cpu-quick preset",
}
COLORS = {"reference": "#7f7f7f", "cpu-quick": "#d62728"}


def main() -> None:
    data = json.loads(RESULT.read_text())
    target = data["target"]
    fig, ax = plt.subplots(figsize=(8, 4.8), dpi=120)
    for name, run in data["runs"].items():
        cfg = run["train_config"]
        label = LABELS.get(name, name)
        if name != "reference":
            layers = run["model_config"]["n_layer"]
            label += f" ({layers} layers, batch {cfg['batch_size']}, lr {cfg['lr']:g})"
        ax.plot(
            run["wall_s"], run["val_loss"], marker="o", ms=3, color=COLORS.get(name), label=label
        )
        reached = next(
            (s for s, loss in zip(run["wall_s"], run["val_loss"], strict=True) if loss <= target),
            None,
        )
        if reached is not None:
            ax.axvline(reached, color=COLORS.get(name), linestyle=":", linewidth=1)
            ax.annotate(
                f"{reached:.0f} s",
                (reached, target),
                textcoords="offset points",
                xytext=(4, 8),
                color=COLORS.get(name),
            )
    nanogpt = data["nanogpt_seconds"]
    ax.axvline(nanogpt, color="#1f77b4", linestyle="--", linewidth=1)
    ax.text(
        nanogpt - 1,
        2.3,
        f"nanoGPT itself\nreaches {target}\nat ~{nanogpt:.0f} s",
        ha="right",
        va="top",
        color="#1f77b4",
        fontsize=8,
    )
    ax.axhline(target, color="black", linewidth=0.8, linestyle="--")
    ax.text(1, target - 0.02, f"target {target}", va="top")
    ax.set_ylim(1.6, 3.0)
    ax.set_xlim(left=0)
    ax.set_xlabel("wall-clock seconds since the process started (2 CPU threads)")
    ax.set_ylabel("full-validation loss (nats per character)")
    ax.set_title("Time to quality: character-level Tiny Shakespeare on 2 CPU cores")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT)
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
