"""The training loop: AdamW, warm-up + cosine schedule, clipping, evaluation, checkpoints.

Chapter 7 explains every part of this file. One optimizer step draws a batch of random windows
from the training stream, measures how badly the model predicts each next token (the loss),
back-propagates, clips the gradient, and lets AdamW move the weights by a learning rate that
warms up and then decays along a cosine. Every ``eval_interval`` steps the model is judged on
the whole validation split. Checkpoints are safetensors files that hold everything needed to
continue *exactly* where a run stopped.

The same loop runs on one CPU, one GPU (with mixed precision) or several GPUs: start it with
``torchrun --nproc_per_node N`` and each process trains on its own slice of every batch (DDP).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import struct
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from safetensors.torch import load_file, save_file
from torch import nn

from gentle_llm.data import BatchSampler, TokenData, evaluate_full
from gentle_llm.model import GPT, GPTConfig

__all__ = [
    "PRESETS",
    "CheckpointError",
    "History",
    "Preset",
    "TrainConfig",
    "Trainer",
    "cleanup_distributed",
    "init_distributed",
    "load_checkpoint",
    "lr_at",
    "model_from_checkpoint",
    "read_checkpoint",
    "save_checkpoint",
]

CHECKPOINT_FORMAT = "gentle_llm.checkpoint"
CHECKPOINT_VERSION = 1
CHECKPOINT_NAME = "ckpt.safetensors"

EvalCallback = Callable[[int, float, float, float], Any]


# -- configuration ----------------------------------------------------------------------------


@dataclass
class TrainConfig:
    """Every knob of a training run. Chapter 7 explains what each one does.

    ``batch_size`` is the number of windows per optimizer step, whatever the hardware: it is
    split into ``grad_accum`` micro-batches and, under ``torchrun``, across processes.
    ``eval_batches=None`` evaluates on the whole validation split; a number evaluates on that
    many random validation batches instead (faster, noisier). ``dtype`` is ``"auto"`` (bfloat16
    on GPUs that support it, else float16; float32 on CPU), ``"float32"``, ``"bfloat16"`` or
    ``"float16"``; half precision is used on CUDA only, through autocast.
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
        positive = ("steps", "batch_size", "grad_accum", "eval_interval", "eval_batch_size")
        for name in positive:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"TrainConfig.{name} must be a whole number >= 1, got {value!r}.")
        if self.warmup_steps < 0 or self.checkpoint_interval < 0:
            raise ValueError("TrainConfig.warmup_steps and checkpoint_interval must be >= 0.")
        if not self.lr > 0 or not 0 <= self.min_lr <= self.lr:
            raise ValueError(
                f"TrainConfig needs lr > 0 and 0 <= min_lr <= lr, got lr={self.lr}, "
                f"min_lr={self.min_lr}."
            )
        if self.batch_size % self.grad_accum != 0:
            raise ValueError(
                f"TrainConfig.batch_size ({self.batch_size}) must be a multiple of grad_accum "
                f"({self.grad_accum}): each accumulation step takes an equal share of the batch."
            )
        if self.grad_clip is not None and self.grad_clip <= 0:
            raise ValueError("TrainConfig.grad_clip must be > 0, or None to switch clipping off.")
        if self.eval_batches is not None and self.eval_batches < 1:
            raise ValueError("TrainConfig.eval_batches must be >= 1, or None for full validation.")
        if self.dtype not in ("auto", "float32", "bfloat16", "float16"):
            raise ValueError(
                f"TrainConfig.dtype must be 'auto', 'float32', 'bfloat16' or 'float16', "
                f"got {self.dtype!r}."
            )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy (stored in every checkpoint)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Rebuild from :meth:`to_dict`, ignoring keys this version does not know."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class Preset:
    """A ready-made pair of model shape and training recipe."""

    model: GPTConfig
    train: TrainConfig
    description: str


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


