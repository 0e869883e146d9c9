"""Helpers every chapter shares: package plumbing, like :mod:`gentle_llm.checks` (no chapter).

They live below the chapter modules so that no chapter imports a later one for a few lines:

* :func:`model_device` (where a model's weights are) and :func:`eval_mode` (switch dropout off
  for a measurement, then put the model back as it was);
* :func:`logits_of` (and :func:`output_logits`), the one way to get ``[batch, T, vocab]``
  logits from our GPT or Llama (which return ``(logits, loss)``), a ``transformers`` model
  (``.logits``) or a callable;
* :data:`IGNORE_INDEX` and :func:`sequence_logprob`, the log-probability of labelled tokens that
  Chapter 8 (DPO), Chapter 10 (scoring answers) and Chapter 11 (probes) all add up;
* :func:`human_bytes` for reports.
"""

from __future__ import annotations

import contextlib
import inspect
import sys
from collections.abc import Iterator
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from gentle_llm import checks

__all__ = [
    "IGNORE_INDEX",
    "eval_mode",
    "human_bytes",
    "is_transformers_model",
    "logits_of",
    "model_device",
    "output_logits",
    "sequence_logprob",
]

IGNORE_INDEX = -100  # the label torch's cross_entropy skips by default: prompt and padding


def model_device(model: Any) -> torch.device:
    """The device of a model's first parameter (the CPU for a model without parameters)."""
    parameters = getattr(model, "parameters", None)
    if callable(parameters):
        for param in parameters():
            return param.device
    return torch.device("cpu")


@contextlib.contextmanager
def eval_mode(model: Any) -> Iterator[Any]:
    """Put ``model`` in eval mode (no dropout) for the ``with`` block, then restore its mode.

    The mode comes back even when the block raises or a generator inside it is closed early,
    so a measurement never leaves a model that was training stuck in eval mode. Plain
    callables without ``.eval()`` pass through unchanged.
    """
    was_training = getattr(model, "training", None)
    if was_training is not None:
        model.eval()
    try:
        yield model
    finally:
        if was_training is not None:
            model.train(was_training)


def is_transformers_model(model: Any) -> bool:
    """True for a ``transformers`` model (ours with LoRA layers added stays one)."""
    # Only look if transformers is already imported: a model of it implies it is.
    transformers = sys.modules.get("transformers")
    return transformers is not None and isinstance(model, transformers.PreTrainedModel)


def _takes_attention_mask(model: Any) -> bool:
    # transformers (and peft) models take one; our GPT and Llama do not need it: they are
    # causal, so right padding never reaches the positions that are scored.
    forward = getattr(model, "forward", model)
    try:
        return "attention_mask" in inspect.signature(forward).parameters
    except (TypeError, ValueError):  # builtins and some C callables have no signature
        return False


def logits_of(model: Any, ids: Tensor, attention_mask: Tensor | None = None) -> Tensor:
    """``[batch, T, vocab]`` logits of ``model`` for token ids ``[batch, T]``.

    ``model`` is our GPT or Llama (``(logits, loss)``), a ``transformers`` causal language model
    (an output with ``.logits``) or any callable returning one of those or a tensor.
    ``attention_mask`` is passed on to models that take one.
    """
    if attention_mask is not None and _takes_attention_mask(model):
        output = model(input_ids=ids, attention_mask=attention_mask)
    else:
        output = model(ids)
    return output_logits(output)


def output_logits(output: Any) -> Tensor:
    """The logits in a model's output: a tensor, a ``(logits, loss)`` tuple or ``.logits``."""
    if isinstance(output, tuple):
        output = output[0]
    return getattr(output, "logits", output)


def sequence_logprob(logits: Tensor, labels: Tensor) -> Tensor:
    """Sum of the log-probabilities of every labelled token, one number per sequence [B].

    ``logits`` [B, T, vocab] come from the model reading the sequence; the prediction at
    position t is scored on ``labels[:, t + 1]``. Tokens labelled -100 (the prompt, padding)
    add nothing. This is ``log π(answer | prompt)`` (Chapter 8).
    """
    checks.tensor(logits, "logits", dims=3, shape="[batch, time, vocab]", floating=True)
    checks.tensor(labels, "labels", dims=2, shape="[batch, time]")
    fix = "one row of logits per label; compute the logits from the batch's own input_ids."
    what = "The [batch, time] shapes of logits and labels"
    checks.same(tuple(logits.shape[:2]), tuple(labels.shape), what, fix)
    targets = labels[:, 1:]
    counted = targets != IGNORE_INDEX
    log_probs = F.log_softmax(logits[:, :-1].float(), dim=-1)
    # -100 is not a valid index: look up token 0 there, then zero those terms out.
    picked = log_probs.gather(-1, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    return (picked * counted).sum(dim=1)


def human_bytes(n: int | float) -> str:
    """A size in bytes the way people say it: ``98362432`` → ``'98.4 MB'`` (1 MB = 10^6 B)."""
    checks.number(n, "n (a size in bytes)", low=0)
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{int(n)} B"
