"""A sampling explorer that needs no kernel: sliders reshape a stored next-token distribution.

Chapter 7 uses it in the built book. The next-token logits of a few prompts are computed once
in Python (only the most likely tokens are kept, 30 by default) and travel inside the page as
JSON. ``sampling.js`` applies the same steps as
:func:`gentle_llm.generate.next_token_distribution`: temperature (0 means greedy), top-k,
softmax, top-p. It redraws the bar chart as the reader drags a slider and draws tokens from
the result with a seeded random generator, so one seed always gives the same draws. The
generator (mulberry32) and the draw are mirrored here in Python (:func:`draw_tokens`), so a
test can check that the page and Python agree. Nothing is loaded from the internet.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from gentle_llm import checks
from gentle_llm.explorers import bound_script, element_id, script_json, static_file
from gentle_llm.explorers.tokens import visible_whitespace
from gentle_llm.generate import SamplingConfig, next_token_distribution

__all__ = [
    "StoredLogits",
    "distribution",
    "draw_tokens",
    "entropy_bits",
    "explore_sampling",
    "mulberry32",
    "sampling_html",
    "stored_logits",
]

MAX_TOKENS = 100  # tokens stored per prompt: enough for the bars, small enough for a page
MAX_DRAWS = 200


@dataclass(frozen=True)
class StoredLogits:
    """The most likely next tokens of one prompt: their text, logits (sorted, largest first)
    and the share of the model's full probability that they hold."""

    prompt: str
    tokens: tuple[str, ...]
    logits: tuple[float, ...]
    mass: float = 1.0


def stored_logits(
    prompt: str, logits: Any, decode: Callable[[list[int]], str], k: int = 30
) -> StoredLogits:
    """Keep the ``k`` largest of a full vocabulary's next-token ``logits`` for the explorer.

    ``decode`` turns a list of token ids into text (a tokenizer's ``decode``). ``mass`` records
    how much of the model's probability those ``k`` tokens hold; the explorer renormalises
    over them, and says so.
    """
    hint = f"The explorer shows at most {MAX_TOKENS} tokens: keep k <= {MAX_TOKENS}."
    checks.whole_number(k, "k", 1, MAX_TOKENS, hint=hint)
    row = torch.as_tensor(logits).detach().float().cpu().reshape(-1)
    checks.not_empty(row, "logits", f"that is fewer than k={k}; ask for a smaller k.", minimum=k)
    checks.tensor(row, "logits", finite=True, hint="Pass the raw scores of a model.")
    values, ids = torch.topk(row, k)
    mass = float(torch.softmax(row, dim=-1)[ids].sum())
    tokens = tuple(decode([int(i)]) for i in ids)
    return StoredLogits(prompt, tokens, tuple(float(v) for v in values), mass)


def distribution(
    logits: Sequence[float],
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
) -> list[float]:
    """The probabilities the explorer shows: :func:`next_token_distribution` on ``logits``."""
    config = SamplingConfig(temperature=temperature, top_k=top_k, top_p=top_p)
    probs = next_token_distribution(torch.tensor(list(logits), dtype=torch.float64), config)
    return probs.tolist()


def entropy_bits(probs: Sequence[float]) -> float:
    """Shannon entropy in bits; tokens with probability 0 add nothing."""
    return -sum(p * math.log2(p) for p in probs if p > 0)


def mulberry32(seed: int) -> Callable[[], float]:
    """A tiny seeded generator of floats in [0, 1), the same one ``sampling.js`` uses.

    Both sides do the same 32-bit integer steps, so a seed gives the same numbers in Python
    and in the browser.
    """
    state = seed & 0xFFFFFFFF

    def imul(a: int, b: int) -> int:  # JavaScript's Math.imul, kept to 32 bits
        return (a * b) & 0xFFFFFFFF

    def next_float() -> float:
        nonlocal state
        state = (state + 0x6D2B79F5) & 0xFFFFFFFF
        t = state
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & 0xFFFFFFFF
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296

    return next_float


def draw_tokens(probs: Sequence[float], seed: int, n: int) -> list[int]:
    """``n`` token indices drawn from ``probs`` exactly as the explorer draws them."""
    checks.whole_number(n, "n", minimum=0)
    rand = mulberry32(int(seed))
    last = max(i for i, p in enumerate(probs) if p > 0)
    draws = []
    for _ in range(n):
        u, total, pick = rand(), 0.0, last
        for i, p in enumerate(probs):
            total += p
            if p > 0 and u < total:
                pick = i
                break
        draws.append(pick)
    return draws