def lr_at(step: int, config: TrainConfig) -> float:
    """Learning rate for optimizer step ``step`` (counted from 0). Chapter 7 draws it.

    It rises linearly over ``warmup_steps`` (large early updates on random weights are
    unstable), then follows half a cosine from ``lr`` down to ``min_lr`` at the last step.
    """
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    decay_steps = max(config.steps - config.warmup_steps, 1)
    progress = min((step - config.warmup_steps) / decay_steps, 1.0)
    return config.min_lr + 0.5 * (1.0 + math.cos(math.pi * progress)) * (config.lr - config.min_lr)


@dataclass
class History:
    """What a run measured. ``elapsed_s`` is training time, evaluation and checkpoints excluded."""

    step: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    eval_step: list[int] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    eval_train_loss: list[float] = field(default_factory=list)
    elapsed_s: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, list]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, list]) -> History:
        known = {f.name for f in fields(cls)}
        return cls(**{k: list(v) for k, v in data.items() if k in known})


# -- devices, precision, processes --------------------------------------------------------------


def init_distributed(device: str = "auto") -> tuple[int, int, int]:
    """Join the process group when started by ``torchrun``; return ``(rank, world, local_rank)``.

    Outside ``torchrun`` this is a single process: ``(0, 1, 0)``. GPUs talk through NCCL, CPU
    processes (``device="cpu"``, or no GPU) through gloo (what the tests use).
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1, 0
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if not dist.is_initialized():
        use_gpu = torch.cuda.is_available() and device != "cpu"
        backend = "nccl" if use_gpu else "gloo"
        if backend == "nccl":
            torch.cuda.set_device(local_rank)
        dist.init_process_group(backend=backend)
    return dist.get_rank(), dist.get_world_size(), local_rank


def cleanup_distributed() -> None:
    """Leave the process group (call once at the end of a ``torchrun`` script)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def _resolve_device(name: str, local_rank: int, world: int) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            name = "cuda"
        elif torch.backends.mps.is_available() and world == 1:
            name = "mps"
        else:
            name = "cpu"
    device = torch.device(name)
    if device.type == "cuda" and world > 1:
        device = torch.device("cuda", local_rank)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            "TrainConfig.device asks for CUDA but no GPU is visible: use device='cpu' (or the "
            "'cpu-quick' preset), or switch the Colab runtime to a GPU."
        )
    return device


def _resolve_dtype(name: str, device: torch.device) -> torch.dtype:
    if device.type != "cuda":
        if name in ("bfloat16", "float16"):
            warnings.warn(
                f"dtype {name!r} is only used on CUDA; training in float32 on {device.type}.",
                stacklevel=3,
            )
        return torch.float32
    if name == "auto":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return getattr(torch, name)


def _fused_supported(device: torch.device) -> bool:
    if device.type == "cuda":
        return True
    # Fused AdamW on CPU arrived in torch 2.4.
    major, minor = (int(x) for x in torch.__version__.split(".")[:2])
    return device.type == "cpu" and (major, minor) >= (2, 4)


