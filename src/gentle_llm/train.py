"""The training loop of Chapter 6: AdamW, warm-up + cosine schedule, clipping, evaluation.

One optimizer step (:meth:`Trainer.train_step`) draws a batch of random windows from the
training stream, measures how badly the model predicts each next token (the loss),
back-propagates, clips the gradient, and lets AdamW move the weights by a learning rate that
warms up and then decays along a cosine (:func:`lr_at`). Every ``eval_interval`` steps the
model is judged on the whole validation split. :mod:`gentle_llm.checkpoint` saves runs that
continue exactly; :mod:`gentle_llm.devices` picks the device and, under ``torchrun``, the
process group, so the same loop runs on a CPU, a GPU (mixed precision) or several GPUs (DDP).
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from packaging.version import Version
from torch import nn

from gentle_llm import checks
from gentle_llm.checkpoint import CHECKPOINT_NAME, load_checkpoint, save_checkpoint
from gentle_llm.data import BatchSampler, TokenData, evaluate_full, evaluate_sampled, unpack_data
from gentle_llm.devices import (
    DEVICE_NAMES,
    DTYPE_NAMES,
    process_group,
    resolve_device,
    resolve_dtype,
)
from gentle_llm.history import History, TrainingDiverged, diverged
from gentle_llm.model import GPT
from gentle_llm.muon import Muon

__all__ = ["History", "TrainConfig", "Trainer", "TrainingDiverged", "lr_at", "make_optimizer"]

EvalCallback = Callable[[int, float, float, float], Any]
OPTIMIZERS = ("adamw", "muon")


@dataclass
class TrainConfig:
    """Every knob of a training run. Chapter 6 explains what each one does.

    ``batch_size`` is the number of windows per optimizer step, whatever the hardware: it is
    split into ``grad_accum`` micro-batches and, under ``torchrun``, across processes.
    ``eval_batches=None`` evaluates on the whole validation split; a number evaluates on that
    many random validation batches instead (faster, noisier). ``dtype`` is ``"auto"`` (bfloat16
    on GPUs that support it, else float16; float32 on CPU), ``"float32"``, ``"bfloat16"`` or
    ``"float16"``; half precision is used on CUDA only, through autocast. ``optimizer`` is
    ``"adamw"`` or ``"muon"`` (:mod:`gentle_llm.muon`: the matrices inside the blocks step at
    ``muon_lr``, everything else with AdamW at ``lr``; the schedule scales both alike).
    """

    steps: int = 2000
    batch_size: int = 12
    grad_accum: int = 1
    lr: float = 1e-3
    min_lr: float = 1e-4
    warmup_steps: int = 100
    weight_decay: float = 0.1
    betas: tuple[float, float] = (0.9, 0.99)
    eps: float = 1e-8
    optimizer: str = "adamw"
    muon_lr: float = 0.02
    grad_clip: float | None = 1.0
    eval_interval: int = 250
    eval_batches: int | None = None
    eval_batch_size: int = 128
    seed: int = 1337
    device: str = "auto"
    dtype: str = "auto"
    compile: bool = False
    num_threads: int | None = None
    checkpoint_dir: str | None = None
    checkpoint_interval: int = 0
    progress: bool = True

    def __post_init__(self) -> None:
        self.betas = (float(self.betas[0]), float(self.betas[1]))
        for name in ("steps", "batch_size", "grad_accum", "eval_interval", "eval_batch_size"):
            checks.whole_number(getattr(self, name), f"TrainConfig.{name}")
        for name in ("warmup_steps", "checkpoint_interval"):
            checks.whole_number(getattr(self, name), f"TrainConfig.{name}", minimum=0)
        checks.number(
            self.lr, "TrainConfig.lr", low=0, low_open=True, hint="Use lr > 0, e.g. 1e-3."
        )
        checks.number(
            self.min_lr, "TrainConfig.min_lr", low=0, high=self.lr, hint="(0 <= min_lr <= lr)."
        )
        checks.number(self.weight_decay, "TrainConfig.weight_decay", low=0)
        checks.number(self.eps, "TrainConfig.eps", low=0, low_open=True)
        checks.one_of(self.optimizer, "TrainConfig.optimizer", OPTIMIZERS)
        checks.number(self.muon_lr, "TrainConfig.muon_lr", low=0, low_open=True)
        for beta in self.betas:
            checks.number(beta, "TrainConfig.betas", low=0, high=1, high_open=True)
        why = "each accumulation step takes an equal share; use a multiple of grad_accum."
        checks.divisible(
            self.batch_size, "TrainConfig.batch_size", self.grad_accum, "grad_accum", why
        )
        if self.grad_clip is not None:
            hint = "or None to switch clipping off."
            checks.number(self.grad_clip, "TrainConfig.grad_clip", low=0, low_open=True, hint=hint)
        if self.eval_batches is not None:
            hint = "or None for full validation."
            checks.whole_number(self.eval_batches, "TrainConfig.eval_batches", hint=hint)
        checks.one_of(self.dtype, "TrainConfig.dtype", DTYPE_NAMES)
        checks.one_of(str(self.device).split(":")[0], "TrainConfig.device", DEVICE_NAMES)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy (stored in every checkpoint)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Rebuild from :meth:`to_dict`, ignoring keys this version does not know."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def lr_at(step: int, config: TrainConfig) -> float:
    """Learning rate for optimizer step ``step`` (counted from 0). Chapter 6 draws it.

    It rises linearly over ``warmup_steps`` (large early updates on random weights are
    unstable): step ``s`` gets ``lr * (s + 1) / warmup_steps``, so the first step already
    moves and step ``warmup_steps - 1`` reaches ``lr`` (some courses, e.g. Stanford CS336,
    start from ``lr * s / warmup_steps`` instead). Then it follows half a cosine from ``lr``
    at step ``warmup_steps`` to ``min_lr`` at step ``steps``, one after the last step a run
    takes (``steps - 1``), which therefore still runs a hair above ``min_lr``; later steps
    stay at ``min_lr``.
    """
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    decay_steps = max(config.steps - config.warmup_steps, 1)
    progress = min((step - config.warmup_steps) / decay_steps, 1.0)
    return config.min_lr + 0.5 * (1.0 + math.cos(math.pi * progress)) * (config.lr - config.min_lr)


def _fused_supported(device: torch.device) -> bool:
    if device.type == "cuda":
        return True
    # Fused AdamW on CPU arrived in torch 2.4.
    return device.type == "cpu" and Version(torch.__version__) >= Version("2.4")


def make_optimizer(
    model: nn.Module, config: TrainConfig, device: torch.device
) -> torch.optim.Optimizer:
    """AdamW with weight decay on matrices only (Chapter 6: biases and norms stay free).

    With ``config.optimizer == "muon"``, the matrices inside the transformer blocks get
    :class:`~gentle_llm.muon.Muon`'s update at ``muon_lr`` instead, and the rest keep AdamW's.
    """
    in_blocks = set()
    if config.optimizer == "muon":
        in_blocks = {id(p) for p in model.blocks.parameters() if p.dim() == 2}
    matrices, decay, no_decay = [], [], []
    for _, param in model.named_parameters():
        if param.requires_grad:
            if id(param) in in_blocks:
                matrices.append(param)
            else:
                (decay if param.dim() >= 2 else no_decay).append(param)
    groups = [
        {"params": decay, "weight_decay": config.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    if config.optimizer == "muon":
        muon_group = {
            "params": matrices,
            "muon": True,
            "lr": config.muon_lr,
            "weight_decay": config.weight_decay,
            # Keeps Muon's rate in proportion as train_step applies the schedule.
            "lr_scale": config.muon_lr / config.lr,
        }
        adamw_groups = [{**group, "muon": False} for group in groups]
        return Muon([muon_group, *adamw_groups], betas=config.betas, eps=config.eps)
    return torch.optim.AdamW(
        groups,
        lr=config.lr,
        betas=config.betas,
        eps=config.eps,
        fused=True if _fused_supported(device) else None,
    )


# -- the trainer ------------------------------------------------------------------------------


class Trainer:
    """Trains a GPT on a token stream. Chapter 6 walks through :meth:`train_step` line by line,
    in a copy without the parts for several GPUs and for mixed precision.

    ``data`` is a :class:`~gentle_llm.data.TokenData` or a ``(train, val)`` pair of token
    streams (1-D tensors or lists of ints). The trainer seeds torch's random generator from
    ``config.seed`` (for dropout); seed before building the model too, as
    :func:`gentle_llm.presets.trainer_from_preset` does, for a run that repeats exactly.
    Under ``torchrun``, call :func:`gentle_llm.devices.init_distributed` first; the trainer
    then wraps the model in DDP.
    """

    def __init__(
        self,
        model: GPT,
        data: TokenData | tuple[Any, Any],
        config: TrainConfig,
        *,
        tokenizer: Any = None,
    ) -> None:
        train_tokens, val_tokens, data_tokenizer = unpack_data(data, model.config.vocab_size)
        tokenizer = tokenizer if tokenizer is not None else data_tokenizer
        self.config = config
        self.tokenizer = tokenizer
        self.rank, self.world_size = process_group()
        self.device = resolve_device(config.device)
        self.dtype = resolve_dtype(config.dtype, self.device)
        if config.num_threads is not None:
            torch.set_num_threads(config.num_threads)
        torch.manual_seed(config.seed + self.rank)

        self.model = model.to(self.device)
        self.model.train()
        self.val_tokens = val_tokens
        self.sampler = BatchSampler(
            train_tokens,
            model.config.block_size,
            config.batch_size,
            seed=config.seed,
            micro_steps=config.grad_accum,
            rank=self.rank,
            world_size=self.world_size,
            device=self.device,
        )
        self.optimizer = make_optimizer(self.model, config, self.device)
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=self.dtype == torch.float16)
        self.forward_model: nn.Module = torch.compile(self.model) if config.compile else self.model
        self.eval_model = self.forward_model
        if self.world_size > 1:
            from torch.nn.parallel import DistributedDataParallel

            ids = [self.device.index] if self.device.type == "cuda" else None
            self.forward_model = DistributedDataParallel(self.forward_model, device_ids=ids)
        self.step = 0
        self.elapsed_s = 0.0
        self.history = History()
        self.last_checkpoint: tuple[Path, int] | None = None  # (path, step) of the last save

    # -- one step ---------------------------------------------------------------------------

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.dtype == torch.float32:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)

    def train_step(self) -> torch.Tensor:
        """One optimizer step; returns the batch's mean loss (a detached tensor)."""
        # Clearing first (not last) also drops half-accumulated gradients of a step that was
        # interrupted, e.g. by a notebook's stop button.
        self.optimizer.zero_grad(set_to_none=True)
        lr = lr_at(self.step, self.config)
        for group in self.optimizer.param_groups:
            group["lr"] = lr * group.get("lr_scale", 1.0)
        micro_batches = self.sampler.sample()
        total = torch.zeros((), device=self.device)
        for i, (x, y) in enumerate(micro_batches):
            last = i == len(micro_batches) - 1
            # DDP averages gradients across processes after each backward; between the micro-
            # batches of one step that would be wasted communication.
            sync = contextlib.nullcontext()
            if self.world_size > 1 and not last:
                sync = self.forward_model.no_sync()
            with sync:
                with self._autocast():
                    _, loss = self.forward_model(x, y)
                self.scaler.scale(loss / len(micro_batches)).backward()
            total += loss.detach()
        if self.config.grad_clip is not None:
            self.scaler.unscale_(self.optimizer)
            nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.step += 1
        return total / len(micro_batches)

    # -- evaluation -------------------------------------------------------------------------

    def evaluate(self) -> float:
        """Validation loss: the whole split, or ``eval_batches`` random batches (Chapter 6)."""
        block, size = self.model.config.block_size, self.config.eval_batch_size
        common = {"device": self.device, "autocast": self._autocast}
        if self.config.eval_batches is None:
            return evaluate_full(
                self.eval_model, self.val_tokens, block, size,
                rank=self.rank, world_size=self.world_size, **common,
            )  # fmt: skip
        return evaluate_sampled(
            self.eval_model, self.val_tokens, block, size, self.config.eval_batches,
            seed=self.config.seed + 1, **common,
        )  # fmt: skip

    # -- the loop ---------------------------------------------------------------------------

    def fit(
        self,
        steps: int | None = None,
        *,
        on_eval: EvalCallback | Sequence[EvalCallback] = (),
    ) -> History:
        """Train until step ``steps`` (default ``config.steps``); return the :class:`History`.

        ``on_eval(step, train_loss, val_loss, elapsed_s)`` is called after every evaluation
        (on the first process only), e.g. to redraw a live loss plot in a notebook.
        ``train_loss`` is the mean training loss since the previous evaluation. A loss that
        becomes NaN or infinite stops the run with :class:`TrainingDiverged`, before anything
        is saved, so the last checkpoint stays a good one.
        """
        from tqdm.auto import tqdm

        callbacks = [on_eval] if callable(on_eval) else list(on_eval)
        hint = "The learning-rate schedule ends at config.steps: raise TrainConfig.steps instead."
        end = self.config.steps
        if steps is not None:
            end = checks.whole_number(steps, "fit(steps=...)", 0, self.config.steps, hint=hint)
        cfg = self.config
        # tqdm's notebook bar does not read TQDM_DISABLE itself, so honour it here; and
        # passing disable=False would override it for the console bar.
        wanted = cfg.progress and self.rank == 0 and os.environ.get("TQDM_DISABLE") != "1"
        quiet = {} if wanted else {"disable": True}
        bar = tqdm(total=end, initial=self.step, desc="training", unit="step", **quiet)
        self._pending: list[torch.Tensor] = []
        self._since_eval: list[float] = []
        self._clock = time.perf_counter()
        try:
            while True:
                if self.step % cfg.eval_interval == 0 or self.step == end:
                    self._evaluate_and_report(bar, callbacks)
                due_save = cfg.checkpoint_interval and self.step % cfg.checkpoint_interval == 0
                if cfg.checkpoint_dir and self.step > 0 and (due_save or self.step == end):
                    self._flush()
                    self.save(Path(cfg.checkpoint_dir) / CHECKPOINT_NAME)
                    self._clock = time.perf_counter()
                if self.step >= end:
                    break
                self._pending.append(self.train_step())
                bar.update(1)
                if len(self._pending) == 10:
                    bar.set_postfix(loss=f"{self._record()[-1]:.4f}", refresh=False)
        finally:
            bar.close()
        self._flush()
        return self.history

    def _evaluate_and_report(self, bar: Any, callbacks: list[EvalCallback]) -> None:
        if self.step in self.history.eval_step:
            return  # already evaluated here, e.g. before a resume
        self._flush()
        val_loss = self.evaluate()
        if not math.isfinite(val_loss):
            raise diverged("validation loss", val_loss, self.step, *self._last_good())
        since, self._since_eval = self._since_eval, []
        train_loss = sum(since) / len(since) if since else math.nan
        self.history.add_eval(self.step, val_loss, train_loss, self.elapsed_s)
        bar.set_postfix(val=f"{val_loss:.4f}", refresh=False)
        if self.rank == 0:
            for callback in callbacks:
                callback(self.step, train_loss, val_loss, self.elapsed_s)
        self._clock = time.perf_counter()

    def _flush(self) -> None:
        """Stop the clock and record the losses not yet recorded."""
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        self.elapsed_s += time.perf_counter() - self._clock
        self._clock = time.perf_counter()
        self._record()

    def _record(self) -> list[float]:
        """Move the pending losses (averaged over processes) into the history."""
        pending, self._pending = self._pending, []
        if not pending:
            return []
        losses = torch.stack(pending).float()
        if self.world_size > 1:
            dist.all_reduce(losses)
            losses /= self.world_size
        values = losses.tolist()
        first = self.step - len(values)
        for offset, loss in enumerate(values):
            if not math.isfinite(loss):
                raise diverged("training loss", loss, first + offset + 1, *self._last_good())
        lrs = [lr_at(first + offset, self.config) for offset in range(len(values))]
        self.history.add_steps(first + 1, values, lrs)
        self._since_eval.extend(values)
        return values

    def _last_good(self) -> tuple[tuple[Path, int] | None, float]:
        return self.last_checkpoint, self.config.lr

    # -- checkpoints ------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path | None:
        """Save a resumable checkpoint (only the first process writes under DDP)."""
        if self.rank != 0:
            return None
        saved = save_checkpoint(
            path, self.model, optimizer=self.optimizer, step=self.step,
            train_config=self.config, tokenizer=self.tokenizer, history=self.history,
            sampler=self.sampler, scaler=self.scaler, elapsed_s=self.elapsed_s,
        )  # fmt: skip
        self.last_checkpoint = (saved, self.step)
        return saved

    def load(self, path: str | Path) -> None:
        """Continue from a checkpoint written by :meth:`save`: the run goes on exactly.

        On one CPU process (same machine, same number of threads) the final weights are bitwise
        those of a run that never stopped. Under DDP each process's dropout stream is reseeded.
        """
        meta = load_checkpoint(
            path, self.model, optimizer=self.optimizer, sampler=self.sampler, scaler=self.scaler
        )
        if self.rank != 0:
            # Dropout masks differ per process; each one continues from its own seed stream.
            torch.manual_seed(self.config.seed + self.rank + meta["step"])
        self.step = int(meta["step"])
        self.elapsed_s = float(meta.get("elapsed_s", 0.0))
        self.last_checkpoint = (Path(path), self.step)
        if meta.get("history"):
            self.history = History.from_dict(meta["history"])
