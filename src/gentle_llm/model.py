"""A tiny GPT: a decoder-only transformer small enough to train on a laptop.

Chapter 5 explains the ideas behind every piece of this file (with diagrams, not this code):
token and position embeddings, pre-norm decoder blocks (causal self-attention, then a
feed-forward MLP, each wrapped in a residual connection), a final layer norm and a
language-model head that shares its weights with the token embedding; Lab 5 builds a block and
counts the parameters against :class:`GPT`. Chapter 6's page "Your tiny GPT, running in this
page" shows the real ``GPT.forward``, ``Block``, ``CausalSelfAttention.forward`` and ``MLP``
beside their JavaScript twins. Chapter 7 explains the key/value cache that makes generation
fast.

The attention inside each block is Chapter 4's (:mod:`gentle_llm.attention` writes it out step
by step); here torch's fused ``scaled_dot_product_attention`` computes the same numbers faster.
The layout follows GPT-2 closely enough that the weights of a ``transformers`` GPT-2 model load
into :class:`GPT` and give the same logits (see :mod:`gentle_llm.gpt2_weights`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gentle_llm import checks
from gentle_llm.attention import cached_causal_mask

__all__ = ["GPTConfig", "GPT", "KVCache"]


@dataclass
class GPTConfig:
    """The shape of a :class:`GPT`. Chapter 5 explains what each number controls."""

    vocab_size: int = 65
    block_size: int = 64  # context length: the most tokens the model can look at
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0
    bias: bool = True
    # GPT-2 uses the tanh approximation of GELU ("gelu_new" in transformers); "none" is exact GELU.
    gelu_approximate: str = "tanh"

    def __post_init__(self) -> None:
        for name in ("vocab_size", "block_size", "n_layer", "n_head", "n_embd"):
            checks.whole_number(getattr(self, name), f"GPTConfig.{name}")
        why = "every attention head gets the same width; change one of them."
        checks.divisible(self.n_embd, "GPTConfig.n_embd", self.n_head, "n_head", why)
        checks.number(self.dropout, "GPTConfig.dropout", low=0, high=1, high_open=True)
        checks.one_of(self.gelu_approximate, "GPTConfig.gelu_approximate", ("tanh", "none"))


class KVCache:
    """Keys and values of every layer for the tokens the model has already seen.

    Chapter 7 explains why: when generating, each new token only needs its own query, key and
    value; the keys and values of earlier tokens never change, so we keep them instead of
    recomputing the whole sequence at every step. Create one per generation, pass it to
    ``model(idx, kv_cache=cache)``, and feed only the new tokens on later calls.

    Like a Python list, each layer's storage doubles when it fills up, so appending one token
    writes one slot instead of copying everything stored so far.
    """

    def __init__(self, n_layer: int) -> None:
        self._keys: list[Tensor | None] = [None] * n_layer
        self._values: list[Tensor | None] = [None] * n_layer
        self.length = 0  # how many positions are stored (same for every layer)

    def __len__(self) -> int:
        return self.length

    @property
    def n_layer(self) -> int:
        return len(self._keys)

    def update(self, layer: int, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        """Store this layer's new keys/values ([B, heads, T, head_dim]); return all so far.

        The model calls this once per layer, then advances ``length`` by T.
        """
        start, end = self.length, self.length + k.shape[2]
        keys, values = self._keys[layer], self._values[layer]
        if keys is None or values is None or end > keys.shape[2]:
            capacity = max(end, 2 * (keys.shape[2] if keys is not None else 0), 16)
            grown_k = k.new_empty(*k.shape[:2], capacity, k.shape[3])
            grown_v = v.new_empty(*v.shape[:2], capacity, v.shape[3])
            if keys is not None and values is not None:
                grown_k[:, :, :start] = keys[:, :, :start]
                grown_v[:, :, :start] = values[:, :, :start]
            keys, values = self._keys[layer], self._values[layer] = grown_k, grown_v
        keys[:, :, start:end] = k
        values[:, :, start:end] = v
        return keys[:, :, :end], values[:, :, :end]

    def reset(self) -> None:
        """Forget everything, e.g. before a new prompt."""
        self._keys = [None] * self.n_layer
        self._values = [None] * self.n_layer
        self.length = 0


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention where each position sees only itself and earlier positions."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.n_head = config.n_head
        self.dropout = config.dropout
        # One matrix computes queries, keys and values together: one big matmul beats three.
        self.qkv = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.resid_dropout = nn.Dropout(config.dropout)

    def forward(self, x: Tensor, cache: KVCache | None = None, layer: int = 0) -> Tensor:
        batch, seq, width = x.shape
        q, k, v = self.qkv(x).split(width, dim=2)
        # [B, T, C] -> [B, heads, T, head_dim]: each head attends independently.
        q, k, v = (t.view(batch, seq, self.n_head, -1).transpose(1, 2) for t in (q, k, v))

        past = 0
        if cache is not None:
            past = cache.length
            k, v = cache.update(layer, k, v)

        # The causal mask of Chapter 4, shifted by the `past` cached keys: query i sees keys
        # 0 .. past + i.
        mask, is_causal = cached_causal_mask(past, seq, x.device)
        y = F.scaled_dot_product_attention(
            q,
            k,
            v,
            attn_mask=mask,
            dropout_p=self.dropout if self.training else 0.0,
            is_causal=is_causal,
        )
        y = y.transpose(1, 2).reshape(batch, seq, width)
        return self.resid_dropout(self.proj(y))


class MLP(nn.Module):
    """The feed-forward part of a block: widen 4x, GELU, project back."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.gelu = nn.GELU(approximate=config.gelu_approximate)
        self.proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(self.proj(self.gelu(self.fc(x))))


