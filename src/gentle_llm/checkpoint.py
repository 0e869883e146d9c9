"""Checkpoints (Chapter 6): everything needed to continue a run exactly, in one safetensors file.

A checkpoint holds the weights (``model/<name>``), AdamW's moments (``optim/<index>/<name>``)
and the random generators' states (``rng/<name>``) as tensors, and the rest (step, the model
and training configs, the tokenizer, the loss history) as JSON in the file's metadata.
safetensors stores plain numbers only, so loading a checkpoint can never run code, unlike
a pickled ``.pt`` file. A SHA-256 of the tensors, stored beside them, catches a damaged copy.

The package ships one checkpoint: the tiny GPT trained once with the ``cpu-quick`` preset, the
same weights that run in Chapter 6's page. Chapters 7 to 11 load it with :func:`load_tiny_gpt`,
so their numbers do not depend on how a learner's CPU rounds the last bits of a training run.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from torch import nn

from gentle_llm import checks
from gentle_llm.data import BatchSampler
from gentle_llm.model import GPT, GPTConfig

__all__ = [
    "CHECKPOINT_NAME",
    "TINY_GPT_FILE",
    "CheckpointError",
    "load_checkpoint",
    "load_tiny_gpt",
    "model_from_checkpoint",
    "read_checkpoint",
    "save_checkpoint",
]

CHECKPOINT_FORMAT = "gentle_llm.checkpoint"
CHECKPOINT_VERSION = 2  # 2 added the tensors' checksum
CHECKPOINT_NAME = "ckpt.safetensors"
# Written by scripts/export_browser_gpt.py from the same run as the page's weights file.
TINY_GPT_FILE = Path(__file__).parent / "weights" / "tiny-gpt.safetensors"
# Fields that do not change what the weights compute: a checkpoint loads across them.
_CONFIG_FIELDS_IGNORED = ("dropout",)


class CheckpointError(ValueError):
    """A checkpoint file that is missing, damaged, or made for another model."""


def tensors_checksum(tensors: dict[str, torch.Tensor]) -> str:
    """SHA-256 over every tensor's name, dtype, shape and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(tensors):
        tensor = tensors[name].detach().cpu().contiguous()
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def _tokenizer_to_meta(tokenizer: Any) -> dict[str, str] | None:
    if tokenizer is None:
        return None
    if not hasattr(tokenizer, "to_json") or not hasattr(type(tokenizer), "from_json"):
        raise TypeError(
            f"{type(tokenizer).__name__} cannot be stored in a checkpoint (it has no to_json); "
            "pass tokenizer=None and rebuild it yourself when sampling."
        )
    return {"class": type(tokenizer).__name__, "file": tokenizer.to_json()}


def _tokenizer_from_meta(meta: dict[str, str] | None) -> Any:
    if meta is None:
        return None
    from gentle_llm import tokenizers

    cls = getattr(tokenizers, meta["class"], None)
    if cls is None or not hasattr(cls, "from_json"):
        raise CheckpointError(f"the checkpoint names an unknown tokenizer class {meta['class']!r}.")
    return cls.from_json(meta["file"], source="the checkpoint's tokenizer")


def _optimizer_tensors(state: dict[str, Any]) -> dict[str, torch.Tensor]:
    """AdamW's per-parameter state (step, moments) as ``optim/<index>/<name>`` tensors."""
    return {
        f"optim/{index}/{key}": value.detach().to("cpu", copy=True)
        for index, param_state in state["state"].items()
        for key, value in param_state.items()
    }


def _rng_tensors() -> dict[str, torch.Tensor]:
    tensors = {"rng/torch_cpu": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for index, rng in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"rng/cuda/{index}"] = rng
    return tensors


