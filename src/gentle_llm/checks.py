"""Argument checks shared by the whole package: one clear error that says what to do.

Every public function of ``gentle_llm`` checks what a learner passes in with one line from
here, so the chapters' code reads like the chapters and each mistake still gets a message
that names the argument, what it must be, what it was, and (``hint``) how to fix it.
Internal helpers trust their callers and do not check again.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Collection, Iterable, Sequence
from typing import Any, TypeVar

import torch
from torch import Tensor

__all__ = [
    "attention_inputs",
    "divisible",
    "index",
    "instance",
    "is_int",
    "model_input",
    "not_empty",
    "number",
    "one_of",
    "same",
    "tensor",
    "text",
    "token_ids",
    "whole_number",
]

T = TypeVar("T")


def _with_hint(message: str, hint: str) -> str:
    return f"{message} {hint}" if hint else message


def is_int(value: Any) -> bool:
    """True for a Python or NumPy integer, False for ``bool`` (``True`` is not a count)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def instance(
    value: T, name: str, kind: type | tuple[type, ...], what: str = "", hint: str = ""
) -> T:
    """``value`` if it is a ``kind``, else a ``TypeError``: "``name`` must be ``what``, got int."

    ``what`` describes ``kind`` for a learner (default: "a " and the class name), e.g.
    ``"a torch.nn.Module, e.g. a GPT"``.
    """
    if not isinstance(value, kind):
        wanted = what or f"a {getattr(kind, '__name__', kind)}"
        raise TypeError(_with_hint(f"{name} must be {wanted}, got {type(value).__name__}.", hint))
    return value


def whole_number(
    value: Any, name: str, minimum: int = 1, maximum: int | None = None, *, hint: str = ""
) -> int:
    """``value`` as an int, or a ``ValueError``: "``name`` must be a whole number >= minimum"
    (with ``maximum``: "... a whole number from minimum to maximum")."""
    too_big = maximum is not None and is_int(value) and value > maximum
    if not is_int(value) or value < minimum or too_big:
        rule = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum}"
        raise ValueError(_with_hint(f"{name} must be a whole number {rule}, got {value!r}.", hint))
    return int(value)


def index(value: Any, name: str, size: int, *, hint: str = "") -> int:
    """``value`` as an int if it picks one of ``size`` things counted from 0 (a layer, a head).

    Else one error that says which ones exist: "head 7 does not exist: pick one of 0..2 (they
    are counted from 0, so 2 is the last one)." A ``TypeError`` for a value that is not a
    whole number (a float, a string, ``True``).
    """
    last = size - 1
    if not is_int(value):
        message = f"{name} must be a whole number from 0 to {last}, got {value!r}."
        raise TypeError(_with_hint(message, hint))
    if not 0 <= value < size:
        message = f"{name} {value} does not exist: pick one of 0..{last} (they are counted from "
        raise ValueError(_with_hint(f"{message}0, so {last} is the last one).", hint))
    return int(value)


def number(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    hint: str = "",
) -> float:
    """``value`` as a finite float within the bounds given, or a ``ValueError`` naming them.

    ``low_open=True`` excludes ``low`` itself (``> low``), likewise ``high_open``. NaN and
    infinity are always refused: no setting of the course makes sense at infinity.
    """
    if low is not None and high is not None:
        rule = f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    elif low is not None:
        rule = f"a number {'>' if low_open else '>='} {low:g}"
    elif high is not None:
        rule = f"a number {'<' if high_open else '<='} {high:g}"
    else:
        rule = "a finite number"
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    ok = ok and math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        raise ValueError(_with_hint(f"{name} must be {rule}, got {value!r}.", hint))
    return float(value)


def one_of(value: T, name: str, choices: Collection[T], *, hint: str = "") -> T:
    """``value`` if it is one of ``choices``, else a ``ValueError`` listing them."""
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(_with_hint(f"{name} must be one of {listed}; got {value!r}.", hint))
    return value


def divisible(value: int, name: str, by: int, by_name: str, why: str) -> int:
    """``value`` if ``by`` divides it, else a ``ValueError``: "``name`` (30) must be divisible
    by ``by_name`` (4): ``why``", where ``why`` gives the reason and the fix."""
    by_text = by_name if by_name == str(by) else f"{by_name} ({by})"
    if value % by:
        raise ValueError(f"{name} ({value}) must be divisible by {by_text}: {why}")
    return value


def not_empty(value: T, name: str, fix: str, *, minimum: int = 1) -> T:
    """``value`` if it holds at least ``minimum`` things (items of a list or a string, elements
    of a tensor), else a ``ValueError``: "``name`` is empty: ``fix``" ("has only 1: ``fix``")."""
    size = value.numel() if isinstance(value, Tensor) else len(value)
    if size < minimum:
        raise ValueError(f"{name} {'is empty' if size == 0 else f'has only {size}'}: {fix}")
    return value


def same(a: Any, b: Any, what: str, fix: str) -> None:
    """Refuse two sizes or shapes that must agree: "``what`` differ (3 and 4): ``fix``"."""
    if a != b:
        raise ValueError(f"{what} differ ({a} and {b}): {fix}")