class Block(nn.Module):
    """One pre-norm decoder block: x + attention(norm(x)), then x + mlp(norm(x))."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x: Tensor, cache: KVCache | None = None, layer: int = 0) -> Tensor:
        x = x + self.attn(self.ln_1(x), cache, layer)
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """The tiny GPT of Chapter 5: token ids in, next-token logits (and optionally a loss) out."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.config = config
        self.tok_emb = nn.Embedding(config.vocab_size, config.n_embd)
        self.pos_emb = nn.Embedding(config.block_size, config.n_embd)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        # Weight tying: reading a token in and writing it out use the same vectors.
        self.lm_head.weight = self.tok_emb.weight
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """GPT-2 initialisation: small normal weights, zero biases, damped residual outputs."""
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)
            if isinstance(module, nn.LayerNorm):
                nn.init.ones_(module.weight)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
        # Each block adds two outputs to the residual stream; scaling them keeps its variance
        # from growing with depth.
        residual_std = 0.02 / math.sqrt(2 * self.config.n_layer)
        for block in self.blocks:
            nn.init.normal_(block.attn.proj.weight, mean=0.0, std=residual_std)
            nn.init.normal_(block.mlp.proj.weight, mean=0.0, std=residual_std)

    def forward(
        self,
        idx: Tensor,
        targets: Tensor | None = None,
        *,
        kv_cache: KVCache | None = None,
    ) -> tuple[Tensor, Tensor | None]:
        """Return ``(logits [B, T, vocab], loss)``; loss is the mean cross-entropy or None.

        With ``kv_cache``, ``idx`` holds only the tokens the cache has not seen yet; their
        positions continue after the cached ones. Targets equal to -100 are ignored in the loss.
        """
        checks.model_input(idx, kv_cache, self.config.block_size, len(self.blocks))
        past = kv_cache.length if kv_cache is not None else 0  # positions already cached
        seq = idx.shape[1]
        positions = torch.arange(past, past + seq, device=idx.device)
        x = self.drop(self.tok_emb(idx) + self.pos_emb(positions))
        for layer, block in enumerate(self.blocks):
            x = block(x, kv_cache, layer)
        if kv_cache is not None:
            kv_cache.length += seq
        logits = self.lm_head(self.ln_f(x))

        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten())
        return logits, loss

    # -- counting -------------------------------------------------------------------------

    def parameter_counts(self) -> dict[str, int]:
        """Parameters by component (Chapter 5 tallies them); the tied LM head adds 0."""
        counts = {
            "token_embedding": self.tok_emb.weight.numel(),
            "position_embedding": self.pos_emb.weight.numel(),
            "attention": 0,
            "mlp": 0,
            "layer_norms": 0,
            "lm_head": 0,
        }
        for block in self.blocks:
            counts["attention"] += _count(block.attn)
            counts["mlp"] += _count(block.mlp)
            counts["layer_norms"] += _count(block.ln_1) + _count(block.ln_2)
        counts["layer_norms"] += _count(self.ln_f)
        if self.lm_head.weight is not self.tok_emb.weight:
            counts["lm_head"] = self.lm_head.weight.numel()
        counts["total"] = sum(counts.values())
        return counts

    def num_parameters(self) -> int:
        """Number of distinct trainable numbers (tied weights counted once)."""
        return sum(p.numel() for p in self.parameters())


def _count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