def save_checkpoint(
    path: str | Path,
    model: nn.Module,
    *,
    optimizer: torch.optim.Optimizer | None = None,
    step: int = 0,
    train_config: Any = None,
    tokenizer: Any = None,
    history: Any = None,
    sampler: BatchSampler | None = None,
    scaler: torch.amp.GradScaler | None = None,
    elapsed_s: float = 0.0,
) -> Path:
    """Write a checkpoint of ``model`` (and what else is given) to ``path``; return the path.

    The file is written next to its final name and then renamed, so an interrupted save
    (Ctrl-C, a full disk) never leaves half a checkpoint under the real name.
    """
    path = Path(path)
    hint = "save_checkpoint expects a gentle_llm GPT."
    checks.instance(getattr(model, "config", None), "model.config", GPTConfig, hint=hint)
    # Tied weights share storage, which safetensors refuses; a copy per name is fine because
    # load_state_dict writes both names into the one shared tensor.
    tensors = {
        f"model/{name}": t.detach().to("cpu", copy=True).contiguous()
        for name, t in model.state_dict().items()
    }
    meta: dict[str, Any] = {
        "step": step,
        "model_config": asdict(model.config),
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
        tensors.update(_optimizer_tensors(state))
        meta["optimizer_groups"] = [len(g["params"]) for g in state["param_groups"]]
    tensors.update(_rng_tensors())
    if sampler is not None:
        tensors["rng/sampler"] = sampler.get_state()
    header = {
        "format": CHECKPOINT_FORMAT,
        "version": str(CHECKPOINT_VERSION),
        "gentle_llm": json.dumps(meta),
        "tensors_sha256": tensors_checksum(tensors),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    try:
        save_file(tensors, str(partial), metadata=header)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return path


# What safetensors says about a broken file, and what that means for a learner.
_SAFETENSORS_PROBLEMS = (
    ("too small", "is not a safetensors checkpoint (only {size} bytes long)."),
    (
        "too large",
        "is not a safetensors checkpoint (its first bytes are not a safetensors header). "
        "gentle_llm checkpoints are written by save_checkpoint / `gentle-llm train`; a "
        "PyTorch .pt/.bin file cannot be used here.",
    ),
    ("incomplete", "is truncated ({size} bytes): the copy or the save was interrupted."),
    ("not fully covered", "is truncated ({size} bytes): the copy or the save was interrupted."),
    ("header length", "is truncated ({size} bytes): the copy or the save was interrupted."),
    ("utf-8", "is not a safetensors checkpoint (its header is not valid JSON)."),
    ("deserializ", "is not a safetensors checkpoint (its header is not valid JSON)."),
)


def _explain(path: Path, error: Exception) -> CheckpointError:
    text = str(error).lower()
    size = path.stat().st_size
    for needle, problem in _SAFETENSORS_PROBLEMS:
        if needle in text:
            return CheckpointError(
                f"{str(path)!r} {problem.format(size=size)} Use an earlier checkpoint or train "
                "again."
            )
    return CheckpointError(
        f"{str(path)!r} is damaged and cannot be read ({error}). Use an earlier checkpoint or "
        "train again."
    )


def read_checkpoint(path: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read and check a checkpoint: ``(tensors, metadata)``. Raises :class:`CheckpointError`."""
    path = Path(path)
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
    try:
        with safe_open(str(path), framework="pt") as file:
            header = file.metadata() or {}
            if header.get("format") != CHECKPOINT_FORMAT:
                raise CheckpointError(
                    f"{str(path)!r} is a safetensors file but not a gentle_llm checkpoint (no "
                    f"'{CHECKPOINT_FORMAT}' metadata). To load bare weights use "
                    "safetensors.torch.load_file and model.load_state_dict."
                )
            if int(header.get("version", "0")) > CHECKPOINT_VERSION:
                raise CheckpointError(
                    f"{str(path)!r} was written by a newer gentle_llm (checkpoint version "
                    f"{header['version']}); upgrade gentle_llm to read it."
                )
            tensors = {name: file.get_tensor(name) for name in file.keys()}  # noqa: SIM118
    except CheckpointError:
        raise
    except Exception as error:  # safetensors raises its own error types
        raise _explain(path, error) from None
    stored = header.get("tensors_sha256")
    # Version 1 files predate the checksum; from version 2 on it must be there and match.
    if (stored or int(header.get("version", "0")) >= 2) and stored != tensors_checksum(tensors):
        raise CheckpointError(
            f"{str(path)!r} is damaged: its tensors do not match the checksum stored when it was "
            "saved (a byte changed on disk or in a copy). Use an earlier checkpoint or train "
            "again."
        )
    return tensors, json.loads(header["gentle_llm"])


def _check_fits(model: nn.Module, weights: dict[str, torch.Tensor], meta: dict, path: Path):
    """Refuse weights made for another model: other names, shapes or configuration."""
    ours = model.state_dict()
    stored = meta.get("model_config") or {}
    config = asdict(model.config) if isinstance(getattr(model, "config", None), GPTConfig) else {}
    differing = [
        f"{key} (checkpoint {stored[key]!r}, model {config[key]!r})"
        for key in stored
        if key in config and key not in _CONFIG_FIELDS_IGNORED and stored[key] != config[key]
    ]
    missing = sorted(set(ours) - set(weights))
    unexpected = sorted(set(weights) - set(ours))
    problem = ""
    if missing or unexpected:
        problem = f"missing parameters {missing[:5]}, unexpected parameters {unexpected[:5]}."
    else:
        for name, tensor in ours.items():
            if tuple(weights[name].shape) != tuple(tensor.shape):
                problem = (
                    f"parameter {name!r} has shape {tuple(weights[name].shape)} in the "
                    f"checkpoint but {tuple(tensor.shape)} in the model."
                )
                break
    if problem or differing:
        note = f"The configs differ in {', '.join(differing)}." if differing else ""
        raise CheckpointError(
            f"The checkpoint {str(path)!r} does not fit this model: "
            f"{' '.join(filter(None, (problem, note)))} Build the "
            "model from the checkpoint's own config with "
            "gentle_llm.checkpoint.model_from_checkpoint(path), or use the preset it was "
            "trained with."
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

    The checkpoint must come from a model of the same configuration: one that differs (even
    where the tensor shapes happen to match) raises a :class:`CheckpointError` naming the
    field and the first parameter that differs.
    """
    path = Path(path)
    tensors, meta = read_checkpoint(path)
    weights = {k.removeprefix("model/"): v for k, v in tensors.items() if k.startswith("model/")}
    _check_fits(model, weights, meta, path)
    model.load_state_dict(weights)
    if optimizer is not None:
        _load_optimizer(optimizer, tensors, meta, path)
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


def _load_optimizer(
    optimizer: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], meta: dict, path: Path
) -> None:
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
    _check_fits(model, weights, meta, path)
    model.load_state_dict(weights)
    return model.to(device).eval(), _tokenizer_from_meta(meta.get("tokenizer")), meta


def load_tiny_gpt(device: torch.device | str = "cpu") -> tuple[GPT, Any]:
    """The course's trained tiny GPT as ``(model, tokenizer)``, in eval mode; a fresh copy.

    A lab may fine-tune the copy freely. To use a model you trained yourself instead, save it
    with :func:`save_checkpoint` and load it with :func:`model_from_checkpoint`.
    """
    model, tokenizer, _meta = model_from_checkpoint(TINY_GPT_FILE, device)
    return model, tokenizer
