"""A Llama-style decoder from scratch, able to load SmolLM2's pretrained weights (Chapter 5).

Chapter 5 first builds the tiny GPT (:mod:`gentle_llm.model`), then this file: the same stack
of pre-norm decoder blocks with four changes that most open models made after GPT-2:

* **RMSNorm** instead of LayerNorm: rescale each vector to unit root-mean-square, no mean
  subtraction and no bias.
* **RoPE** instead of learned position embeddings: queries and keys are rotated by their
  position inside every attention layer (Chapter 3, :mod:`gentle_llm.positions`).
* **Grouped-query attention**: fewer key/value heads than query heads (Chapter 4,
  :class:`gentle_llm.attention.MultiHeadAttention` spells it out); SmolLM2 has 9 and 3.
* **SwiGLU** feed-forward: ``down(silu(gate(x)) * up(x))``, a gated MLP with no biases.

:meth:`Llama.from_hf` copies the weights of a ``transformers`` ``LlamaForCausalLM`` (such as
``gentle_llm.pretrained.load_smollm2()``) into :class:`Llama`; a test checks that both give the
same logits. ``forward`` has the interface of :class:`gentle_llm.model.GPT`, including its
:class:`~gentle_llm.model.KVCache`, so the generation code of Chapter 7 can drive either model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gentle_llm import checks
from gentle_llm.attention import cached_causal_mask
from gentle_llm.common import model_device
from gentle_llm.model import KVCache
from gentle_llm.positions import rope_angles

__all__ = ["LlamaConfig", "Llama", "KVCache", "llama_from_hf", "parameter_count"]


@dataclass
class LlamaConfig:
    """The shape of a :class:`Llama`; the defaults are SmolLM2-135M's (Chapter 5)."""

    vocab_size: int = 49152
    block_size: int = 8192  # context length ("max_position_embeddings" in transformers)
    n_layer: int = 30
    n_head: int = 9  # query heads
    n_kv_head: int = 3  # key/value heads, shared by groups of n_head // n_kv_head query heads
    n_embd: int = 576
    intermediate_size: int = 1536  # the width of the SwiGLU feed-forward layer
    rope_theta: float = 100000.0  # RoPE's base: the slowest pair turns about once per theta
    rms_norm_eps: float = 1e-5
    tie_embeddings: bool = True

    def __post_init__(self) -> None:
        for name in ("vocab_size", "block_size", "n_layer", "n_head", "n_kv_head", "n_embd"):
            checks.whole_number(getattr(self, name), f"LlamaConfig.{name}")
        checks.whole_number(self.intermediate_size, "LlamaConfig.intermediate_size")
        checks.number(self.rope_theta, "LlamaConfig.rope_theta", low=1, low_open=True)
        checks.number(self.rms_norm_eps, "LlamaConfig.rms_norm_eps", low=0, low_open=True)
        why = "every head gets the same width; change one of them."
        checks.divisible(self.n_embd, "LlamaConfig.n_embd", self.n_head, "n_head", why)
        why = "each key/value head serves an equal group of queries: use a multiple of n_kv_head."
        checks.divisible(self.n_head, "LlamaConfig.n_head", self.n_kv_head, "n_kv_head", why)
        why = "RoPE rotates numbers in pairs, so it must be even. Change n_embd or n_head."
        checks.divisible(self.head_dim, "The head width n_embd / n_head", 2, "2", why)

    @property
    def head_dim(self) -> int:
        return self.n_embd // self.n_head

    @classmethod
    def from_hf(cls, hf_config: Any) -> LlamaConfig:
        """Read a ``transformers`` ``LlamaConfig``; refuse features this file does not build."""
        if getattr(hf_config, "model_type", None) != "llama":
            raise ValueError(
                f"Expected a Llama model (model_type 'llama'), got "
                f"{getattr(hf_config, 'model_type', None)!r}."
            )
        # transformers 5 keeps RoPE's settings in rope_parameters, 4.x in rope_theta/rope_scaling.
        rope = getattr(hf_config, "rope_parameters", None) or {}
        scaling = getattr(hf_config, "rope_scaling", None) or {}
        rope_type = rope.get("rope_type", scaling.get("rope_type", "default"))
        theta = rope.get("rope_theta", getattr(hf_config, "rope_theta", None))
        problems = []
        if rope_type != "default":
            problems.append(f"RoPE scaling {rope_type!r}")
        if getattr(hf_config, "attention_bias", False) or getattr(hf_config, "mlp_bias", False):
            problems.append("biases in the linear layers")
        if getattr(hf_config, "hidden_act", "silu") != "silu":
            problems.append(f"activation {hf_config.hidden_act!r}")
        head_dim = getattr(hf_config, "head_dim", None)
        if head_dim and head_dim * hf_config.num_attention_heads != hf_config.hidden_size:
            problems.append(f"head_dim {head_dim} not equal to hidden_size / heads")
        if problems:
            raise ValueError(
                f"This Llama uses {', '.join(problems)}, which gentle_llm.llama does not build; "
                "it covers the plain Llama layout that SmolLM2 uses."
            )
        return cls(
            vocab_size=hf_config.vocab_size,
            block_size=hf_config.max_position_embeddings,
            n_layer=hf_config.num_hidden_layers,
            n_head=hf_config.num_attention_heads,
            n_kv_head=hf_config.num_key_value_heads or hf_config.num_attention_heads,
            n_embd=hf_config.hidden_size,
            intermediate_size=hf_config.intermediate_size,
            rope_theta=float(theta if theta is not None else 10000.0),
            rms_norm_eps=float(hf_config.rms_norm_eps),
            tie_embeddings=bool(getattr(hf_config, "tie_word_embeddings", False)),
        )