def _check_entries(entries: Sequence[StoredLogits]) -> list[StoredLogits]:
    entries = [entries] if isinstance(entries, StoredLogits) else list(entries)
    checks.not_empty(entries, "entries", "give at least one prompt's stored_logits(...).")
    for entry in entries:
        checks.instance(entry, "each entry", StoredLogits, "StoredLogits (see stored_logits)")
        if len(entry.tokens) != len(entry.logits) or not entry.tokens:
            raise ValueError(f"{entry.prompt!r}: tokens and logits must be non-empty, same size.")
        if len(entry.tokens) > MAX_TOKENS:
            raise ValueError(f"{entry.prompt!r}: more than {MAX_TOKENS} tokens.")
        if not all(math.isfinite(v) for v in entry.logits):
            raise ValueError(f"{entry.prompt!r}: logits must be finite numbers.")
        if list(entry.logits) != sorted(entry.logits, reverse=True):
            raise ValueError(f"{entry.prompt!r}: logits must be sorted, largest first.")
    return entries


def sampling_html(
    entries: Sequence[StoredLogits] | StoredLogits,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    seed: int = 0,
    draws: int = 20,
    title: str = "",
) -> str:
    """Self-contained HTML: a prompt picker, sliders and the reshaped next-token bar chart.

    ``entries`` come from :func:`stored_logits`. The other arguments set where the sliders
    start (``top_k=None`` and ``top_p=None`` start those filters switched off); ``draws`` is
    how many tokens the page samples for the chosen seed.
    """
    entries = _check_entries(entries)
    SamplingConfig(top_k=top_k, top_p=top_p)  # the checks of generate's top-k and top-p
    checks.number(temperature, "temperature", low=0, high=2, hint="(0..2 is the slider's range).")
    checks.whole_number(draws, "draws", 1, MAX_DRAWS, hint="(more is a lot for one page).")
    checks.whole_number(seed, "seed", 0, 999, hint="(0..999 is the slider's range).")
    size = max(len(e.tokens) for e in entries)
    payload = {
        "prompts": [
            {
                "prompt": e.prompt,
                "labels": [visible_whitespace(t) for t in e.tokens],
                "logits": [round(v, 4) for v in e.logits],
                "mass": round(e.mass, 4),
            }
            for e in entries
        ],
        "start": {
            "temperature": temperature,
            "top_k": size if top_k is None else min(top_k, size),
            "top_p": 1.0 if top_p is None else top_p,
            "seed": seed,
        },
        "size": size,
        "draws": draws,
    }
    data = script_json(payload)
    uid = element_id("glm-samp", data + title)
    title_html = f'<div class="glm-title">{html.escape(title)}</div>' if title else ""

    def slider(name: str, label: str, low: float, high: float, step: float) -> str:
        return (
            f'<label class="glm-slider">{label} <input type="range" class="glm-{name}" '
            f'min="{low}" max="{high}" step="{step}" aria-label="{label}">'
            f'<output class="glm-{name}-value"></output></label>'
        )

    return (
        f'<div class="glm-samp tex2jax_ignore mathjax_ignore" id="{uid}">'
        f"<style>{static_file('sampling.css')}</style>"
        f"{title_html}"
        '<div class="glm-fallback">Interactive sampling explorer: it needs JavaScript (in '
        "JupyterLab, trust the notebook).</div>"
        '<div class="glm-body" style="display:none">'
        '<label class="glm-prompt-label">Prompt <select class="glm-prompt"></select></label>'
        '<div class="glm-controls">'
        + slider("temperature", "temperature", 0, 2, 0.05)
        + slider("top-k", "top-k", 1, size, 1)
        + slider("top-p", "top-p", 0.05, 1, 0.05)
        + slider("seed", "seed", 0, 999, 1)
        + "</div>"
        '<div class="glm-summary" aria-live="polite"></div>'
        '<div class="glm-bars" role="list"></div>'
        '<div class="glm-draws-head"></div><div class="glm-draws"></div>'
        '<div class="glm-note"></div></div>'
        f'<script type="application/json" class="glm-data">{data}</script>'
        f"<script>{static_file('decoding.js')}</script>"
        f"{bound_script(uid, 'sampling.js')}"
        "</div>"
    )


def explore_sampling(entries: Sequence[StoredLogits] | StoredLogits, **options: Any) -> Any:
    """:func:`sampling_html` wrapped for display in a notebook (an ``IPython.display.HTML``)."""
    from IPython.display import HTML

    return HTML(sampling_html(entries, **options))
