"""Will it fit? Memory for a model's weights and its key/value cache (Chapter 9).

Chapter 9 asks where a model can run: behind an API, on a company's own servers, or on a
laptop or phone. The first question is memory, and two things fill it:

* the **weights**: parameters x bytes per parameter. 32-bit floats take 4 bytes, 16-bit
  (float16, bfloat16) 2; the integer formats keep one float16 scale per group of 32 weights
  (as :mod:`gentle_llm.quantize` and llama.cpp's Q8_0 and Q4_0 do), so int8 costs
  8 + 16/32 = 8.5 bits and int4 4 + 16/32 = 4.5 bits per weight. This module counts *every*
  parameter at the chosen precision; real files often keep a few tensors (norms, sometimes the
  embedding) at higher precision, so they come out a little larger (Lab 9 checks one).
* the **key/value cache** of Chapter 7: 2 x layers x kv_heads x head_dim numbers per token,
  for every token of every conversation served at once (grouped-query attention, with fewer
  key/value heads than query heads, shrinks it).

Activations and the framework's own working memory come on top; they are left out here, so
treat a total as a lower bound. The published shapes in :data:`PUBLISHED` name their source.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gentle_llm import checks
from gentle_llm.common import human_bytes
from gentle_llm.llama import LlamaConfig, parameter_count

__all__ = [
    "BITS_PER_WEIGHT",
    "DEVICES",
    "PUBLISHED",
    "ModelShape",
    "kv_cache_bytes",
    "kv_bytes_per_token",
    "memory_table",
    "shape_of",
    "total_bytes",
    "weight_bytes",
]

GROUP_SIZE = 32  # weights per float16 scale in the integer formats
BITS_PER_WEIGHT = {
    "fp32": 32.0,
    "fp16": 16.0,
    "bf16": 16.0,
    "int8": 8 + 16 / GROUP_SIZE,
    "int4": 4 + 16 / GROUP_SIZE,
}
# Round, illustrative sizes of common memories, in bytes (1 GB = 10^9 B).
DEVICES = {"16 GB laptop": 16e9, "24 GB GPU": 24e9, "80 GB GPU": 80e9}


@dataclass(frozen=True)
class ModelShape:
    """The numbers that decide a model's memory, and where they were read."""

    name: str
    layers: int
    hidden: int  # numbers per token inside the model
    heads: int  # query heads
    kv_heads: int  # key/value heads (equal to heads without grouped-query attention)
    vocab: int
    context: int  # the most tokens it can look at
    parameters: int
    source: str

    def __post_init__(self) -> None:
        for name in ("layers", "hidden", "heads", "kv_heads", "vocab", "context", "parameters"):
            checks.whole_number(getattr(self, name), f"ModelShape.{name}")
        why = "the heads must divide the width evenly."
        checks.divisible(self.hidden, f"{self.name}: hidden", self.heads, "heads", why)
        why = "the key/value heads must divide the heads into equal groups."
        checks.divisible(self.heads, f"{self.name}: heads", self.kv_heads, "kv_heads", why)

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads


def _llama(
    name: str,
    layers: int,
    hidden: int,
    heads: int,
    kv_heads: int,
    vocab: int,
    context: int,
    intermediate: int,
    source: str,
) -> ModelShape:
    """A published Llama shape, its parameters counted from the shape (none tie embeddings)."""
    config = LlamaConfig(
        vocab_size=vocab,
        block_size=context,
        n_layer=layers,
        n_head=heads,
        n_kv_head=kv_heads,
        n_embd=hidden,
        intermediate_size=intermediate,
        tie_embeddings=False,
    )
    return ModelShape(
        name, layers, hidden, heads, kv_heads, vocab, context, parameter_count(config), source
    )


_LLAMA2 = "Touvron et al. 2023 (Llama 2) and Meta's config.json for meta-llama/Llama-2-{}-hf"
_LLAMA3 = "Dubey et al. 2024 (The Llama 3 Herd of Models) and Meta's config.json for {}"
PUBLISHED = {
    shape.name: shape
    for shape in [
        _llama("Llama 2 7B", 32, 4096, 32, 32, 32000, 4096, 11008, _LLAMA2.format("7b")),
        _llama("Llama 2 13B", 40, 5120, 40, 40, 32000, 4096, 13824, _LLAMA2.format("13b")),
        _llama("Llama 2 70B", 80, 8192, 64, 8, 32000, 4096, 28672, _LLAMA2.format("70b")),
        _llama(
            "Llama 3 8B",
            32,
            4096,
            32,
            8,
            128256,
            8192,
            14336,
            _LLAMA3.format("meta-llama/Meta-Llama-3-8B"),
        ),
        _llama(
            "Llama 3 70B",
            80,
            8192,
            64,
            8,
            128256,
            8192,
            28672,
            _LLAMA3.format("meta-llama/Meta-Llama-3-70B"),
        ),
        # 405B came with Llama 3.1, whose context is 128K tokens.
        _llama(
            "Llama 3.1 405B",
            126,
            16384,
            128,
            8,
            128256,
            131072,
            53248,
            _LLAMA3.format("meta-llama/Llama-3.1-405B"),
        ),
    ]
}


