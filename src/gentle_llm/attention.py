"""Attention: how each token decides which earlier tokens matter to it.

Chapter 4 explains the ideas (with figures, not this code), and Lab 4 writes causal and
multi-head attention by hand, then checks them against this file. It holds three things:

1. The teaching version of scaled dot-product attention, written out step by step
   (:func:`scaled_dot_product_attention`, :func:`causal_mask`), and a small
   :class:`MultiHeadAttention` module that splits the width into heads, lets each head attend
   on its own, and merges the results; it also does grouped-query attention, where several
   query heads share one key/value head as they do in SmolLM2 and Llama.
2. Reading the real attention weights of a pretrained ``transformers`` model
   (:func:`attention_maps`).
3. Scoring heads for two behaviours people have named: previous-token heads
   (:func:`previous_token_scores`) and induction heads (:func:`induction_scores`).

Every function returns attention weights as a tensor shaped ``[layers, heads, T, T]`` (or
``[..., T, S]`` for the by-hand version): row ``i`` holds how much query position ``i`` looks at
each key position, and each row sums to 1.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any

import torch
from torch import Tensor, nn

from gentle_llm import checks
from gentle_llm.common import model_device

__all__ = [
    "causal_mask",
    "cached_causal_mask",
    "scaled_dot_product_attention",
    "MultiHeadAttention",
    "eager_attention",
    "attention_maps",
    "attention_maps_for_ids",
    "previous_token_scores",
    "repeated_random_tokens",
    "induction_scores_from_maps",
    "induction_scores",
    "top_heads",
]


# --------------------------------------------------------------------------------------------
# 1. Attention by hand
# --------------------------------------------------------------------------------------------


def causal_mask(T: int, device: torch.device | str | None = None) -> Tensor:
    """A ``[T, T]`` boolean mask: ``True`` where query ``i`` may look at key ``j`` (``j <= i``).

    Chapter 4 explains why: a language model predicts the next token, so while reading token
    ``i`` it must not peek at tokens that come after it.
    """
    checks.whole_number(T, "T (the number of tokens)")
    return torch.ones(T, T, dtype=torch.bool, device=device).tril()


def cached_causal_mask(
    past: int, seq: int, device: torch.device | str | None = None
) -> tuple[Tensor | None, bool]:
    """The causal mask for ``seq`` new queries after ``past`` cached keys (Chapter 7).

    Returns ``(attn_mask, is_causal)`` for torch's fused ``F.scaled_dot_product_attention``,
    as the GPT and the Llama of Chapter 5 call it. Without a cache (``past == 0``) the plain
    causal mask is ``is_causal=True``, built inside the kernel; after ``past`` cached keys, query
    ``i`` may see keys ``0 .. past + i``: a ``[seq, past + seq]`` boolean mask. One new query
    (generation) may see every key, so it needs no mask at all. Internal: no checks.
    """
    if past > 0 and seq > 1:
        return torch.ones(seq, past + seq, dtype=torch.bool, device=device).tril(past), False
    return None, past == 0 and seq > 1


def scaled_dot_product_attention(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    causal: bool = False,
    *,
    mask: Tensor | None = None,
    scale: float | None = None,
) -> tuple[Tensor, Tensor]:
    """Attention written out plainly: ``softmax(q k^T / sqrt(d) + mask) v``.

    Each numbered step is a step of Chapter 4's explanation. ``q`` is ``[..., T, d]``, ``k`` is
    ``[..., S, d]`` and ``v`` is ``[..., S, d_v]``. Returns ``(output [..., T, d_v], weights
    [..., T, S])``.

    ``causal=True`` stops query ``i`` from seeing keys after position ``i``; ``mask`` (boolean,
    ``True`` = may look) adds any other restriction; ``scale`` replaces ``1/sqrt(d)`` (pass
    ``scale=1.0`` to see what happens without the scaling).
    """
    checks.attention_inputs(q, k, v, causal, mask)
    d = q.shape[-1]
    if scale is None:
        scale = 1.0 / math.sqrt(d)

    # 1. Compare every query with every key: one dot product per (query, key) pair.
    scores = (q @ k.transpose(-2, -1)) * scale

    # 2. Forbid some pairs by giving them a score of minus infinity: softmax turns it into 0.
    if causal:
        scores = scores.masked_fill(~causal_mask(q.shape[-2], device=q.device), float("-inf"))
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))

    # 3. Turn each row of scores into weights that are positive and sum to 1.
    weights = torch.softmax(scores, dim=-1)

    # 4. Each output is the weighted average of the values.
    return weights @ v, weights


class MultiHeadAttention(nn.Module):
    """Several attention heads side by side, each looking for something different.

    Chapter 4 explains the idea: project the input into queries, keys and values, split their
    width into ``n_heads`` slices, let each slice attend on its own, glue the head outputs back
    together and mix them with one last projection.

    With ``n_kv_heads < n_heads`` it becomes grouped-query attention (GQA): there are fewer key
    and value heads than query heads, and each group of ``n_heads // n_kv_heads`` query heads
    shares one key/value head. SmolLM2 uses 9 query heads and 3 key/value heads.
    """

    def __init__(
        self, d_model: int, n_heads: int, n_kv_heads: int | None = None, bias: bool = False
    ) -> None:
        super().__init__()
        n_kv_heads = n_heads if n_kv_heads is None else n_kv_heads
        for name, value in (("d_model", d_model), ("n_heads", n_heads), ("n_kv_heads", n_kv_heads)):
            checks.whole_number(value, name)
        checks.divisible(d_model, "d_model", n_heads, "n_heads", "heads split the width evenly.")
        why = "each key/value head serves an equal group; make n_heads a multiple of n_kv_heads."
        checks.divisible(n_heads, "n_heads", n_kv_heads, "n_kv_heads", why)
        self.d_model = d_model
        self.n_heads = n_heads
        self.n_kv_heads = n_kv_heads
        self.head_dim = d_model // n_heads
        self.q_proj = nn.Linear(d_model, n_heads * self.head_dim, bias=bias)
        self.k_proj = nn.Linear(d_model, n_kv_heads * self.head_dim, bias=bias)
        self.v_proj = nn.Linear(d_model, n_kv_heads * self.head_dim, bias=bias)
        self.o_proj = nn.Linear(n_heads * self.head_dim, d_model, bias=bias)

    def _split(self, x: Tensor, heads: int) -> Tensor:
        """[B, T, heads * head_dim] -> [B, heads, T, head_dim]."""
        batch, seq, _ = x.shape
        return x.view(batch, seq, heads, self.head_dim).transpose(1, 2)

    def forward(self, x: Tensor, causal: bool = True) -> tuple[Tensor, Tensor]:
        """``x`` is ``[batch, T, d_model]``; returns ``(output, weights [B, heads, T, T])``."""
        shape = f"[batch, tokens, {self.d_model}]"
        checks.tensor(x, "x", dims=3, shape=shape, width=self.d_model, hint="Try x.unsqueeze(0).")
        q = self._split(self.q_proj(x), self.n_heads)
        k = self._split(self.k_proj(x), self.n_kv_heads)
        v = self._split(self.v_proj(x), self.n_kv_heads)
        if self.n_kv_heads != self.n_heads:
            # Grouped-query attention: hand each key/value head to its group of query heads.
            group = self.n_heads // self.n_kv_heads
            k = k.repeat_interleave(group, dim=1)
            v = v.repeat_interleave(group, dim=1)
        out, weights = scaled_dot_product_attention(q, k, v, causal=causal)
        batch, _, seq, _ = out.shape
        merged = out.transpose(1, 2).reshape(batch, seq, self.n_heads * self.head_dim)
        return self.o_proj(merged), weights


# --------------------------------------------------------------------------------------------
# 2. Real attention maps from a pretrained model
# --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def eager_attention(model: Any) -> Iterator[Any]:
    """Switch a ``transformers`` model to its plain ("eager") attention, then switch back.

    The fast fused kernels never build the full weight matrix, so they cannot return it; the
    eager implementation computes ``softmax(q k^T / sqrt(d))`` explicitly and hands it back
    when asked with ``output_attentions=True``.
    """
    config = getattr(model, "config", None)
    if config is None:
        raise TypeError(f"eager_attention needs a transformers model, got {type(model)}.")
    previous = getattr(config, "_attn_implementation", None)
    setter = getattr(model, "set_attn_implementation", None)

    def _set(name: str | None) -> None:
        if name is None:
            return
        if callable(setter):
            setter(name)
        else:  # older transformers: the model reads the config on every forward pass
            config._attn_implementation = name

    _set("eager")
    try:
        yield model
    finally:
        if previous != "eager":
            _set(previous)


@torch.no_grad()
def attention_maps_for_ids(model: Any, input_ids: Tensor) -> Tensor:
    """Attention weights of every layer and head for token ids ``[T]`` or ``[batch, T]``.

    Returns a float32 CPU tensor ``[layers, heads, T, T]`` (or ``[batch, layers, heads, T, T]``
    for a batch). Chapter 4 explains how to read it.
    """
    checks.tensor(input_ids, "input_ids", dims=(1, 2), shape="[T] or [batch, T]")
    checks.not_empty(input_ids, "input_ids", "give the model at least one token.")
    single = input_ids.dim() == 1
    ids = input_ids.unsqueeze(0) if single else input_ids
    limit = getattr(getattr(model, "config", None), "max_position_embeddings", None)
    if limit is not None and ids.shape[-1] > limit:
        raise ValueError(
            f"{ids.shape[-1]} tokens is longer than the model's context of {limit}; use less text."
        )
    with eager_attention(model):
        out = model(input_ids=ids.to(model_device(model)), output_attentions=True)
    attentions = getattr(out, "attentions", None)
    if not attentions or attentions[0] is None:
        raise RuntimeError(
            "the model returned no attention weights: use a transformers model such as SmolLM2."
        )
    maps = torch.stack([a.float().cpu() for a in attentions], dim=1)  # [B, L, H, T, T]
    return maps[0] if single else maps


def attention_maps(model: Any, tokenizer: Any, text: str) -> tuple[list[str], Tensor]:
    """Run ``text`` through ``model`` and return ``(tokens, weights [layers, heads, T, T])``.

    ``tokens`` are the decoded pieces (with their leading spaces), ready to label a heat map.
    Chapter 4 uses this on SmolLM2 to look at real attention.
    """
    checks.text(text, "text", example="The cat sat down.")
    ids = tokenizer(text, return_tensors="pt")["input_ids"][0]
    tokens = [tokenizer.decode([int(i)]) for i in ids]
    return tokens, attention_maps_for_ids(model, ids)


# --------------------------------------------------------------------------------------------
# 3. Scoring heads: previous-token heads and induction heads
# --------------------------------------------------------------------------------------------


def _token_count(maps: Tensor, min_dims: int, min_tokens: int) -> int:
    """The number of tokens ``T`` of attention maps ``[..., T, T]`` that can be scored."""
    checks.tensor(maps, "maps", shape="[layers, heads, T, T]")
    if maps.dim() < min_dims or maps.shape[-1] != maps.shape[-2]:
        raise ValueError(
            f"maps must be [layers, heads, T, T] (two equal token axes), got {tuple(maps.shape)}."
        )
    T = maps.shape[-1]
    if T < min_tokens:
        raise ValueError(f"maps cover {T} tokens; scoring needs at least {min_tokens}.")
    return T


def previous_token_scores(maps: Tensor) -> Tensor:
    """How strongly each head looks at the token just before: mean of ``maps[..., i, i-1]``.

    ``maps`` is ``[layers, heads, T, T]`` (any leading axes work); returns ``[layers, heads]``
    with 1.0 for a head that always attends to the previous token. Chapter 4 explains why
    models grow such heads.
    """
    _token_count(maps, min_dims=2, min_tokens=2)
    return maps.diagonal(offset=-1, dim1=-2, dim2=-1).mean(dim=-1)


def repeated_random_tokens(
    seq_len: int,
    n_repeats: int = 2,
    seed: int = 0,
    *,
    vocab_size: int,
    batch: int = 1,
    low: int = 0,
) -> Tensor:
    """``batch`` rows of ``seq_len`` random token ids, each row repeated ``n_repeats`` times.

    Random tokens carry no meaning, so the only way to predict the second copy is to notice
    that it repeats the first: exactly what induction heads do (Chapter 4).
    Returns ``[batch, seq_len * n_repeats]``. Ids are drawn from ``[low, vocab_size)``.
    """
    checks.whole_number(seq_len, "seq_len", minimum=2)
    checks.whole_number(n_repeats, "n_repeats", minimum=2)
    checks.whole_number(batch, "batch")
    checks.whole_number(low, "low", minimum=0)
    checks.whole_number(
        vocab_size, "vocab_size", minimum=low + 1, hint="Ids are drawn from [low, vocab_size)."
    )
    generator = torch.Generator().manual_seed(seed)
    first = torch.randint(low, vocab_size, (batch, seq_len), generator=generator)
    return first.repeat(1, n_repeats)


def induction_scores_from_maps(maps: Tensor, seq_len: int, offset: int = 0) -> Tensor:
    """Induction score of each head from attention maps of a repeated sequence.

    The sequence holds ``offset`` prefix tokens (e.g. a start token), then a block of
    ``seq_len`` tokens repeated. An induction head, at position ``i`` of a later copy, looks
    back at the token that *followed* the same token last time: position ``i - seq_len + 1``.
    The score is the mean attention on that spot over every position of every later copy;
    ``maps`` is ``[..., layers, heads, T, T]`` and leading batch axes are averaged too.
    """
    checks.whole_number(seq_len, "seq_len", minimum=2)
    checks.whole_number(offset, "offset", minimum=0)
    T = _token_count(maps, min_dims=4, min_tokens=offset + 2 * seq_len)
    queries = torch.arange(offset + seq_len, T)
    targets = queries - seq_len + 1
    picked = maps[..., queries, targets]  # [..., layers, heads, n_queries]
    scores = picked.mean(dim=-1)
    while scores.dim() > 2:
        scores = scores.mean(dim=0)
    return scores


def induction_scores(
    model: Any,
    seq_len: int = 50,
    n_repeats: int = 2,
    seed: int = 0,
    *,
    batch: int = 4,
    prefix_token_id: int | None = None,
    return_maps: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Score every head of ``model`` for induction on repeated random token sequences.

    Builds ``batch`` random sequences of ``seq_len`` tokens, repeats each ``n_repeats`` times,
    puts a start token in front (``prefix_token_id``, default the model's BOS token; many
    heads park unused attention on the first token, and a fixed start keeps that out of the
    random part) and returns the mean attention to position ``i - seq_len + 1`` as a
    ``[layers, heads]`` tensor. ``return_maps=True`` also returns the maps
    ``[batch, layers, heads, T, T]``, e.g. to score previous-token heads on the same run.
    Chapter 4 explains what these heads do.
    """
    config = getattr(model, "config", None)
    vocab_size = getattr(config, "vocab_size", None)
    checks.whole_number(vocab_size, "model.config.vocab_size", hint="Pass a transformers model.")
    if prefix_token_id is None:
        prefix_token_id = getattr(config, "bos_token_id", None)
    # Stay clear of the low ids, where tokenizers keep their special tokens.
    low = min(1000, vocab_size // 10)
    ids = repeated_random_tokens(
        seq_len, n_repeats, seed, vocab_size=vocab_size, batch=batch, low=low
    )
    offset = 0
    if prefix_token_id is not None:
        start = torch.full((batch, 1), int(prefix_token_id), dtype=ids.dtype)
        ids = torch.cat([start, ids], dim=1)
        offset = 1
    maps = attention_maps_for_ids(model, ids)
    scores = induction_scores_from_maps(maps, seq_len, offset=offset)
    return (scores, maps) if return_maps else scores


def top_heads(scores: Tensor, k: int = 3) -> list[tuple[int, int, float]]:
    """The ``k`` highest-scoring heads of a ``[layers, heads]`` score map as
    ``(layer, head, score)``, best first."""
    checks.tensor(scores, "scores", dims=2, shape="[layers, heads]")
    k = min(checks.whole_number(k, "k"), scores.numel())
    values, flat = scores.flatten().topk(k)
    n_heads = scores.shape[1]
    return [
        (int(i) // n_heads, int(i) % n_heads, round(float(v), 4))
        for v, i in zip(values, flat, strict=True)
    ]
