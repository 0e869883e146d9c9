"""Ready-made training runs: a model shape and a recipe that go together (Chapter 6).

``cpu-quick`` trains the character-level tiny GPT on Tiny Shakespeare in under a minute on a
laptop CPU; ``gpu`` is the GPU-sized run. ``cpu-sprint`` and ``cpu-speedrun`` are Chapter 6's
CPU speedrun: the fastest way we found to a validation loss of 1.898, and the lowest loss we
reached in the time the classic nanoGPT CPU recipe takes (``benchmarks/bench_time_to_quality.py``
races them). ``gentle-llm train --preset NAME`` uses them, and so does
:func:`trainer_from_preset` in a notebook.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import torch

from gentle_llm import checks
from gentle_llm.data import TokenData
from gentle_llm.model import GPT, GPTConfig
from gentle_llm.train import TrainConfig, Trainer

__all__ = ["PRESETS", "Preset", "trainer_from_preset"]


@dataclass(frozen=True)
class Preset:
    """A ready-made pair of model shape and training recipe."""

    model: GPTConfig
    train: TrainConfig
    description: str


_SPEEDRUN_MODEL = GPTConfig(
    vocab_size=65, block_size=64, n_layer=2, n_head=4, n_embd=128, gelu_approximate="none"
)
_SPEEDRUN_TRAIN = TrainConfig(
    steps=240,
    batch_size=32,
    lr=1e-2,
    min_lr=1e-3,
    betas=(0.9, 0.99),
    optimizer="muon",
    muon_lr=0.04,
    device="cpu",
)

PRESETS: dict[str, Preset] = {
    # Tuned with benchmarks/bench_time_to_quality.py on 2 CPU cores. Against the classic recipe
    # (4 layers, batch 12, lr 1e-3, 2000 steps) it trades depth for speed: 2 layers are about
    # twice as fast per token and, at a 10x learning rate on 32-window batches, learn about as
    # much per token in a run this short. It passes a full-validation loss of 1.898 near step
    # 500 and ends near 1.83.
    "cpu-quick": Preset(
        model=GPTConfig(vocab_size=65, block_size=64, n_layer=2, n_head=4, n_embd=128),
        train=TrainConfig(
            steps=600,
            batch_size=32,
            lr=1e-2,
            min_lr=1e-3,
            warmup_steps=50,
            betas=(0.9, 0.99),
            eval_interval=200,
            device="cpu",
        ),
        description="character-level Tiny Shakespeare in under a minute on a laptop CPU",
    ),
    # Chapter 6's CPU speedrun: cpu-quick's shape with exact GELU, which draws almost the same
    # curve as GPT-2's tanh approximation but costs less on a CPU (a cpu-quick step is about
    # 18 % faster; benchmarks/bench_train_step.py --gelu none), trained with Muon
    # (gentle_llm.muon): a step costs about half as much again as AdamW's, but learns about
    # twice as much. cpu-sprint's cosine schedule brings the loss under 1.898 by step 240
    # (1.876); a 220-step schedule ended at 1.938.
    "cpu-sprint": Preset(
        model=_SPEEDRUN_MODEL,
        train=replace(_SPEEDRUN_TRAIN, steps=240, warmup_steps=30, eval_interval=40),
        description="the CPU speedrun's fastest way to a validation loss of 1.898",
    ),
    # The same model for as many steps as fit in the classic recipe's time on a 2-core machine;
    # benchmarks/bench_time_to_quality.py sizes the run again from the sprint's measured speed,
    # because that time differs from machine to machine (and from day to day). Over 1,300 steps
    # a lower Muon rate and a schedule down to 0 did best: Muon lr 0.03 / 0.04 / 0.06 ended at
    # 1.598 / 1.617 / 1.623 (min_lr 1e-3), and 1.595 with min_lr 0.
    "cpu-speedrun": Preset(
        model=_SPEEDRUN_MODEL,
        train=replace(
            _SPEEDRUN_TRAIN,
            steps=1300,
            warmup_steps=50,
            min_lr=0.0,
            muon_lr=0.03,
            eval_interval=200,
        ),
        description="the lowest loss in the classic CPU recipe's time (2 cores)",
    ),
    # A Colab T4 / A100-sized run: a 10.7 M parameter model with a 256-character context.
    "gpu": Preset(
        model=GPTConfig(
            vocab_size=65, block_size=256, n_layer=6, n_head=6, n_embd=384, dropout=0.2
        ),
        train=TrainConfig(
            steps=5000,
            batch_size=64,
            lr=1e-3,
            min_lr=1e-4,
            warmup_steps=100,
            betas=(0.9, 0.99),
            eval_interval=250,
            device="auto",
        ),
        description="character-level Tiny Shakespeare, GPU-sized (minutes on an A100)",
    ),
}


def trainer_from_preset(name: str, data: TokenData | None = None, **overrides: Any) -> Trainer:
    """Build model and trainer from a named preset; ``overrides`` replace TrainConfig fields.

    ``data`` defaults to character-level Tiny Shakespeare. The model is built right after
    seeding with ``config.seed``, so the same call trains the same run.
    """
    preset = PRESETS[checks.one_of(name, "preset", PRESETS)]
    config = replace(preset.train, **overrides)
    if data is None:
        from gentle_llm.data import char_dataset

        data = char_dataset()
    torch.manual_seed(config.seed)
    model = GPT(replace(preset.model, vocab_size=data.vocab_size))
    return Trainer(model, data, config)
