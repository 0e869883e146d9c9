"""A real pretrained LLM on a laptop: SmolLM2-135M-Instruct.

Chapter 1 uses it to show what a model is made of and how it generates text. The weights come
from a 4-bit GGUF file (the asset ``smollm2-135m-instruct-gguf``: from the Hugging Face hub
online, or from the offline mirror). ``transformers`` de-quantises it to float32 on load, which
takes about half a minute, so the converted model is saved once as safetensors in the cache and
later loads take a few seconds. Everyone, online or offline, gets exactly the same weights.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import torch
from packaging.version import Version

from gentle_llm import assets

SMOLLM2_ASSET = "smollm2-135m-instruct-gguf"
SMOLLM2_HUB_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
_CONVERTED_MARKER = "gentle_llm_converted.json"


def converted_dir() -> Path:
    """Where the float32 safetensors copy of SmolLM2 lives once converted."""
    sha = assets.get_asset(SMOLLM2_ASSET).files[0].sha256
    return assets.cache_dir() / "converted" / f"smollm2-135m-instruct-{sha[:12]}"


def _convert_gguf(destination: Path) -> None:
    """De-quantise the GGUF file into a plain transformers folder at ``destination``."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf_path = assets.fetch(SMOLLM2_ASSET)
    tokenizer = AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
    _use_gguf_special_tokens(tokenizer, gguf_path)
    model = AutoModelForCausalLM.from_pretrained(
        gguf_path.parent, gguf_file=gguf_path.name, **dtype_argument(torch.float32)
    )
    # transformers refuses to save a model it loaded from GGUF, so rebuild a clean one of the
    # same architecture and copy the de-quantised weights across.
    config = model.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    clean = type(model)(config)
    clean.load_state_dict(model.state_dict())
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=destination.parent, prefix=".converting-"))
    try:
        clean.save_pretrained(staging, safe_serialization=True)
        tokenizer.save_pretrained(staging)
        (staging / _CONVERTED_MARKER).write_text(
            json.dumps({"source": gguf_path.name, "hub_id": SMOLLM2_HUB_ID}), encoding="utf-8"
        )
        if (destination / _CONVERTED_MARKER).exists():
            return  # another process (a parallel test worker) finished first
        if destination.exists():
            shutil.rmtree(destination)
        os.replace(staging, destination)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def dtype_argument(dtype: torch.dtype) -> dict[str, torch.dtype]:
    """``from_pretrained``'s keyword for the weights' dtype in the installed transformers.

    transformers 4.56 renamed ``torch_dtype`` to ``dtype``; older releases pass an unknown
    ``dtype`` on to the model's constructor, which refuses it.
    """
    import transformers

    renamed = Version(transformers.__version__) >= Version("4.56")
    return {"dtype" if renamed else "torch_dtype": dtype}


def _use_gguf_special_tokens(tokenizer: Any, gguf_path: Path) -> None:
    """Take the end-of-text and padding tokens, and whether to add a start token, from the GGUF
    file itself. Older transformers misread them for SmolLM2 (seen with 4.47 to 5.12; 5.18 reads
    them right): it ends texts on ``<|im_start|>`` and adds ``<|im_start|>`` before every
    prompt (up to 5.2), which changes every prediction and keeps chats from stopping.
    """
    import gguf

    reader = gguf.GGUFReader(gguf_path)

    def scalar(key: str) -> Any:
        field = reader.fields.get(f"tokenizer.ggml.{key}")
        return None if field is None else field.parts[field.data[0]][0].item()

    eos_id, pad_id, add_bos = (
        scalar("eos_token_id"),
        scalar("padding_token_id"),
        scalar("add_bos_token"),
    )
    if eos_id is not None:
        tokenizer.eos_token = tokenizer.convert_ids_to_tokens(int(eos_id))
    if pad_id is not None:
        tokenizer.pad_token = tokenizer.convert_ids_to_tokens(int(pad_id))
    if add_bos is not None and hasattr(tokenizer, "add_bos_token"):
        tokenizer.add_bos_token = bool(add_bos)


def _convert_in_subprocess(folder: Path) -> None:
    """Convert in a child process: the de-quantising step draws progress bars of its own that
    would otherwise land in the notebook, and its temporary copies of the weights are freed."""
    assets.fetch(SMOLLM2_ASSET)  # a missing file raises its clear error here, in this process
    result = subprocess.run(
        [sys.executable, "-m", "gentle_llm.pretrained", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"Converting SmolLM2 into {folder} failed:\n{result.stderr[-3000:]}\n"
            "Check the disk has about 600 MB free, then run `gentle-llm doctor --load-model`."
        )


@contextlib.contextmanager
def quiet_transformers():
    """Hide transformers' progress bars and notices so notebook outputs stay the same whether
    or not the conversion cache already existed."""
    from huggingface_hub.utils import (
        are_progress_bars_disabled,
        disable_progress_bars,
        enable_progress_bars,
    )
    from transformers.utils import logging

    verbosity = logging.get_verbosity()
    bars_on = logging.is_progress_bar_enabled()
    hub_bars_on = not are_progress_bars_disabled()
    logging.set_verbosity_error()
    logging.disable_progress_bar()
    disable_progress_bars()
    try:
        yield
    finally:
        logging.set_verbosity(verbosity)
        if bars_on:
            logging.enable_progress_bar()
        if hub_bars_on:
            enable_progress_bars()


@functools.lru_cache(maxsize=1)
def load_smollm2():
    """Load SmolLM2-135M-Instruct as ``(model, tokenizer)``: float32, eval mode, on the CPU.

    The tokenizer carries the model's chat template. The result is cached for the process,
    so several cells (or tests) share one copy; move it with ``model.to(device)`` if needed.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = converted_dir()
    if not (folder / _CONVERTED_MARKER).exists():
        _convert_in_subprocess(folder)
    with quiet_transformers():
        tokenizer = AutoTokenizer.from_pretrained(folder)
        model = AutoModelForCausalLM.from_pretrained(folder, **dtype_argument(torch.float32))
    model.eval()
    return model, tokenizer


if __name__ == "__main__":
    # Used by _convert_in_subprocess: python -m gentle_llm.pretrained DESTINATION
    _convert_gguf(Path(sys.argv[1]))
