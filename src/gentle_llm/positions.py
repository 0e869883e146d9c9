"""Telling a transformer where each token sits: sinusoidal encodings and rotary embeddings (RoPE).

Chapter 3 explains why this is needed at all: attention compares every token with every other
token and sums the results, and a sum does not care about order, so without help "dog bites man"
and "man bites dog" look the same to it. Two answers live here:

* :func:`sinusoidal_encoding` — the original transformer's fixed table of sines and cosines,
  one row per position, *added* to the token embeddings before the first layer.
* :func:`rope_rotate` — rotary position embeddings, used by Llama, SmolLM2 and most open models
  today. Instead of adding anything, each query and key vector is cut into pairs of numbers and
  each pair is *rotated* by an angle proportional to the token's position. The dot product of a
  rotated query and a rotated key then depends only on how far apart the two tokens are.

(The third answer, learned position embeddings as in GPT-2, is just a second ``nn.Embedding``
indexed by position; see :mod:`gentle_llm.model`.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
from torch import Tensor

from gentle_llm import checks

__all__ = ["sinusoidal_encoding", "rope_frequencies", "rope_angles", "rope_rotate", "Pairing"]

Pairing = Literal["half", "interleaved"]


def sinusoidal_encoding(num_positions: int, dim: int, base: float = 10000.0) -> Tensor:
    """The fixed position table of the original transformer, shape ``[num_positions, dim]``.

    Row ``p`` describes position ``p``. Columns come in pairs: column ``2i`` holds
    ``sin(p * w_i)`` and column ``2i + 1`` holds ``cos(p * w_i)``, with the frequency
    ``w_i = base ** (-2i / dim)`` falling from 1 (a fast wave) to almost 0 (a very slow one), so
    every position gets its own pattern, like the hands of a clock. Chapter 3 plots it.
    """
    checks.whole_number(num_positions, "num_positions")
    frequencies = rope_frequencies(dim, base)  # the same ladder of frequencies RoPE uses
    angles = torch.arange(num_positions, dtype=torch.float32)[:, None] * frequencies[None, :]
    table = torch.empty(num_positions, dim)
    table[:, 0::2] = torch.sin(angles)
    table[:, 1::2] = torch.cos(angles)
    return table


def rope_frequencies(dim: int, base: float = 10000.0) -> Tensor:
    """The rotation speed of each pair of dimensions: ``base ** (-2i / dim)`` for ``i < dim/2``.

    The first pair turns by 1 radian per position, the last one very slowly; Chapter 3 explains
    why a model wants both. Llama-style models call these ``inv_freq``; SmolLM2 uses
    ``base = 100000`` on heads of 64 dimensions.
    """
    checks.whole_number(dim, "dim", 2, hint="(numbers go in pairs).")
    checks.divisible(dim, "dim", 2, "2", "numbers go in pairs, so dim must be even.")
    base = checks.number(base, "base", low=1, low_open=True, hint="The original papers use 10000.")
    exponents = torch.arange(0, dim, 2, dtype=torch.float32) / dim
    return 1.0 / (base**exponents)


def _as_positions(positions: Tensor | Sequence[int] | int) -> Tensor:
    tensor = torch.as_tensor(positions)
    if tensor.is_floating_point() or tensor.is_complex() or tensor.dtype == torch.bool:
        raise TypeError(
            f"positions must be whole numbers, got {tensor.dtype}; pass e.g. torch.arange(seq_len)."
        )
    if tensor.numel() and int(tensor.min()) < 0:
        raise ValueError("positions must be 0 or more: the first token is at position 0.")
    return tensor


def rope_angles(positions: Tensor | Sequence[int] | int, dim: int, base: float = 10000.0) -> Tensor:
    """The angle (radians) each pair is turned by at each position: shape ``[*positions, dim/2]``.

    It is simply ``position × frequency``: nothing is learned.
    """
    pos = _as_positions(positions)
    frequencies = rope_frequencies(dim, base).to(pos.device)
    return pos.to(torch.float32)[..., None] * frequencies


def rope_rotate(
    x: Tensor,
    positions: Tensor | Sequence[int] | int,
    base: float = 10000.0,
    *,
    pairing: Pairing = "half",
) -> Tensor:
    """Rotate the vectors in ``x`` (shape ``[..., seq_len, dim]``) by their positions (RoPE).

    ``positions`` gives the position of each of the ``seq_len`` vectors (usually
    ``torch.arange(seq_len)``); it may also have any shape that broadcasts against
    ``x.shape[:-1]``. Pair ``i`` of a vector at position ``p`` is turned by the angle
    ``p * base ** (-2i / dim)``. Lengths never change, and for a query ``q`` and key ``k`` the
    score ``rope_rotate(q, m) · rope_rotate(k, n)`` depends only on ``m - n`` (Chapter 3
    checks both numerically).

    ``pairing`` says which numbers form a pair. ``"half"`` (the default) pairs dimension ``i``
    with dimension ``i + dim/2``: the convention of Hugging Face ``transformers`` Llama models,
    so weights from the hub work unchanged. ``"interleaved"`` pairs neighbours ``(0, 1), (2, 3),
    ...`` as in the RoPE paper. Both are the same rotation with the dimensions listed in a
    different order.
    """
    checks.tensor(x, "x", shape="[..., seq_len, dim]", floating=True)
    checks.one_of(pairing, "pairing", ("half", "interleaved"))
    dim = x.shape[-1] if x.dim() else 0  # a 0-D x has no vectors: rope_frequencies refuses dim 0
    angles = rope_angles(positions, dim, base)  # [*positions.shape, dim/2]
    try:
        fits = torch.broadcast_shapes(angles.shape[:-1], x.shape[:-1]) == x.shape[:-1]
    except RuntimeError:
        fits = False
    if not fits:
        raise ValueError(
            f"positions of shape {tuple(angles.shape[:-1])} do not fit x of shape "
            f"{tuple(x.shape)}: give one position per vector, e.g. torch.arange(x.shape[-2])."
        )

    # Angles in float32 (float64 for float64 inputs) so low-precision inputs keep accurate angles.
    work = torch.float64 if x.dtype == torch.float64 else torch.float32
    angles = angles.to(device=x.device, dtype=work)
    cos, sin = torch.cos(angles), torch.sin(angles)
    xw = x.to(work)
    if pairing == "half":
        first, second = xw[..., : dim // 2], xw[..., dim // 2 :]
    else:
        first, second = xw[..., 0::2], xw[..., 1::2]
    # The 2-D rotation (a, b) -> (a cos t - b sin t, a sin t + b cos t), on every pair at once.
    new_first = first * cos - second * sin
    new_second = first * sin + second * cos
    if pairing == "half":
        out = torch.cat((new_first, new_second), dim=-1)
    else:
        out = torch.stack((new_first, new_second), dim=-1).flatten(-2)
    return out.to(x.dtype)