def make_optimizer(
    model: nn.Module, config: TrainConfig, device: torch.device
) -> torch.optim.AdamW:
    """AdamW with weight decay on matrices only (Chapter 7: biases and norms stay free)."""
    decay, no_decay = [], []
    for _, param in model.named_parameters():
        if param.requires_grad:
            (decay if param.dim() >= 2 else no_decay).append(param)
    groups = [
        {"params": decay, "weight_decay": config.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(
        groups,
        lr=config.lr,
        betas=config.betas,
        eps=config.eps,
        fused=True if _fused_supported(device) else None,
    )


# -- checkpoints ------------------------------------------------------------------------------


class CheckpointError(ValueError):
    """A checkpoint file that is missing, damaged, or made for another model."""


def _tokenizer_to_meta(tokenizer: Any) -> dict[str, str] | None:
    if tokenizer is None:
        return None
    if not hasattr(tokenizer, "save") or not hasattr(type(tokenizer), "load"):
        raise TypeError(
            f"{type(tokenizer).__name__} cannot be stored in a checkpoint (it has no save/load); "
            "pass tokenizer=None and rebuild it yourself when sampling."
        )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tokenizer.json"
        tokenizer.save(path)
        text = path.read_text(encoding="utf-8")
    return {"class": type(tokenizer).__name__, "file": text}


def _tokenizer_from_meta(meta: dict[str, str] | None) -> Any:
    if meta is None:
        return None
    from gentle_llm import tokenizers

    cls = getattr(tokenizers, meta["class"], None)
    if cls is None or not hasattr(cls, "load"):
        raise CheckpointError(f"the checkpoint names an unknown tokenizer class {meta['class']!r}.")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tokenizer.json"
        path.write_text(meta["file"], encoding="utf-8")
        return cls.load(path)


def save_checkpoint(
    path: str | Path,
    model: nn.Module,
    *,
    optimizer: torch.optim.Optimizer | None = None,
    step: int = 0,
    train_config: TrainConfig | None = None,
    tokenizer: Any = None,
    history: History | None = None,
    sampler: BatchSampler | None = None,
    scaler: torch.amp.GradScaler | None = None,
    elapsed_s: float = 0.0,
) -> Path:
    """Write a safetensors checkpoint: weights, optimizer state, RNG states and metadata.

    Tensors go in as ``model/<name>``, ``optim/<index>/<name>`` and ``rng/<name>``; the rest
    (step, configs, tokenizer, history) is a JSON string in the file's header. The file is
    written next to its final name and then renamed, so a crash never leaves half a file.
    """
    path = Path(path)
    config = getattr(model, "config", None)
    if not isinstance(config, GPTConfig):
        raise TypeError("save_checkpoint expects a gentle_llm GPT (a model with a GPTConfig).")
    tensors: dict[str, torch.Tensor] = {}
    # Tied weights share storage, which safetensors refuses; a copy per name is fine because
    # load_state_dict writes both names into the one shared tensor.
    for name, tensor in model.state_dict().items():
        tensors[f"model/{name}"] = tensor.detach().to("cpu", copy=True).contiguous()
    meta: dict[str, Any] = {
        "step": step,
        "model_config": asdict(config),
        "train_config": train_config.to_dict() if train_config else None,
        "tokenizer": _tokenizer_to_meta(tokenizer),
        "history": history.to_dict() if history else None,
        "elapsed_s": elapsed_s,
        "scaler": scaler.state_dict() if scaler is not None and scaler.is_enabled() else None,
        "optimizer_groups": None,
        "torch_version": torch.__version__,
    }
    if optimizer is not None:
        state = optimizer.state_dict()
        for index, param_state in state["state"].items():
            for key, value in param_state.items():
                tensors[f"optim/{index}/{key}"] = value.detach().to("cpu", copy=True)
        meta["optimizer_groups"] = [len(g["params"]) for g in state["param_groups"]]
    tensors["rng/torch_cpu"] = torch.get_rng_state()
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for index, rng in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"rng/cuda/{index}"] = rng
    if sampler is not None:
        tensors["rng/sampler"] = sampler.get_state()
    header = {
        "format": CHECKPOINT_FORMAT,
        "version": str(CHECKPOINT_VERSION),
        "gentle_llm": json.dumps(meta),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    save_file(tensors, str(partial), metadata=header)
    os.replace(partial, path)
    return path


def _read_header(path: Path) -> dict[str, Any]:
    """Check the file's layout by hand, to say exactly what is wrong with a bad file."""
    if not path.exists():
        raise FileNotFoundError(
            f"No checkpoint at {str(path)!r}. Check the path, or train one first with "
            "`gentle-llm train --preset cpu-quick --out DIR` (it writes DIR/ckpt.safetensors)."
        )
    if path.is_dir():
        raise CheckpointError(
            f"{str(path)!r} is a folder; give the checkpoint file inside it "
            f"(e.g. {str(path / CHECKPOINT_NAME)!r})."
        )
    size = path.stat().st_size
    with path.open("rb") as file:
        prefix = file.read(8)
        if len(prefix) < 8:
            raise CheckpointError(
                f"{str(path)!r} is not a safetensors checkpoint (only {size} bytes long)."
            )
        (header_len,) = struct.unpack("<Q", prefix)
        if header_len > 100_000_000:
            raise CheckpointError(
                f"{str(path)!r} is not a safetensors checkpoint (its first bytes are not a "
                "safetensors header). gentle_llm checkpoints are written by save_checkpoint / "
                "`gentle-llm train`; a PyTorch .pt/.bin file cannot be used here."
            )
        raw = file.read(header_len)
    if len(raw) < header_len:
        raise CheckpointError(
            f"{str(path)!r} is truncated: its header promises {header_len} bytes but the file "
            f"ends after {size} bytes. The copy or the save was interrupted; use an earlier "
            "checkpoint or train again."
        )
    try:
        header = json.loads(raw)
        if not isinstance(header, dict):
            raise ValueError("header is not a JSON object")
    except ValueError:
        raise CheckpointError(
            f"{str(path)!r} is not a safetensors checkpoint (its header is not valid JSON)."
        ) from None
    data_end = max(
        (int(v["data_offsets"][1]) for k, v in header.items() if k != "__metadata__"), default=0
    )
    if size < 8 + header_len + data_end:
        raise CheckpointError(
            f"{str(path)!r} is truncated: it should hold {8 + header_len + data_end} bytes but "
            f"has {size}. The copy or the save was interrupted; use an earlier checkpoint or "
            "train again."
        )
    metadata = header.get("__metadata__") or {}
    if metadata.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"{str(path)!r} is a safetensors file but not a gentle_llm checkpoint (no "
            f"'{CHECKPOINT_FORMAT}' metadata). To load bare weights use "
            "safetensors.torch.load_file and model.load_state_dict."
        )
    return metadata


def read_checkpoint(path: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read and check a checkpoint: ``(tensors, metadata)``. Raises :class:`CheckpointError`."""
    path = Path(path)
    metadata = _read_header(path)
    if int(metadata.get("version", "0")) > CHECKPOINT_VERSION:
        raise CheckpointError(
            f"{str(path)!r} was written by a newer gentle_llm (checkpoint version "
            f"{metadata['version']}); upgrade gentle_llm to read it."
        )
    try:
        tensors = load_file(str(path))
        meta = json.loads(metadata["gentle_llm"])
    except Exception as error:  # safetensors raises its own error types
        raise CheckpointError(
            f"{str(path)!r} is damaged and cannot be read ({error}). Use an earlier checkpoint "
            "or train again."
        ) from None
    return tensors, meta


def _check_shapes(model: nn.Module, weights: dict[str, torch.Tensor], meta: dict, path: Path):
    ours = model.state_dict()
    theirs_config = meta.get("model_config") or {}
    ours_config = (
        asdict(model.config) if isinstance(getattr(model, "config", None), GPTConfig) else {}
    )
    differing = {
        k: (theirs_config[k], ours_config[k])
        for k in theirs_config
        if k in ours_config and theirs_config[k] != ours_config[k]
    }
    advice = (
        "Build the model from the checkpoint's own config with "
        "gentle_llm.train.model_from_checkpoint(path), or use the preset it was trained with."
    )
    config_note = (
        " The configs differ in "
        + ", ".join(f"{k} (checkpoint {a!r}, model {b!r})" for k, (a, b) in differing.items())
        + "."
        if differing
        else ""
    )
    missing = sorted(set(ours) - set(weights))
    unexpected = sorted(set(weights) - set(ours))
    if missing or unexpected:
        raise CheckpointError(
            f"The checkpoint {str(path)!r} does not fit this model: missing parameters "
            f"{missing[:5]}, unexpected parameters {unexpected[:5]}.{config_note} {advice}"
        )
    for name, tensor in ours.items():
        if tuple(weights[name].shape) != tuple(tensor.shape):
            raise CheckpointError(
                f"The checkpoint {str(path)!r} does not fit this model: parameter {name!r} has "
                f"shape {tuple(weights[name].shape)} in the checkpoint but "
                f"{tuple(tensor.shape)} in the model.{config_note} {advice}"
            )


def load_checkpoint(
    path: str | Path,
    model: nn.Module,
    *,
    optimizer: torch.optim.Optimizer | None = None,
    sampler: BatchSampler | None = None,
    scaler: torch.amp.GradScaler | None = None,
    restore_rng: bool = True,
) -> dict[str, Any]:
    """Load a checkpoint into ``model`` (and optimizer, sampler, scaler, RNG); return its metadata.

    The shapes are checked first: a checkpoint of another model shape raises a
    :class:`CheckpointError` naming the first parameter that differs.
    """
    path = Path(path)
    tensors, meta = read_checkpoint(path)
    weights = {k.removeprefix("model/"): v for k, v in tensors.items() if k.startswith("model/")}
    _check_shapes(model, weights, meta, path)
    model.load_state_dict(weights)
    if optimizer is not None:
        groups = meta.get("optimizer_groups")
        fresh = optimizer.state_dict()
        if groups is None:
            raise CheckpointError(
                f"{str(path)!r} holds no optimizer state (it was saved for inference only), "
                "so training cannot resume from it exactly; start a new run instead."
            )
        if groups != [len(g["params"]) for g in fresh["param_groups"]]:
            raise CheckpointError(
                f"The optimizer state in {str(path)!r} has parameter groups of sizes {groups}, "
                "which do not match this model's; resume with the same model and TrainConfig."
            )
        state: dict[int, dict[str, torch.Tensor]] = {}
        for key, value in tensors.items():
            if key.startswith("optim/"):
                _, index, name = key.split("/", 2)
                state.setdefault(int(index), {})[name] = value
        optimizer.load_state_dict({"state": state, "param_groups": fresh["param_groups"]})
    if scaler is not None and meta.get("scaler") is not None:
        scaler.load_state_dict(meta["scaler"])
    if sampler is not None and "rng/sampler" in tensors:
        sampler.set_state(tensors["rng/sampler"])
    if restore_rng:
        torch.set_rng_state(tensors["rng/torch_cpu"])
        cuda_states = [tensors[k] for k in sorted(tensors) if k.startswith("rng/cuda/")]
        if cuda_states and torch.cuda.is_available():
            for index, rng in enumerate(cuda_states[: torch.cuda.device_count()]):
                torch.cuda.set_rng_state(rng, index)
    return meta


def model_from_checkpoint(
    path: str | Path, device: torch.device | str = "cpu"
) -> tuple[GPT, Any, dict[str, Any]]:
    """Rebuild ``(model, tokenizer, metadata)`` from a checkpoint alone, ready to sample.

    The model is in evaluation mode; the tokenizer is ``None`` if none was stored.
    """
    path = Path(path)
    tensors, meta = read_checkpoint(path)
    try:
        config = GPTConfig(**meta["model_config"])
    except (KeyError, TypeError) as error:
        raise CheckpointError(
            f"{str(path)!r} has an unreadable model config ({error}); use a checkpoint written "
            "by this version of gentle_llm."
        ) from None
    model = GPT(config)
    weights = {k.removeprefix("model/"): v for k, v in tensors.items() if k.startswith("model/")}
    _check_shapes(model, weights, meta, path)
    model.load_state_dict(weights)
    return model.to(device).eval(), _tokenizer_from_meta(meta.get("tokenizer")), meta


# -- the trainer ------------------------------------------------------------------------------


class Trainer:
    """Trains a GPT on a token stream. Chapter 7 walks through :meth:`train_step` line by line.

    ``data`` is a :class:`~gentle_llm.data.TokenData` (or a ``(train, val)`` pair of 1-D
    tensors). The trainer seeds torch's random generator from ``config.seed`` (for dropout);
    seed before building the model too, as :meth:`from_preset` does, for a run that repeats
    exactly. Under ``torchrun`` it joins the process group and wraps the model in DDP.
    """

    def __init__(
        self,
        model: GPT,
        data: TokenData | tuple[torch.Tensor, torch.Tensor],
        config: TrainConfig,
        *,
        tokenizer: Any = None,
    ) -> None:
        if isinstance(data, TokenData):
            train_tokens, val_tokens = data.train, data.val
            tokenizer = tokenizer if tokenizer is not None else data.tokenizer
        else:
            train_tokens, val_tokens = data
        self.config = config
        self.tokenizer = tokenizer
        self.rank, self.world_size, local_rank = init_distributed(config.device)
        self.device = _resolve_device(config.device, local_rank, self.world_size)
        self.dtype = _resolve_dtype(config.dtype, self.device)
        if config.num_threads is not None:
            torch.set_num_threads(config.num_threads)
        torch.manual_seed(config.seed + self.rank)

        vocab = model.config.vocab_size
        for name, tokens in (("training", train_tokens), ("validation", val_tokens)):
            if len(tokens) and int(tokens.long().max()) >= vocab:
                raise ValueError(
                    f"The {name} stream holds token id {int(tokens.long().max())} but the model's "
                    f"vocab_size is {vocab}: build the model with the tokenizer's vocab_size."
                )
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

    @classmethod
    def from_preset(
        cls,
        name: str,
        data: TokenData | None = None,
        **overrides: Any,
    ) -> Trainer:
        """Build model and trainer from a named preset; ``overrides`` replace TrainConfig fields.

        ``data`` defaults to character-level Tiny Shakespeare.
        """
        if name not in PRESETS:
            raise ValueError(f"Unknown preset {name!r}; choose one of {sorted(PRESETS)}.")
        preset = PRESETS[name]
        config = replace(preset.train, **overrides)
        if data is None:
            from gentle_llm.data import char_dataset

            data = char_dataset()
        torch.manual_seed(config.seed)
        model = GPT(replace(preset.model, vocab_size=data.vocab_size))
        return cls(model, data, config)

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
            group["lr"] = lr
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
        """Validation loss: the whole split, or ``eval_batches`` random batches (Chapter 7)."""
        block = self.model.config.block_size
        if self.config.eval_batches is None:
            return evaluate_full(
                self.eval_model,
                self.val_tokens,
                block,
                self.config.eval_batch_size,
                device=self.device,
                autocast=self._autocast,
                rank=self.rank,
                world_size=self.world_size,
            )
        # A fixed seed gives the same batches at every evaluation, so the curve is smooth, and
        # the training random streams are left untouched (exact resume needs that).
        sampler = BatchSampler(
            self.val_tokens,
            block,
            self.config.eval_batch_size,
            seed=self.config.seed + 1,
            device=self.device,
        )
        was_training = self.eval_model.training
        self.eval_model.eval()
        losses = []
        with torch.no_grad():
            for _ in range(self.config.eval_batches):
                ((x, y),) = sampler.sample()
                with self._autocast():
                    losses.append(self.eval_model(x, y)[1].float())
        self.eval_model.train(was_training)
        return float(torch.stack(losses).mean().item())

    # -- the loop ---------------------------------------------------------------------------

    def _gather_losses(self, pending: list[torch.Tensor]) -> list[float]:
        if not pending:
            return []
        losses = torch.stack(pending).float()
        if self.world_size > 1:
            dist.all_reduce(losses)
            losses /= self.world_size
        return losses.tolist()

    def fit(
        self,
        steps: int | None = None,
        *,
        on_eval: EvalCallback | Sequence[EvalCallback] = (),
    ) -> History:
        """Train until step ``steps`` (default ``config.steps``); return the :class:`History`.

        ``on_eval(step, train_loss, val_loss, elapsed_s)`` is called after every evaluation
        (on the first process only), e.g. to redraw a live loss plot in a notebook.
        ``train_loss`` is the mean training loss since the previous evaluation.
        """
        from tqdm.auto import tqdm

        callbacks = [on_eval] if callable(on_eval) else list(on_eval)
        end = self.config.steps if steps is None else steps
        if end > self.config.steps:
            raise ValueError(
                f"fit(steps={end}) goes past config.steps={self.config.steps}, where the "
                "learning-rate schedule ends; raise TrainConfig.steps instead."
            )
        cfg = self.config
        main = self.rank == 0
        bar = tqdm(
            total=end,
            initial=self.step,
            # Passing disable=False would override the TQDM_DISABLE environment variable.
            **({} if cfg.progress and main else {"disable": True}),
            desc="training",
            unit="step",
        )
        pending: list[torch.Tensor] = []
        postfix: dict[str, str] = {}
        since_eval: list[float] = []
        clock = time.perf_counter()
        try:
            while True:
                due_eval = self.step % cfg.eval_interval == 0 or self.step == end
                if due_eval and self.step not in self.history.eval_step:
                    self._sync()
                    self.elapsed_s += time.perf_counter() - clock
                    self._record(self._gather_losses(pending), since_eval)
                    pending = []
                    val_loss = self.evaluate()
                    train_loss = sum(since_eval) / len(since_eval) if since_eval else math.nan
                    since_eval = []
                    self.history.eval_step.append(self.step)
                    self.history.val_loss.append(val_loss)
                    self.history.eval_train_loss.append(train_loss)
                    self.history.elapsed_s.append(self.elapsed_s)
                    postfix["val"] = f"{val_loss:.4f}"
                    bar.set_postfix(postfix, refresh=False)
                    if main:
                        for callback in callbacks:
                            callback(self.step, train_loss, val_loss, self.elapsed_s)
                    clock = time.perf_counter()
                due_save = cfg.checkpoint_interval and self.step % cfg.checkpoint_interval == 0
                if cfg.checkpoint_dir and self.step > 0 and (due_save or self.step == end):
                    self._sync()
                    self.elapsed_s += time.perf_counter() - clock
                    self._record(self._gather_losses(pending), since_eval)
                    pending = []
                    self.save(Path(cfg.checkpoint_dir) / CHECKPOINT_NAME)
                    clock = time.perf_counter()
                if self.step >= end:
                    break
                pending.append(self.train_step())
                bar.update(1)
                if len(pending) == 10:
                    losses = self._record(self._gather_losses(pending), since_eval)
                    pending = []
                    postfix["loss"] = f"{losses[-1]:.4f}"
                    bar.set_postfix(postfix, refresh=False)
        finally:
            bar.close()
        self._sync()
        self.elapsed_s += time.perf_counter() - clock
        self._record(self._gather_losses(pending), since_eval)
        return self.history

    def _record(self, losses: list[float], since_eval: list[float]) -> list[float]:
        first = self.step - len(losses)
        for offset, loss in enumerate(losses):
            step = first + offset
            self.history.step.append(step + 1)
            self.history.train_loss.append(loss)
            self.history.lr.append(lr_at(step, self.config))
        since_eval.extend(losses)
        return losses

    def _sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    # -- checkpoints ------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path | None:
        """Save a resumable checkpoint (only the first process writes under DDP)."""
        if self.rank != 0:
            return None
        return save_checkpoint(
            path,
            self.model,
            optimizer=self.optimizer,
            step=self.step,
            train_config=self.config,
            tokenizer=self.tokenizer,
            history=self.history,
            sampler=self.sampler,
            scaler=self.scaler,
            elapsed_s=self.elapsed_s,
        )

    def load(self, path: str | Path) -> None:
        """Continue from a checkpoint written by :meth:`save`: the run goes on exactly.

        On one CPU process (same machine, same number of threads) the final weights are bitwise
        those of a run that never stopped. Under DDP each process's dropout stream is reseeded.
        """
        meta = load_checkpoint(
            path,
            self.model,
            optimizer=self.optimizer,
            sampler=self.sampler,
            scaler=self.scaler,
        )
        if self.rank != 0:
            # Dropout masks differ per process; each one continues from its own seed stream.
            torch.manual_seed(self.config.seed + self.rank + meta["step"])
        self.step = int(meta["step"])
        self.elapsed_s = float(meta.get("elapsed_s", 0.0))
        if meta.get("history"):
            self.history = History.from_dict(meta["history"])
