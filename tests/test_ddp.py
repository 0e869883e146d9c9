"""DDP through torchrun: 2 CPU processes (gloo) train like one process on the same batches.

The test starts ``torchrun --standalone --nproc_per_node 2`` on this very file; run as a script,
the file is the worker. Both runs use the same seed, so they draw the same global batches:
each process takes half of every batch, and DDP averages the two halves' gradients.

Tolerance: losses agree to a relative 1e-5 and weights to 1e-4 relative / 1e-5 absolute.
They are not bitwise equal because the two halves' gradients are summed in a different order
than one process sums the whole batch (float32 round-off).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from gentle_llm.devices import cleanup_distributed, init_distributed
from gentle_llm.model import GPT, GPTConfig
from gentle_llm.train import TrainConfig, Trainer

MODEL = GPTConfig(vocab_size=24, block_size=16, n_layer=2, n_head=2, n_embd=32)
TRAIN = TrainConfig(
    steps=10,
    batch_size=8,
    grad_accum=2,
    lr=3e-3,
    min_lr=3e-4,
    warmup_steps=2,
    eval_interval=5,
    device="cpu",
    progress=False,
    num_threads=1,
)


def _streams() -> tuple[torch.Tensor, torch.Tensor]:
    """A learnable stream: every second token follows from the one before it."""
    g = torch.Generator().manual_seed(0)
    tokens = torch.randint(0, 12, (6000,), generator=g)
    tokens[1::2] = (tokens[0::2] * 5 + 3) % 24
    return tokens[:5400], tokens[5400:]


def _train() -> Trainer:
    torch.manual_seed(TRAIN.seed)
    trainer = Trainer(GPT(MODEL), _streams(), TRAIN)
    trainer.fit()
    return trainer


def _worker(out: Path) -> None:
    init_distributed(TRAIN.device)
    trainer = _train()
    if trainer.rank == 0:
        out.mkdir(parents=True, exist_ok=True)
        (out / "history.json").write_text(json.dumps(trainer.history.to_dict()))
        weights = {k: v.clone() for k, v in trainer.model.state_dict().items()}
        save_file(weights, str(out / "weights.safetensors"))
        (out / "world.txt").write_text(str(trainer.world_size))
    cleanup_distributed()


def test_two_processes_train_like_one(tmp_path: Path) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        __file__,
        str(tmp_path),
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "world.txt").read_text() == "2"
    ddp = json.loads((tmp_path / "history.json").read_text())
    ddp_weights = load_file(str(tmp_path / "weights.safetensors"))

    single = _train()
    assert single.world_size == 1
    history = single.history
    assert ddp["step"] == history.step and ddp["eval_step"] == history.eval_step == [0, 5, 10]
    for a, b in zip(ddp["train_loss"], history.train_loss, strict=True):
        assert math.isclose(a, b, rel_tol=1e-5), (a, b)
    for a, b in zip(ddp["val_loss"], history.val_loss, strict=True):
        assert math.isclose(a, b, rel_tol=1e-5), (a, b)
    assert history.train_loss[-1] < history.train_loss[0] - 0.3  # it did learn something
    for name, value in single.model.state_dict().items():
        torch.testing.assert_close(ddp_weights[name], value, rtol=1e-4, atol=1e-5)


if __name__ == "__main__":
    _worker(Path(sys.argv[1]))