def parameter_count(config: LlamaConfig) -> int:
    """How many numbers a :class:`Llama` of this shape learns, from the config alone."""
    d, hd = config.n_embd, config.head_dim
    attention = d * config.n_head * hd + 2 * d * config.n_kv_head * hd + config.n_head * hd * d
    mlp = 3 * d * config.intermediate_size  # gate, up and down projections
    norms = 2 * d  # one RMSNorm weight before attention, one before the MLP
    embeddings = config.vocab_size * d * (1 if config.tie_embeddings else 2)
    return embeddings + config.n_layer * (attention + mlp + norms) + d  # + the final norm


class RMSNorm(nn.Module):
    """Divide each vector by its root-mean-square, then scale each dimension by a learned gain."""

    def __init__(self, dim: int, eps: float) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: Tensor) -> Tensor:
        # Squares are averaged in float32 so half-precision inputs do not overflow.
        x32 = x.float()
        x32 = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x32.to(x.dtype)


def rotate(x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    """RoPE with the "half" pairing: :func:`gentle_llm.positions.rope_rotate`, minus its checks.

    ``cos`` and ``sin`` (``[T, head_dim/2]``) are computed once per forward pass and shared by
    every layer; dimension ``i`` is paired with ``i + head_dim/2``, as transformers' Llama does.
    """
    half = x.shape[-1] // 2
    first, second = x[..., :half], x[..., half:]
    rotated = torch.cat((first * cos - second * sin, first * sin + second * cos), dim=-1)
    return rotated.to(x.dtype)


class Attention(nn.Module):
    """Causal self-attention with RoPE and grouped-query attention (no biases)."""

    def __init__(self, config: LlamaConfig) -> None:
        super().__init__()
        self.n_head, self.n_kv_head, self.head_dim = (
            config.n_head,
            config.n_kv_head,
            config.head_dim,
        )
        d = config.n_embd
        self.q_proj = nn.Linear(d, config.n_head * self.head_dim, bias=False)
        self.k_proj = nn.Linear(d, config.n_kv_head * self.head_dim, bias=False)
        self.v_proj = nn.Linear(d, config.n_kv_head * self.head_dim, bias=False)
        self.o_proj = nn.Linear(config.n_head * self.head_dim, d, bias=False)

    def forward(self, x: Tensor, cos: Tensor, sin: Tensor, cache: KVCache | None, layer: int):
        batch, seq, _ = x.shape
        # [B, T, heads * head_dim] -> [B, heads, T, head_dim]
        q = self.q_proj(x).view(batch, seq, self.n_head, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(batch, seq, self.n_kv_head, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(batch, seq, self.n_kv_head, self.head_dim).transpose(1, 2)
        # Rotate before caching: a cached key keeps the position it was computed at.
        q, k = rotate(q, cos, sin), rotate(k, cos, sin)

        past = 0
        if cache is not None:
            past = cache.length
            k, v = cache.update(layer, k, v)  # stores n_kv_head heads: GQA's smaller cache
        if self.n_kv_head != self.n_head:
            # Grouped-query attention: each key/value head serves n_head // n_kv_head queries.
            group = self.n_head // self.n_kv_head
            k = k.repeat_interleave(group, dim=1)
            v = v.repeat_interleave(group, dim=1)

        # Causal, shifted by the `past` cached keys: query i sees keys 0 .. past + i.
        mask, is_causal = cached_causal_mask(past, seq, x.device)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=is_causal)
        return self.o_proj(y.transpose(1, 2).reshape(batch, seq, -1))


class MLP(nn.Module):
    """SwiGLU: a SiLU-activated gate multiplies a second projection, then project back."""

    def __init__(self, config: LlamaConfig) -> None:
        super().__init__()
        self.gate_proj = nn.Linear(config.n_embd, config.intermediate_size, bias=False)
        self.up_proj = nn.Linear(config.n_embd, config.intermediate_size, bias=False)
        self.down_proj = nn.Linear(config.intermediate_size, config.n_embd, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaBlock(nn.Module):
    """One pre-norm block, as in the GPT: x + attention(norm(x)), then x + mlp(norm(x))."""

    def __init__(self, config: LlamaConfig) -> None:
        super().__init__()
        self.attn_norm = RMSNorm(config.n_embd, config.rms_norm_eps)
        self.attn = Attention(config)
        self.mlp_norm = RMSNorm(config.n_embd, config.rms_norm_eps)
        self.mlp = MLP(config)

    def forward(self, x: Tensor, cos: Tensor, sin: Tensor, cache: KVCache | None, layer: int):
        x = x + self.attn(self.attn_norm(x), cos, sin, cache, layer)
        return x + self.mlp(self.mlp_norm(x))


class Llama(nn.Module):
    """A Llama-style language model (Chapter 5): token ids in, next-token logits out."""

    def __init__(self, config: LlamaConfig) -> None:
        super().__init__()
        self.config = config
        self.tok_emb = nn.Embedding(config.vocab_size, config.n_embd)
        # No position embedding here: positions enter through RoPE inside every attention layer.
        self.blocks = nn.ModuleList(LlamaBlock(config) for _ in range(config.n_layer))
        self.norm = RMSNorm(config.n_embd, config.rms_norm_eps)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        if config.tie_embeddings:
            self.lm_head.weight = self.tok_emb.weight
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(
        self,
        idx: Tensor,
        targets: Tensor | None = None,
        *,
        kv_cache: KVCache | None = None,
    ) -> tuple[Tensor, Tensor | None]:
        """Return ``(logits [B, T, vocab], loss)``, exactly like :class:`gentle_llm.model.GPT`.

        With ``kv_cache``, ``idx`` holds only the tokens the cache has not seen; their RoPE
        positions continue after the cached ones. Targets equal to -100 are ignored.
        """
        checks.model_input(idx, kv_cache, self.config.block_size, len(self.blocks))
        past = kv_cache.length if kv_cache is not None else 0  # positions already cached
        seq = idx.shape[1]

        # RoPE's angles (Chapter 3) for these positions, once for all layers.
        positions = torch.arange(past, past + seq, device=idx.device)
        angles = rope_angles(positions, self.config.head_dim, self.config.rope_theta)
        cos, sin = angles.cos(), angles.sin()
        x = self.tok_emb(idx)
        for layer, block in enumerate(self.blocks):
            x = block(x, cos, sin, kv_cache, layer)
        if kv_cache is not None:
            kv_cache.length += seq
        logits = self.lm_head(self.norm(x))

        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.flatten(0, 1).float(), targets.flatten())
        return logits, loss

    def num_parameters(self) -> int:
        """Number of distinct trainable numbers (tied weights counted once)."""
        return sum(p.numel() for p in self.parameters())

    @classmethod
    def from_hf(cls, model: Any) -> Llama:
        """A :class:`Llama` holding a copy of a ``transformers`` ``LlamaForCausalLM``'s weights.

        Same device and dtype as ``model``, eval mode. Nothing is downloaded: the config and
        the tensors are read from the model object.
        """
        if not isinstance(model, nn.Module) or not hasattr(model, "config"):
            raise TypeError(
                f"Llama.from_hf expects a transformers LlamaForCausalLM, got "
                f"{type(model).__name__}; load one with gentle_llm.pretrained.load_smollm2()."
            )
        config = LlamaConfig.from_hf(model.config)
        theirs = model.state_dict()
        ours = cls(config)
        names = _hf_names(config)
        missing = sorted(set(names.values()) - set(theirs))
        if missing:
            raise ValueError(f"The model lacks weights a Llama needs: {missing[:5]}.")
        unused = sorted(set(theirs) - set(names.values()) - {"lm_head.weight"})
        if unused:
            raise ValueError(f"The model has weights gentle_llm.llama would ignore: {unused[:5]}.")
        head = theirs.get("lm_head.weight")
        if config.tie_embeddings and head is not None:
            if not torch.equal(head, theirs["model.embed_tokens.weight"]):
                raise ValueError(
                    "The config says the LM head is tied to the embedding, but the two differ: "
                    "this model did not load correctly (transformers 4.47 or newer ties them)."
                )
        first = next(iter(theirs.values()))
        ours = ours.to(device=model_device(model), dtype=first.dtype)
        ours.load_state_dict({mine: theirs[hf] for mine, hf in names.items()})
        return ours.eval()


def llama_from_hf(model: Any) -> Llama:
    """Same as :meth:`Llama.from_hf`."""
    return Llama.from_hf(model)


def _hf_names(config: LlamaConfig) -> dict[str, str]:
    """Our parameter names -> ``LlamaForCausalLM``'s. Only the names differ, not the layouts."""
    names = {"tok_emb.weight": "model.embed_tokens.weight", "norm.weight": "model.norm.weight"}
    # A tied head is the embedding itself; transformers may list it under both names.
    tied = config.tie_embeddings
    names["lm_head.weight"] = "model.embed_tokens.weight" if tied else "lm_head.weight"
    parts = {
        "attn_norm": "input_layernorm",
        "mlp_norm": "post_attention_layernorm",
        **{f"attn.{p}_proj": f"self_attn.{p}_proj" for p in "qkvo"},
        **{f"mlp.{p}_proj": f"mlp.{p}_proj" for p in ("gate", "up", "down")},
    }
    for i in range(config.n_layer):
        for mine, hf in parts.items():
            names[f"blocks.{i}.{mine}.weight"] = f"model.layers.{i}.{hf}.weight"
    return names
