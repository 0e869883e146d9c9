"""Numbers that compare training runs (Chapter 6): bits per byte and training compute.

A loss in nats per token depends on the tokenizer: a token of a BPE model covers several
characters, so its loss per token is larger even when the model is better. Dividing by the
bytes of text instead gives **bits per byte**, a number that compares a character model, a BPE
model and published models on the same text.

Training compute is estimated with the rule **C ≈ 6·N·D** floating-point operations for N
parameters and D training tokens (Kaplan et al., 2020, "Scaling Laws for Neural Language
Models"): about 2·N per token for the forward pass and 4·N for the backward pass.
"""

from __future__ import annotations

import math

from torch import nn

from gentle_llm import checks

__all__ = [
    "bits_per_byte",
    "non_embedding_parameters",
    "tokens_for_compute",
    "training_flops",
]


def bits_per_byte(loss: float, n_tokens: int, n_bytes: int) -> float:
    """Convert a mean loss in nats per token into bits per byte of text (Chapter 6).

    ``n_tokens`` is the number of tokens the text was cut into and ``n_bytes`` its length in
    UTF-8 bytes: ``loss * n_tokens`` is the total cost of the text in nats, and dividing by
    ``ln 2`` turns nats into bits.
    """
    checks.number(loss, "loss", low=0, hint="(a mean cross-entropy in nats per token).")
    checks.whole_number(n_tokens, "n_tokens")
    checks.whole_number(n_bytes, "n_bytes", hint="Use len(text.encode('utf-8')).")
    return loss * n_tokens / (n_bytes * math.log(2))


def training_flops(n_params: int, n_tokens: int) -> float:
    """Training compute C ≈ 6·N·D in floating-point operations (Chapter 6).

    Say which N you pass: Kaplan et al. count parameters without the embeddings; Hoffmann
    et al. (2022, the Chinchilla study) count them all. For large models the two barely differ.
    """
    checks.whole_number(n_params, "n_params")
    checks.whole_number(n_tokens, "n_tokens")
    return 6.0 * n_params * n_tokens


def tokens_for_compute(compute: float, n_params: int) -> int:
    """How many training tokens D a compute budget C buys a model of N parameters: C / (6·N)."""
    checks.number(compute, "compute", low=0, low_open=True, hint="(in FLOPs, e.g. 1e12).")
    checks.whole_number(n_params, "n_params")
    return int(compute / (6.0 * n_params))


def non_embedding_parameters(model: nn.Module) -> int:
    """Parameters outside the token and position embeddings (the N of Kaplan et al.).

    The embedding tables are looked up, not multiplied, so they cost almost no compute per
    token; the tied output layer does cost compute but is left out too, as Kaplan et al. do.
    """
    checks.instance(model, "model", nn.Module, "a torch.nn.Module, e.g. a GPT")
    embeddings = {
        id(module.weight) for module in model.modules() if isinstance(module, nn.Embedding)
    }
    return sum(p.numel() for p in model.parameters() if id(p) not in embeddings)
