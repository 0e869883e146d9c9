"""Smaller weights: int8 and int4 quantisation of a model's linear layers (Chapter 9).

Chapter 9 explains the idea. A float32 weight takes 4 bytes; most of that precision is not
needed to run a model. Quantisation stores each weight as a small integer ``q`` and keeps one
float *scale* ``s`` per group of weights, so that ``w ≈ q · s``. Here it is **symmetric**
(no zero point): ``s = max |w| / q_max`` over the group and ``q = round(w / s)``, with
``q_max = 127`` for 8 bits and ``q_max = 7`` for 4 bits (integers −7 … 7; the 16th code, −8,
is left unused so that both signs reach the same size).

* 8 bits, ``group_size=None``: one scale per output row ("per channel").
* 4 bits, ``group_size=32``: one scale per 32 consecutive weights of a row ("group-wise"),
  because 15 levels are too coarse for a whole row whose largest weight dwarfs the rest.

Scales are stored as float16, as formats such as llama.cpp's Q8_0 and Q4_0 do, so each
weight is off by at most half its (stored) scale. :func:`quantize_model` is *simulated*
quantisation: every ``nn.Linear`` weight is replaced by its de-quantised value ``q · s``, so
the model runs as before in float and we can measure what the rounding costs, while the
report counts the bytes the integer form would really take.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from gentle_llm import checks

__all__ = ["QuantizedTensor", "QuantizationReport", "dequantize", "quantize", "quantize_model"]

SCALE_DTYPE = torch.float16
# float16's smallest normal number: a smaller scale would lose precision (subnormal) or round
# to zero; a group whose weights are all that tiny gets this scale and stays within s / 2.
_MIN_SCALE = 2.0**-14


@dataclass
class QuantizedTensor:
    """Integers ``q`` (held in int8, whatever ``bits``) and one float16 scale per group."""

    q: Tensor  # [rows, columns], values -q_max .. q_max
    scale: Tensor  # [rows, groups], float16
    bits: int
    group_size: int

    @property
    def nbytes(self) -> int:
        """Bytes of the packed form: ``bits`` per weight (two 4-bit codes share a byte) plus
        2 bytes per scale."""
        return math.ceil(self.q.numel() * self.bits / 8) + self.scale.numel() * 2


# One NaN would make its whole group's scale NaN; say where such weights come from.
_BROKEN_WEIGHTS = (
    "Quantising would spread them over their whole group. These weights are broken, e.g. by a "
    "training run that diverged: load an earlier checkpoint."
)


def quantize(weight: Tensor, bits: int = 8, group_size: int | None = None) -> QuantizedTensor:
    """Symmetric quantisation of a 2-D weight, one scale per ``group_size`` weights of a row.

    ``group_size=None`` uses whole rows (per output channel); otherwise it must divide the
    number of columns.
    """
    shape, hint = "[out_features, in_features]", _BROKEN_WEIGHTS
    checks.tensor(weight, "weight", dims=2, shape=shape, floating=True, finite=True, hint=hint)
    checks.one_of(bits, "bits", (4, 8))
    rows, columns = weight.shape
    if group_size is None:
        group_size = columns
    checks.whole_number(group_size, "group_size", hint="(or None for one scale per row).")
    why = f"its groups must divide the {columns} columns evenly; 32, 64 or 128 usually do."
    checks.divisible(columns, "The weight's columns", group_size, "group_size", why)
    q_max = 2 ** (bits - 1) - 1
    groups = weight.detach().float().reshape(rows, columns // group_size, group_size)
    scale = (groups.abs().amax(dim=-1) / q_max).clamp(min=_MIN_SCALE).to(SCALE_DTYPE)
    # Divide by the stored (rounded) scale, so the bound |w - q s| <= s / 2 holds for it.
    q = torch.round(groups / scale.float().unsqueeze(-1)).clamp(-q_max, q_max)
    return QuantizedTensor(q.to(torch.int8).reshape(rows, columns), scale, bits, group_size)


def dequantize(quantized: QuantizedTensor, dtype: torch.dtype = torch.float32) -> Tensor:
    """Back to floats: ``q · s`` for every weight."""
    rows, columns = quantized.q.shape
    groups = quantized.q.float().reshape(rows, -1, quantized.group_size)
    values = groups * quantized.scale.float().unsqueeze(-1)
    return values.reshape(rows, columns).to(dtype)


@dataclass
class QuantizationReport:
    """What :func:`quantize_model` did: layers, weights and bytes before and after."""

    bits: int
    group_size: int | None
    layers: int
    weights: int  # numbers in the quantised weight matrices
    original_bytes: int  # those matrices in their float dtype
    quantized_bytes: int  # the same in packed integers plus float16 scales
    other_bytes: int  # every other parameter (embeddings, norms, biases), left as it was
    max_error: float  # largest |w - q s| over all weights

    @property
    def compression(self) -> float:
        """How many times smaller the quantised matrices are."""
        return self.original_bytes / self.quantized_bytes

    @property
    def bits_per_weight(self) -> float:
        """Storage per quantised weight, scales included (8.5 for int8 with 32-wide groups)."""
        return 8 * self.quantized_bytes / self.weights

    def __str__(self) -> str:
        grouping = "per row" if self.group_size is None else f"groups of {self.group_size}"
        return (
            f"int{self.bits} ({grouping}): {self.layers} linear layers, {self.weights:,} "
            f"weights, {self.original_bytes / 2**20:.1f} MiB -> "
            f"{self.quantized_bytes / 2**20:.1f} MiB ({self.compression:.1f}x smaller, "
            f"{self.bits_per_weight:.2f} bits per weight); other parameters "
            f"{self.other_bytes / 2**20:.1f} MiB; max |error| {self.max_error:.2e}"
        )


@torch.no_grad()
def quantize_model(
    model: nn.Module, bits: int = 8, group_size: int | None = None
) -> QuantizationReport:
    """Replace every ``nn.Linear`` weight by its quantised-then-de-quantised value, in place.

    A weight shared by several layers (a head tied to the embedding) is quantised once, so the
    embedding is rounded too, as it would be in a quantised file that ties them. Biases and all
    other parameters stay as they are. Returns the :class:`QuantizationReport`.
    """
    checks.instance(model, "model", nn.Module, "a torch nn.Module")
    seen: dict[int, Tensor] = {}
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear) and id(module.weight) not in seen:
            # Checked here too, so the message names the layer; nothing is changed yet.
            checks.tensor(module.weight, f"{name}.weight", finite=True, hint=_BROKEN_WEIGHTS)
            seen[id(module.weight)] = module.weight
    if not seen:
        raise ValueError("This model has no nn.Linear layers to quantise.")
    weights = original = packed = 0
    max_error = 0.0
    for weight in seen.values():
        quantized = quantize(weight, bits, group_size)
        values = dequantize(quantized, weight.dtype)
        max_error = max(max_error, (values.float() - weight.float()).abs().max().item())
        weight.copy_(values)
        weights += weight.numel()
        original += weight.numel() * weight.element_size()
        packed += quantized.nbytes
    quantized_ids = set(seen)
    other = sum(
        p.numel() * p.element_size() for p in model.parameters() if id(p) not in quantized_ids
    )
    return QuantizationReport(
        bits, group_size, len(seen), weights, original, packed, other, max_error
    )
