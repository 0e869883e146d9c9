"""A head view for attention weights that needs no kernel: self-contained HTML, CSS and JS.

Chapter 4 uses it to explore SmolLM2's attention in the built book, in Colab and in Jupyter.
The weights are computed once in Python and travel inside the page as compact JSON; a small
script draws a layer picker, head buttons, the sentence (click a token to see where it looks)
and a heat map of the ``T x T`` weights. Nothing is loaded from the internet.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from gentle_llm import checks
from gentle_llm.explorers import bound_script, element_id, script_json, static_file

__all__ = ["attention_array", "head_view_html", "show_head_view", "token_label"]

#: Refuse to build pages bigger than this; pick fewer layers or heads, or a shorter text.
MAX_BYTES = 2_000_000
MAX_VALUES = 600_000  # weights to embed; about 3 characters each


def token_label(token: str) -> str:
    """A token as a short visible label: leading space dropped, blanks and newlines shown."""
    label = token.replace("\n", "\\n").replace("\t", "\\t")
    stripped = label.strip(" ")
    if stripped:
        return stripped
    return "\u2423" * max(1, len(label))  # "␣": a token made only of spaces


def attention_array(tokens: Sequence[str], weights: Any) -> np.ndarray:
    """``weights`` as a float64 array ``[layers, heads, T, T]``, with ``T`` labels in ``tokens``.

    The head view and the ipywidgets picker (:mod:`gentle_llm.widgets`) both start here, so
    both refuse the same mistakes with the same words.
    """
    if hasattr(weights, "detach"):  # a torch tensor, on any device
        weights = weights.detach().float().cpu().numpy()
    array = np.asarray(weights, dtype=np.float64)
    if array.ndim != 4 or array.shape[-1] != array.shape[-2]:
        raise ValueError(
            f"weights must be shaped [layers, heads, T, T] (see attention_maps), got {array.shape}."
        )
    if not np.all(np.isfinite(array)):
        raise ValueError("weights contain NaN or infinity; attention weights must be finite.")
    T, got = array.shape[-1], "a single string" if isinstance(tokens, str) else len(tokens)
    if isinstance(tokens, str) or len(tokens) != T:
        raise ValueError(f"tokens must be a list of {T} strings, one per position (got {got}).")
    return array


def _pick(name: str, chosen: Sequence[int] | int | None, size: int) -> list[int]:
    """``layers=`` or ``heads=``: one index, a list of them, or None for all ``size``."""
    if chosen is None:
        return list(range(size))
    one = isinstance(chosen, (str, bytes)) or not isinstance(chosen, Iterable)
    picked = [checks.index(v, name[:-1], size) for v in ([chosen] if one else chosen)]
    checks.not_empty(picked, name, "pick at least one, or leave it out to show all.")
    if len(set(picked)) != len(picked):
        raise ValueError(f"{name} lists the same one twice: {picked}.")
    return picked


def _rows_per_mille(matrix: np.ndarray) -> list[list[int]]:
    """Weights as whole thousandths (3 decimals), trailing zeros dropped: causal rows halve."""
    rows = []
    for row in np.rint(matrix * 1000).astype(int).tolist():
        while row and row[-1] == 0:
            row.pop()
        rows.append(row)
    return rows


def _too_big(size: int) -> ValueError:
    return ValueError(
        f"This head view would be about {size // 1000} kB. Pick fewer layers (layers=[...]), "
        "fewer heads (heads=[...]) or a shorter text."
    )


def head_view_html(
    tokens: Sequence[str],
    weights: Any,
    *,
    layers: Sequence[int] | int | None = None,
    heads: Sequence[int] | int | None = None,
    title: str = "",
) -> str:
    """Self-contained HTML for exploring attention ``weights [layers, heads, T, T]``.

    ``tokens`` label the ``T`` positions. ``layers`` and ``heads`` pick which ones to include
    (all by default; fewer keeps the page small). The numbers are rounded to 3 decimals.
    Chapter 4 explains how to read the view: rows are the tokens doing the looking, columns
    the tokens looked at.
    """
    array = attention_array(tokens, weights)
    n_layers, n_heads, T, _ = array.shape
    layer_ids = _pick("layers", layers, n_layers)
    head_ids = _pick("heads", heads, n_heads)
    # Check the size before building anything: a causal map stores about T*(T+1)/2 numbers.
    if len(layer_ids) * len(head_ids) * T * (T + 1) // 2 > MAX_VALUES:
        raise _too_big(len(layer_ids) * len(head_ids) * T * (T + 1) // 2 * 3)
    payload = {
        "tokens": [token_label(str(t)) for t in tokens],
        "layers": layer_ids,
        "heads": head_ids,
        "w": [[_rows_per_mille(array[la, h]) for h in head_ids] for la in layer_ids],
    }
    data = script_json(payload)
    if len(data) > MAX_BYTES:
        raise _too_big(len(data))
    uid = element_id("glm-attn", data + title)
    title_html = f'<div class="glm-title">{html.escape(title)}</div>' if title else ""
    return (
        f'<div class="glm-attn tex2jax_ignore mathjax_ignore" id="{uid}">'
        f"<style>{static_file('attention.css')}</style>"
        f"{title_html}"
        '<div class="glm-fallback">Interactive attention view: it needs JavaScript (in '
        "JupyterLab, trust the notebook).</div>"
        '<div class="glm-body" style="display:none">'
        '<div class="glm-controls"><label>Layer <select class="glm-layer"></select></label>'
        '<span class="glm-heads" role="group" aria-label="Head"></span></div>'
        '<div class="glm-tokens"></div><div class="glm-info"></div>'
        '<div class="glm-scroll"><table class="glm-grid"></table></div>'
        '<div class="glm-note">Rows: the token that is looking. Columns: the tokens it can '
        "look at. Darker blue means more attention; each row sums to 1. Hover a cell for its "
        "value.</div></div>"
        f'<script type="application/json" class="glm-data">{data}</script>'
        f"{bound_script(uid, 'attention.js')}"
        "</div>"
    )


def show_head_view(tokens: Sequence[str], weights: Any, **options: Any) -> Any:
    """:func:`head_view_html` wrapped for display in a notebook (an ``IPython.display.HTML``)."""
    from IPython.display import HTML

    return HTML(head_view_html(tokens, weights, **options))