def shape_of(model: Any, name: str) -> ModelShape:
    """Read a :class:`ModelShape` from a real model: a ``transformers`` model, or the
    course's :class:`~gentle_llm.model.GPT` or :class:`~gentle_llm.llama.Llama`. Its
    parameters are counted from its tensors (a tied weight once)."""
    checks.text(name, "name", example="SmolLM2-135M")
    config = getattr(model, "config", None)
    if config is None or not hasattr(model, "parameters"):
        raise TypeError(f"expected a model with a config, got {type(model).__name__}.")
    parameters = sum(p.numel() for p in model.parameters())
    if hasattr(config, "num_hidden_layers"):  # transformers
        heads = config.num_attention_heads
        kv = getattr(config, "num_key_value_heads", None) or heads
        dims = (config.num_hidden_layers, config.hidden_size, heads, kv)
        rest = (config.vocab_size, config.max_position_embeddings)
        source = f"the loaded {type(model).__name__}'s config"
    else:  # the course's own models
        kv = getattr(config, "n_kv_head", config.n_head)
        dims = (config.n_layer, config.n_embd, config.n_head, kv)
        rest = (config.vocab_size, config.block_size)
        source = f"the course's {type(model).__name__} object"
    return ModelShape(name, *dims, *rest, parameters, source)


def weight_bytes(parameters: int, precision: str) -> int:
    """Bytes for ``parameters`` weights at ``precision`` (``fp32``, ``fp16``, ``bf16``,
    ``int8``, ``int4``); the integer formats include one float16 scale per 32 weights."""
    checks.whole_number(parameters, "parameters")
    checks.one_of(precision, "precision", BITS_PER_WEIGHT)
    return round(parameters * BITS_PER_WEIGHT[precision] / 8)


def kv_bytes_per_token(shape: ModelShape, bytes_per_number: int = 2) -> int:
    """Key/value cache bytes for one token: 2 x layers x kv_heads x head_dim x bytes."""
    checks.whole_number(bytes_per_number, "bytes_per_number", hint="(2 for fp16, 4 for fp32).")
    return 2 * shape.layers * shape.kv_heads * shape.head_dim * bytes_per_number


def kv_cache_bytes(
    shape: ModelShape, tokens: int, batch: int = 1, bytes_per_number: int = 2
) -> int:
    """The cache for ``batch`` conversations of ``tokens`` tokens each."""
    hint = f"({shape.name} looks at most {shape.context:,} tokens.)"
    checks.whole_number(tokens, "tokens", 0, shape.context, hint=hint)
    checks.whole_number(batch, "batch")
    return batch * tokens * kv_bytes_per_token(shape, bytes_per_number)


def total_bytes(
    shape: ModelShape,
    precision: str,
    tokens: int = 0,
    batch: int = 1,
    cache_bytes_per_number: int = 2,
) -> int:
    """Weights at ``precision`` plus the key/value cache (activations not included)."""
    weights = weight_bytes(shape.parameters, precision)
    return weights + kv_cache_bytes(shape, tokens, batch, cache_bytes_per_number)


def memory_table(
    shapes: list[ModelShape],
    precisions: tuple[str, ...] = ("fp32", "bf16", "int8", "int4"),
    devices: dict[str, float] | None = None,
) -> str:
    """A Markdown table of weight memory per model and precision; each cell also names the
    smallest of ``devices`` it fits in (or "none")."""
    devices = DEVICES if devices is None else devices
    for precision in precisions:
        checks.one_of(precision, "precision", BITS_PER_WEIGHT)
    head = "| Model | Parameters | " + " | ".join(precisions) + " |"
    rows = [head, "|" + " --- |" * (len(precisions) + 2)]
    for shape in shapes:
        cells = []
        for precision in precisions:
            size = weight_bytes(shape.parameters, precision)
            # The smallest device that holds it, so the table reads "fits a laptop".
            fits = [
                name for name, room in sorted(devices.items(), key=lambda d: d[1]) if size <= room
            ]
            where = fits[0] if fits else "none"
            cells.append(f"{human_bytes(size)} ({where})")
        count = shape.parameters
        shown = f"{count / 1e9:.2f} B" if count >= 1e9 else f"{count / 1e6:.1f} M"
        rows.append(f"| {shape.name} | {shown} | " + " | ".join(cells) + " |")
    return "\n".join(rows)