def text(value: Any, name: str, *, example: str = "") -> str:
    """A non-blank ``str``: ``TypeError`` for another type, ``ValueError`` for blank text."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string (str), got {type(value).__name__}.")
    if not value.strip():
        tip = f", e.g. {example!r}" if example else ""
        raise ValueError(f"{name} is empty: give some text{tip}.")
    return value


def tensor(
    value: Any,
    name: str,
    *,
    dims: int | Sequence[int] | None = None,
    shape: str = "",
    floating: bool = False,
    width: int | None = None,
    finite: bool = False,
    hint: str = "",
) -> Tensor:
    """``value`` if it is a tensor with one of the allowed numbers of dimensions.

    ``shape`` describes the expected layout for the message, e.g. ``"[batch, tokens, dim]"``;
    ``floating=True`` also asks for a floating-point dtype, ``width`` a last dimension of that
    size, ``finite=True`` no NaN or infinity. ``hint`` is added to the messages about the
    number of dimensions and about non-finite values.
    """
    layout = f" shaped {shape}" if shape else ""
    if not isinstance(value, Tensor):
        raise TypeError(
            f"{name} must be a torch.Tensor{layout}, got {type(value).__name__}; "
            "wrap your numbers with torch.tensor(...)."
        )
    allowed = (dims,) if isinstance(dims, int) else dims
    if allowed is not None and value.dim() not in allowed:
        expected = layout or " " + " or ".join(f"{d}-D" for d in allowed)
        raise ValueError(
            _with_hint(f"{name} must be{expected}, got shape {tuple(value.shape)}.", hint)
        )
    if width is not None and value.shape[-1] != width:
        raise ValueError(f"{name} must be{layout or f' [..., {width}]'}, got {tuple(value.shape)}.")
    if floating and not value.is_floating_point():
        raise TypeError(f"{name} must hold floats, got {value.dtype}; use {name}.float().")
    if finite and value.is_floating_point() and not bool(value.isfinite().all()):
        bad = int((~value.isfinite()).sum())
        message = f"{name} holds {bad} NaN or infinite value(s) out of {value.numel()}."
        raise ValueError(_with_hint(message, hint))
    return value


def token_ids(ids: Iterable[Any] | Tensor, vocab_size: int, *, outside: str, fix: str) -> None:
    """Refuse the first id that is not a whole number in ``[0, vocab_size)``.

    The message names the id and its position: "Token id 70 at position 3 is ``outside``
    (ids 0 to 64). ``fix``", e.g. ``outside="not in this tokenizer's vocabulary"``.
    """
    pairs: Iterable[tuple[int, Any]] = enumerate(ids)
    if isinstance(ids, Tensor):
        # A training stream holds a million ids: find the first bad one in one torch pass.
        # Streams are stored as uint16, which torch cannot compare: widen them first.
        wide = ids.long()
        bad = ((wide < 0) | (wide >= vocab_size)).flatten().nonzero()
        pairs = [(int(bad[0]), int(wide.flatten()[bad[0]]))] if len(bad) else []
    for position, token in pairs:
        if not is_int(token) or not 0 <= token < vocab_size:
            raise ValueError(
                f"Token id {token!r} at position {position} is {outside} "
                f"(ids 0 to {vocab_size - 1}). {fix}"
            )


# -- the inputs of the models the chapters build ---------------------------------------------


def attention_inputs(q: Any, k: Any, v: Any, causal: bool, mask: Any) -> None:
    """What :func:`gentle_llm.attention.scaled_dot_product_attention` needs (Chapter 4).

    ``q`` ``[..., T, d]``, ``k`` ``[..., S, d]`` and ``v`` ``[..., S, d_v]`` hold floats; a
    causal mask needs ``T == S``; ``mask`` is boolean (``True`` = may look there).
    """
    for name, t in (("q", q), ("k", k), ("v", v)):
        tensor(t, name, shape="[..., tokens, dim]", floating=True)
        if t.dim() < 2:
            raise ValueError(f"{name} needs at least 2 dimensions: try {name}.unsqueeze(0).")
    same(q.shape[-1], k.shape[-1], "The widths of q and k", "a dot product needs the same width.")
    same(k.shape[-2], v.shape[-2], "The tokens of k and v", "every key needs its value.")
    if causal:
        fix = "causal=True needs as many queries as keys; pass a mask= instead."
        same(q.shape[-2], k.shape[-2], "The numbers of queries and keys", fix)
    if mask is not None and getattr(mask, "dtype", None) is not torch.bool:
        raise TypeError(
            f"mask must be boolean (True = may look there), got {getattr(mask, 'dtype', mask)}."
        )


def model_input(idx: Any, kv_cache: Any, block_size: int, n_layer: int) -> None:
    """What the GPT and the Llama of Chapter 5 need: ids ``[batch, time]`` that fit the context.

    With a key/value cache (Chapter 7), the cached and the new tokens together must fit, and
    the cache must have one slot per layer of the model.
    """
    hint = "Add a batch dimension: idx.unsqueeze(0)."
    tensor(idx, "idx", dims=2, shape="[batch, time]", hint=hint)
    past = kv_cache.length if kv_cache is not None else 0
    seq = idx.shape[1]
    if past + seq > block_size:
        raise ValueError(
            f"The model's context is {block_size} tokens but got {past + seq} "
            f"({past} cached + {seq} new). Keep only the last {block_size} tokens "
            "(gentle_llm.generate does this for you)."
        )
    if kv_cache is not None:
        fix = "create the cache with KVCache(model.config.n_layer)."
        same(kv_cache.n_layer, n_layer, "The layers of the KV cache and of the model", fix)
