"""The tiny GPT in the reader's browser: export its weights to a script file, read them back.

Chapter 6's page runs the character-level GPT that the chapter trains with no kernel and no
network: ``gpt.js`` re-implements :class:`gentle_llm.model.GPT`'s forward pass (and the
sampling of :mod:`gentle_llm.generate`) in plain JavaScript, and the weights travel as one
classic script file that assigns them to ``window.GENTLE_TINY_GPT``. A classic ``<script src>``
loads from a web server and from a book opened straight from disk (``file://``), where
``fetch()``, ES modules and WebAssembly files are refused.

The weights are stored as float16 by default: half the download of float32 (about 1.1 MB
instead of 2.2 MB for the 413,312 parameters of the ``cpu-quick`` model), and the rounding
moves a logit by far less than the sampling knobs do. :func:`read_weights_js` gives back
exactly the rounded numbers, so a PyTorch model built from them is the reference the browser
must match.
"""

from __future__ import annotations

import base64
import html
import json
import re
from dataclasses import asdict, fields
from typing import Any

import numpy as np
import torch

from gentle_llm import checks
from gentle_llm.explorers import static_file
from gentle_llm.model import GPT, GPTConfig
from gentle_llm.tokenizers import CharTokenizer

__all__ = [
    "FORMAT",
    "GLOBAL_NAME",
    "config_dict",
    "export_weights_js",
    "model_from_weights_js",
    "read_weights_js",
    "standalone_page_html",
]

FORMAT = "gentle_llm.tiny-gpt/1"
GLOBAL_NAME = "GENTLE_TINY_GPT"
_DTYPES = {"float16": "<f2", "float32": "<f4"}
_PREFIX = f"window.{GLOBAL_NAME} = "
# The config fields gpt.js needs; dropout does nothing at inference, so it is not stored.
_CONFIG_FIELDS = ("vocab_size", "block_size", "n_layer", "n_head", "n_embd", "bias")


def _tensors_to_store(model: GPT) -> list[tuple[str, torch.Tensor]]:
    """Every distinct weight in state-dict order; a head tied to the embedding is stored once."""
    tied = model.lm_head.weight is model.tok_emb.weight
    return [
        (name, tensor)
        for name, tensor in model.state_dict().items()
        if not (tied and name == "lm_head.weight")
    ]


def export_weights_js(
    model: GPT,
    tokenizer: CharTokenizer,
    *,
    dtype: str = "float16",
    about: dict[str, Any] | None = None,
) -> str:
    """The classic-script text that hands ``model`` and its character vocabulary to gpt.js.

    The same model gives the same text, byte for byte: nothing in it depends on the time, the
    machine or a random number. ``about`` is a small JSON-able note kept in the file (where
    the weights came from, their validation loss).
    """
    checks.instance(model, "model", GPT, "a gentle_llm.model.GPT")
    # The browser demo encodes text one character at a time.
    checks.instance(tokenizer, "tokenizer", CharTokenizer, "the model's CharTokenizer")
    checks.one_of(dtype, "dtype", _DTYPES)
    config = model.config
    hint = "gpt.js computes GELU with the tanh formula (the default)."
    checks.one_of(config.gelu_approximate, "GPTConfig.gelu_approximate", ("tanh",), hint=hint)
    if tokenizer.vocab_size != config.vocab_size:
        raise ValueError(
            f"The tokenizer has {tokenizer.vocab_size} characters but the model's vocabulary "
            f"is {config.vocab_size}; export the model with the tokenizer it was trained with."
        )

    tensors, chunks, offset = [], [], 0
    for name, tensor in _tensors_to_store(model):
        hint = "Export a model that trained well."
        values = checks.tensor(tensor.detach(), name, finite=True, hint=hint)
        values = values.to("cpu", torch.float32).numpy()
        stored = values.astype(_DTYPES[dtype])
        if not np.all(np.isfinite(stored)):
            raise ValueError(f"{name} has values too large for {dtype}; export as float32.")
        tensors.append([name, list(values.shape), offset])
        chunks.append(stored.tobytes())
        offset += values.size
    payload = {
        "format": FORMAT,
        "config": {name: getattr(config, name) for name in _CONFIG_FIELDS},
        "tied": model.lm_head.weight is model.tok_emb.weight,
        "vocab": list(tokenizer.chars),
        "about": about or {},
        "dtype": dtype,
        "tensors": tensors,
        "data": base64.b64encode(b"".join(chunks)).decode("ascii"),
    }
    # ensure_ascii: the file is plain ASCII, so no page encoding can garble the vocabulary.
    text = json.dumps(payload, ensure_ascii=True, separators=(",", ":"))
    return (
        "// The tiny GPT of Chapter 6: configuration, character vocabulary and weights, "
        "read by gpt.js.\n"
        "// Written by scripts/export_browser_gpt.py (gentle_llm.explorers.gpt); do not edit.\n"
        f"{_PREFIX}{text};\n"
    )


