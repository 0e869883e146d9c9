"""Where the numbers are computed: devices, precision and processes (Chapter 6).

One place answers "which device?" for the notebooks' setup, the command line and the trainer:
CUDA if there is a GPU, then Apple's MPS, then the CPU. Half precision (bfloat16 or float16)
is used on CUDA only. Several GPUs (or CPU processes, in the tests) train together when the
script is started by ``torchrun``: :func:`init_distributed` joins the process group and
:func:`cleanup_distributed` leaves it.
"""

from __future__ import annotations

import os
import warnings

import torch
import torch.distributed as dist

from gentle_llm import checks
from gentle_llm.common import model_device  # re-exported: its home is common

__all__ = [
    "DEVICE_NAMES",
    "DTYPE_NAMES",
    "cleanup_distributed",
    "distributed_env",
    "init_distributed",
    "model_device",
    "pick_device",
    "process_group",
    "resolve_device",
    "resolve_dtype",
]

DEVICE_NAMES = ("auto", "cpu", "cuda", "mps")
DTYPE_NAMES = ("auto", "float32", "bfloat16", "float16")


def pick_device() -> torch.device:
    """The best available device: CUDA, then Apple's MPS, then the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def resolve_device(name: str | torch.device = "auto") -> torch.device:
    """Turn ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:1"`` or ``"mps"`` into a usable device.

    Under ``torchrun`` every process takes the GPU numbered by its ``local_rank``. Asking for a
    device this machine does not have is an error that says what to use instead.
    """
    if isinstance(name, torch.device):
        name = str(name)
    kind = checks.one_of(
        str(name).split(":")[0],
        "device",
        DEVICE_NAMES,
        hint="('auto' picks CUDA, then MPS, then the CPU).",
    )
    if kind == "auto":
        device = pick_device()
        # MPS has no process groups: several processes share the CPU instead.
        if device.type == "mps" and distributed_env()[1] > 1:
            device = torch.device("cpu")
    else:
        device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            "device 'cuda' was asked for but no GPU is visible: use device 'cpu' or 'auto' "
            "(or the 'cpu-quick' preset), or switch the Colab runtime to a GPU."
        )
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise RuntimeError(
            "device 'mps' was asked for but Apple's Metal backend is not available here: "
            "use device 'cpu' or 'auto'."
        )
    _, world, local_rank = distributed_env()
    if device.type == "cuda" and device.index is None and world > 1:
        device = torch.device("cuda", local_rank)
    return device


def resolve_dtype(name: str, device: torch.device) -> torch.dtype:
    """The floating-point type to compute in: half precision on CUDA only, else float32."""
    checks.one_of(name, "dtype", DTYPE_NAMES)
    if device.type != "cuda":
        if name in ("bfloat16", "float16"):
            warnings.warn(
                f"dtype {name!r} is only used on CUDA; computing in float32 on {device.type}.",
                stacklevel=3,
            )
        return torch.float32
    if name == "auto":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return getattr(torch, name)


def distributed_env() -> tuple[int, int, int]:
    """``(rank, world_size, local_rank)`` as ``torchrun`` sets them; ``(0, 1, 0)`` otherwise."""
    return (
        int(os.environ.get("RANK", "0")),
        int(os.environ.get("WORLD_SIZE", "1")),
        int(os.environ.get("LOCAL_RANK", "0")),
    )


def init_distributed(device: str = "auto") -> tuple[int, int, int]:
    """Join the process group when started by ``torchrun``; return ``(rank, world, local_rank)``.

    Outside ``torchrun`` nothing happens and the answer is ``(0, 1, 0)``. GPUs talk through
    NCCL, CPU processes (``device="cpu"``, or no GPU) through gloo (what the tests use).
    Call it once at the start of a training script, before building the :class:`Trainer`.
    """
    _, world, local_rank = distributed_env()
    if world <= 1:
        return 0, 1, 0
    if not dist.is_initialized():
        use_gpu = torch.cuda.is_available() and device != "cpu"
        if use_gpu:
            torch.cuda.set_device(local_rank)
        dist.init_process_group(backend="nccl" if use_gpu else "gloo")
    return dist.get_rank(), dist.get_world_size(), local_rank


def cleanup_distributed() -> None:
    """Leave the process group (call once at the end of a ``torchrun`` script)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def process_group() -> tuple[int, int]:
    """``(rank, world_size)`` of the process group this process joined, else ``(0, 1)``.

    Reading it never joins a group: a script started by ``torchrun`` that forgot to call
    :func:`init_distributed` gets an error that says so, instead of training alone.
    """
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    if distributed_env()[1] > 1:
        raise RuntimeError(
            "This process was started by torchrun but has not joined the process group: call "
            "gentle_llm.devices.init_distributed() before building the Trainer."
        )
    return 0, 1
