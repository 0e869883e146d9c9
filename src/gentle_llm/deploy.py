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
  key/value heads than query heads, shrinks it). Two more variants shrink it further:
  **multi-head latent attention** (DeepSeek-V2 and V3) caches one compressed vector of
  ``kv_lora_rank`` numbers plus a ``rope_head_dim`` key per layer instead of every head's keys
  and values; **sliding-window attention** (Mistral 7B, half of gpt-oss's layers) looks at only
  the last ``sliding_window`` tokens, so those layers never cache more than that.

A **mixture of experts** (Chapter 5, :mod:`gentle_llm.moe`) needs memory for *all* its
parameters, since any token may pick any expert, but each token only goes through its
``active_parameters``: Mixtral 8x7B holds 46.7B numbers and computes like a 12.9B model.

Activations and the framework's own working memory come on top; they are left out here, so
treat a total as a lower bound. The published shapes in :data:`PUBLISHED` (dense Llamas) and
:data:`PUBLISHED_VARIANTS` (mixtures of experts, latent and sliding-window attention) name
their sources; their parameters are counted from the published configs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from torch import nn

from gentle_llm import checks
from gentle_llm.common import human_bytes
from gentle_llm.llama import LlamaConfig, parameter_count
from gentle_llm.moe import MoEMLP, active_parameters

__all__ = [
    "BITS_PER_WEIGHT",
    "DEVICES",
    "HEADROOM",
    "PUBLISHED",
    "PUBLISHED_VARIANTS",
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
# The share of a device's memory that ``memory_table`` keeps free of weights: a rule of thumb
# for the cache, the activations, the framework and (on a laptop) everything else running.
HEADROOM = 0.2


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
    # The fields below are optional: their defaults describe a dense model whose every layer
    # caches every token's keys and values, as the shapes in PUBLISHED do.
    active_parameters: int | None = None  # per token, for a mixture of experts (None: all)
    experts: int = 1  # routed experts per MoE layer (1: a dense model)
    experts_per_token: int = 1  # top_k
    explicit_head_dim: int | None = None  # config.json's head_dim, where not hidden // heads
    kv_lora_rank: int | None = None  # multi-head latent attention: the cached latent's size
    rope_head_dim: int = 0  # ... and the RoPE key it caches beside it
    sliding_window: int | None = None  # the tokens a sliding-window layer looks at
    sliding_layers: int | None = None  # how many layers slide (None: all, given a window)

    def __post_init__(self) -> None:
        for name in ("layers", "hidden", "heads", "kv_heads", "vocab", "context", "parameters"):
            checks.whole_number(getattr(self, name), f"ModelShape.{name}")
        checks.whole_number(self.experts, f"{self.name}: experts")
        if self.explicit_head_dim is None:
            why = "the heads must divide the width evenly."
            checks.divisible(self.hidden, f"{self.name}: hidden", self.heads, "heads", why)
        why = "the key/value heads must divide the heads into equal groups."
        checks.divisible(self.heads, f"{self.name}: heads", self.kv_heads, "kv_heads", why)
        hint = "(the active parameters are part of the total)"
        checks.whole_number(self.active, f"{self.name}: active", 1, self.parameters, hint=hint)
        checks.whole_number(self.experts_per_token, f"{self.name}: top_k", 1, self.experts)
        if self.sliding_window is not None:
            checks.whole_number(self.sliding_window, f"{self.name}: sliding_window")
            checks.whole_number(self.window_layers, f"{self.name}: sliding_layers", 0, self.layers)

    @property
    def head_dim(self) -> int:
        return self.explicit_head_dim or self.hidden // self.heads

    @property
    def active(self) -> int:
        """Parameters one token goes through: all of them, unless a mixture of experts."""
        return self.parameters if self.active_parameters is None else self.active_parameters

    @property
    def window_layers(self) -> int:
        """How many layers cache only the last ``sliding_window`` tokens."""
        if self.sliding_window is None:
            return 0
        return self.layers if self.sliding_layers is None else self.sliding_layers

    @property
    def attention(self) -> str:
        """The kind of attention, as far as the cache is concerned (Chapters 4, 7 and 9)."""
        if self.kv_lora_rank is not None:
            kind = "multi-head latent"
        elif self.kv_heads == self.heads:
            kind = "multi-head"
        else:
            kind = "multi-query" if self.kv_heads == 1 else "grouped-query"
        if self.window_layers:
            kind += f", sliding window of {self.sliding_window:,} in {self.window_layers} layers"
        return kind


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


def _moe(
    name: str,
    *,
    layers: int,
    hidden: int,
    vocab: int,
    attention: int,
    expert: int,
    experts: int,
    active: int,
    router: int,
    shared: int = 0,
    dense_layers: int = 0,
    dense_mlp: int = 0,
    **shape: Any,
) -> ModelShape:
    """A published mixture of experts, its total and active parameters counted from its config.

    ``attention``: the parameters of one layer's attention and its two norms; ``expert``: of
    one expert; ``router``: of one layer's router; ``shared``: experts every token uses; the
    first ``dense_layers`` layers have a plain MLP of ``dense_mlp`` parameters instead. The
    embedding and the output layer are separate matrices in all of them.
    """
    outside = 2 * vocab * hidden + hidden + layers * attention + dense_layers * dense_mlp
    moe_layers = layers - dense_layers
    total = outside + moe_layers * (router + (experts + shared) * expert)
    per_token = outside + moe_layers * (router + (active + shared) * expert)
    return ModelShape(
        name=name, layers=layers, hidden=hidden, vocab=vocab, parameters=total,
        active_parameters=per_token, experts=experts, experts_per_token=active, **shape,
    )  # fmt: skip


# fmt: off
PUBLISHED_VARIANTS = {
    shape.name: shape
    for shape in [
        # Sliding-window attention in every layer ("sliding_window": 4096).
        replace(_llama("Mistral 7B", 32, 4096, 32, 8, 32000, 32768, 14336, "Jiang et al. 2023 "
                       "(Mistral 7B) and config.json of mistralai/Mistral-7B-v0.1"),
                sliding_window=4096),
        _moe(
            "Mixtral 8x7B", layers=32, hidden=4096, heads=32, kv_heads=8, vocab=32000,
            context=32768,
            # q and o (32 heads of 128), k and v (8 heads of 128), two RMSNorms
            attention=2 * 4096 * 4096 + 2 * 4096 * 1024 + 2 * 4096,
            expert=3 * 4096 * 14336, experts=8, active=2, router=4096 * 8,
            source="config.json of mistralai/Mixtral-8x7B-v0.1; Mistral AI, 'Mixtral of "
            "experts' (Dec 2023): 46.7B total parameters, 12.9B used per token",
        ),
        _moe(
            "Qwen3-30B-A3B", layers=48, hidden=2048, heads=32, kv_heads=4, vocab=151936,
            context=40960, explicit_head_dim=128,
            # q and o (32 heads of 128), k and v (4 heads of 128), q and k norms, two RMSNorms
            attention=2 * 2048 * 4096 + 2 * 2048 * 512 + 2 * 128 + 2 * 2048,
            expert=3 * 2048 * 768, experts=128, active=8, router=2048 * 128,
            source="config.json and model card of Qwen/Qwen3-30B-A3B (Apr 2025): 30.5B in "
            "total, 3.3B activated",
        ),
        _moe(
            "gpt-oss-120b", layers=36, hidden=2880, heads=64, kv_heads=8, vocab=201088,
            context=131072, explicit_head_dim=64,
            sliding_window=128, sliding_layers=18,  # every other layer
            # q, k, v and o with biases (64 query and 8 key/value heads of 64), an attention
            # "sink" per head, two RMSNorms
            attention=(2880 * 4096 + 4096) + 2 * (2880 * 512 + 512) + (4096 * 2880 + 2880)
            + 64 + 2 * 2880,
            # the gate and up projections (one matrix), the down projection, with biases
            expert=(2880 * 5760 + 5760) + (2880 * 2880 + 2880), experts=128, active=4,
            router=2880 * 128 + 128,
            source="config.json of openai/gpt-oss-120b; OpenAI, gpt-oss model card (Aug 2025): "
            "116.83B total, 5.13B active parameters (the input embedding not counted)",
        ),
        _moe(
            "DeepSeek-V3", layers=61, hidden=7168, heads=128, kv_heads=128, vocab=129280,
            context=163840, kv_lora_rank=512, rope_head_dim=64,
            # Multi-head latent attention: queries through a 1536 bottleneck and its norm; keys
            # and values through the cached 512 latent and its norm, plus the cached 64-number
            # RoPE key; 128 heads of 128 + 64 query/key and 128 value numbers; output; 2 norms.
            attention=7168 * 1536 + 1536 + 1536 * 128 * 192 + 7168 * (512 + 64) + 512
            + 512 * 128 * (128 + 128) + 128 * 128 * 7168 + 2 * 7168,
            dense_layers=3, dense_mlp=3 * 7168 * 18432,  # the first 3 layers are dense
            expert=3 * 7168 * 2048, experts=256, shared=1, active=8,
            router=256 * 7168 + 256,  # and the per-expert bias that balances the load
            source="DeepSeek-AI 2024 (DeepSeek-V3 Technical Report) and config.json of "
            "deepseek-ai/DeepSeek-V3: 671B total, 37B activated (36.6B without the input "
            "embedding, README_WEIGHTS.md); the multi-token prediction module left out",
        ),
    ]
}
# fmt: on


def shape_of(model: Any, name: str) -> ModelShape:
    """Read a :class:`ModelShape` from a real model: a ``transformers`` model, or the
    course's :class:`~gentle_llm.model.GPT`, :class:`~gentle_llm.moe.MoEGPT` or
    :class:`~gentle_llm.llama.Llama`. Its parameters are counted from its tensors (a tied
    weight once). A config's own ``head_dim`` and latent attention are read; sliding windows
    and a ``transformers`` MoE's active parameters are not (give them with
    ``dataclasses.replace``)."""
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
    extra: dict[str, Any] = {}
    given = getattr(config, "head_dim", None)  # Qwen3 and gpt-oss set it apart from the width
    if given is not None and given != dims[1] // dims[2]:
        extra["explicit_head_dim"] = given
    if getattr(config, "kv_lora_rank", None) is not None:  # DeepSeek's latent attention
        extra.update(kv_lora_rank=config.kv_lora_rank, rope_head_dim=config.qk_rope_head_dim)
    modules = model.modules() if isinstance(model, nn.Module) else []
    routed = [m for m in modules if isinstance(m, MoEMLP)]
    if routed:  # the course's MoEGPT (Chapter 5)
        layer = routed[0]
        extra.update(active_parameters=active_parameters(model), experts=layer.n_experts)
        extra["experts_per_token"] = layer.router.top_k
    return ModelShape(name, *dims, *rest, parameters, source, **extra)


def weight_bytes(parameters: int, precision: str) -> int:
    """Bytes for ``parameters`` weights at ``precision`` (``fp32``, ``fp16``, ``bf16``,
    ``int8``, ``int4``); the integer formats include one float16 scale per 32 weights."""
    checks.whole_number(parameters, "parameters")
    checks.one_of(precision, "precision", BITS_PER_WEIGHT)
    return round(parameters * BITS_PER_WEIGHT[precision] / 8)


def kv_bytes_per_token(shape: ModelShape, bytes_per_number: int = 2) -> int:
    """Key/value cache bytes for one token: 2 x layers x kv_heads x head_dim x bytes.

    With multi-head latent attention: layers x (kv_lora_rank + rope_head_dim) x bytes. A
    sliding-window layer holds these bytes for its last ``sliding_window`` tokens only
    (:func:`kv_cache_bytes` counts that).
    """
    checks.whole_number(bytes_per_number, "bytes_per_number", hint="(2 for fp16, 4 for fp32).")
    if shape.kv_lora_rank is not None:
        return shape.layers * (shape.kv_lora_rank + shape.rope_head_dim) * bytes_per_number
    return 2 * shape.layers * shape.kv_heads * shape.head_dim * bytes_per_number


def kv_cache_bytes(
    shape: ModelShape, tokens: int, batch: int = 1, bytes_per_number: int = 2
) -> int:
    """The cache for ``batch`` conversations of ``tokens`` tokens each (sliding-window layers
    keep at most ``sliding_window`` of them)."""
    hint = f"({shape.name} looks at most {shape.context:,} tokens.)"
    checks.whole_number(tokens, "tokens", 0, shape.context, hint=hint)
    checks.whole_number(batch, "batch")
    per_layer = kv_bytes_per_token(shape, bytes_per_number) // shape.layers
    sliding = shape.window_layers
    windowed = min(tokens, shape.sliding_window or tokens)
    return batch * per_layer * ((shape.layers - sliding) * tokens + sliding * windowed)


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
    *,
    active: bool = False,
    headroom: float = HEADROOM,
) -> str:
    """A Markdown table of weight memory per model and precision (Chapter 9).

    Each cell also names the smallest of ``devices`` that holds the weights with ``headroom``
    (a share of its memory) left for the key/value cache, the activations and the system, or
    "none". ``active=True`` adds a column of the parameters each token uses (a mixture of
    experts holds all, computes with these).
    """
    devices = DEVICES if devices is None else devices
    for precision in precisions:
        checks.one_of(precision, "precision", BITS_PER_WEIGHT)
    checks.number(headroom, "headroom", low=0.0, high=1.0, high_open=True, hint="0.2 is 20 %.")
    counts = "Parameters | Active" if active else "Parameters"
    head = f"| Model | {counts} | " + " | ".join(precisions) + " |"
    rows = [head, "|" + " --- |" * (len(precisions) + 2 + active)]
    for shape in shapes:
        cells = []
        for precision in precisions:
            size = weight_bytes(shape.parameters, precision)
            # The smallest device that holds it and still has room to run it.
            fits = [
                name
                for name, room in sorted(devices.items(), key=lambda d: d[1])
                if size <= (1 - headroom) * room
            ]
            where = fits[0] if fits else "none"
            cells.append(f"{human_bytes(size)} ({where})")
        shown = _count(shape.parameters)
        if active:
            shown += f" | {_count(shape.active)}"
        rows.append(f"| {shape.name} | {shown} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _count(count: int) -> str:
    return f"{count / 1e9:.2f} B" if count >= 1e9 else f"{count / 1e6:.1f} M"