def read_weights_js(text: str) -> dict[str, Any]:
    """Parse a weights file: its JSON fields, with ``tensors`` as ``{name: float32 tensor}``."""
    match = re.search(re.escape(_PREFIX) + r"(\{.*\});\s*\Z", text, re.DOTALL)
    if match is None:
        raise ValueError(f"Not a tiny-GPT weights file: no `{_PREFIX}{{...}};` in it.")
    payload = json.loads(match.group(1))
    if payload.get("format") != FORMAT:
        raise ValueError(f"Unknown weights format {payload.get('format')!r}; want {FORMAT!r}.")
    raw = base64.b64decode(payload["data"])
    flat = np.frombuffer(raw, dtype=_DTYPES[payload["dtype"]]).astype(np.float32)
    tensors = {}
    for name, shape, offset in payload["tensors"]:
        size = int(np.prod(shape))
        tensors[name] = torch.from_numpy(flat[offset : offset + size].reshape(shape).copy())
    payload["tensors"] = tensors
    return payload


def model_from_weights_js(text: str) -> tuple[GPT, CharTokenizer]:
    """A PyTorch :class:`GPT` holding exactly the (rounded) weights the browser runs."""
    payload = read_weights_js(text)
    known = {f.name for f in fields(GPTConfig)}
    config = GPTConfig(**{k: v for k, v in payload["config"].items() if k in known})
    model = GPT(config)
    weights = dict(payload["tensors"])
    if not payload["tied"]:
        model.lm_head.weight = torch.nn.Parameter(torch.empty_like(model.tok_emb.weight))
    else:
        weights["lm_head.weight"] = weights["tok_emb.weight"]
    model.load_state_dict(weights)
    return model.eval(), CharTokenizer(payload["vocab"])


def config_dict(config: GPTConfig) -> dict[str, Any]:
    """The stored part of a config, to compare a weights file with a preset."""
    full = asdict(config)
    return {name: full[name] for name in _CONFIG_FIELDS}


def standalone_page_html(weights_src: str, *, title: str = "Tiny GPT") -> str:
    """A whole HTML page with the demo (gpt.css, dom.js, decoding.js, gpt.js and checkpoint.js
    inlined), the weights from a file.

    ``weights_src`` is the address of the weights script relative to the page. The book's
    page loads the same files in the same order; tests and the benchmark use this page.
    """
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>{static_file('gpt.css')}</style></head><body>"
        '<div class="glm-gpt mathjax_ignore tex2jax_ignore">'
        '<p class="glm-gpt-fallback">The live model needs JavaScript.</p></div>'
        f'<script src="{html.escape(weights_src)}"></script>'
        f"<script>{static_file('dom.js')}</script>"
        f"<script>{static_file('decoding.js')}</script>"
        f"<script>{static_file('gpt.js')}</script>"
        f"<script>{static_file('checkpoint.js')}</script></body></html>"
    )
