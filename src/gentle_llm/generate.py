"""Turning next-token logits into text: greedy decoding and sampling.

Chapter 7 explains the whole loop: the model gives a score (logit) for every token in the
vocabulary; we reshape those scores into a probability distribution (repetition penalty,
temperature, top-k, top-p), pick one token, append it, and repeat. A key/value cache
(:class:`gentle_llm.model.KVCache`) makes each step cost one token instead of the whole context.

Policy for long inputs: the model can only look at its last ``block_size`` tokens, so a prompt
longer than that is truncated on the left (its oldest tokens are dropped), and so is the
running text once it outgrows the context. Positions in :class:`~gentle_llm.model.GPT` are
learned, so a cache cannot slide along with the window. ``window="slide"`` (the default) then
recomputes the whole window without the cache at every step, so each token sees the last
``block_size`` tokens. ``window="halve"`` instead keeps the last half of the window once it
is full, computes it once into a fresh cache and goes on with the cache: each token sees
between half a window and a whole one, for a fraction of the work (llama.cpp's "context
shift" also drops half the context when it fills).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from gentle_llm import checks
from gentle_llm.common import eval_mode, is_transformers_model, model_device, output_logits
from gentle_llm.llama import Llama
from gentle_llm.model import GPT, KVCache

__all__ = ["WINDOW_POLICIES", "SamplingConfig", "next_token_distribution", "generate", "stream"]

# What happens when the text outgrows the context; see the module docstring.
WINDOW_POLICIES = ("slide", "halve")


@dataclass(frozen=True)
class SamplingConfig:
    """How to pick each next token. Chapter 7 explains every knob.

    ``temperature=0`` means greedy decoding (always the most likely token). ``top_k=None`` and
    ``top_p=None`` switch those filters off; ``repetition_penalty=1.0`` switches the penalty
    off. Generation stops after ``max_new_tokens`` tokens or when it picks one of
    ``stop_tokens`` (which is not returned). The same ``seed`` gives the same text; ``seed=None``
    draws from torch's global random generator.
    """

    max_new_tokens: int = 200
    temperature: float = 1.0
    top_k: int | None = None
    top_p: float | None = None
    repetition_penalty: float = 1.0
    stop_tokens: tuple[int, ...] = ()
    seed: int | None = None

    def __post_init__(self) -> None:
        checks.whole_number(self.max_new_tokens, "max_new_tokens", minimum=0)
        checks.number(self.temperature, "temperature", low=0, hint="(0 means greedy).")
        if self.top_k is not None:
            checks.whole_number(self.top_k, "top_k", hint="(or None to keep every token).")
        if self.top_p is not None:
            hint = "(or None to switch it off)."
            checks.number(self.top_p, "top_p", low=0, high=1, low_open=True, hint=hint)
        hint = "(1.0 means no penalty, above 1 discourages repeats)."
        checks.number(
            self.repetition_penalty, "repetition_penalty", low=0, low_open=True, hint=hint
        )
        stops = tuple(self.stop_tokens)
        if not all(checks.is_int(t) for t in stops):
            raise ValueError(f"stop_tokens must be token ids (ints), got {self.stop_tokens!r}.")
        object.__setattr__(self, "stop_tokens", stops)
        if self.seed is not None and not checks.is_int(self.seed):
            raise ValueError(f"seed must be an int or None, got {self.seed!r}.")


def next_token_distribution(
    logits: Tensor,
    config: SamplingConfig,
    *,
    previous: Sequence[int] | Tensor | None = None,
) -> Tensor:
    """Probabilities of the next token from its logits (last dimension = vocabulary).

    The steps, in this order:

    1. repetition penalty: for every token id in ``previous``, a positive logit is divided by
       the penalty and a negative one multiplied by it (so a penalty > 1 always lowers it);
    2. temperature: greedy (``0``) returns all probability on the highest logit (the lowest id
       wins a tie); otherwise logits are divided by the temperature;
    3. top-k: logits below the k-th largest are removed (ties with it are kept);
    4. softmax;
    5. top-p (nucleus): keep the most likely tokens until their total reaches ``top_p`` (the
       token that crosses it is kept), then renormalise.
    """
    logits = logits.detach().float()
    if logits.isnan().any() or (logits == float("inf")).any() or logits.max() == float("-inf"):
        raise ValueError(
            "The model produced non-finite logits (NaN or infinity), so there is no "
            "distribution to sample from. Its weights are probably broken, e.g. by a training "
            "run that diverged: load an earlier checkpoint, or train again with a lower lr."
        )
    if previous is not None and config.repetition_penalty != 1.0:
        ids = torch.as_tensor(previous, dtype=torch.long, device=logits.device).unique()
        if ids.numel() > 0:
            logits = logits.clone()
            seen = logits[..., ids]
            seen = torch.where(
                seen > 0, seen / config.repetition_penalty, seen * config.repetition_penalty
            )
            logits[..., ids] = seen

    if config.temperature == 0:
        best = logits.argmax(dim=-1, keepdim=True)
        return torch.zeros_like(logits).scatter_(-1, best, 1.0)
    scaled = logits / config.temperature
    if scaled.isinf().any() and not logits.isinf().any():
        # A tiny temperature overflowed. Its limit is greedy: shifting the best logit to 0
        # first leaves the best token(s) finite and every other at -inf.
        scaled = (logits - logits.max(dim=-1, keepdim=True).values) / config.temperature
    logits = scaled

    if config.top_k is not None and config.top_k < logits.shape[-1]:
        kth = torch.topk(logits, config.top_k, dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))

    probs = torch.softmax(logits, dim=-1)

    if config.top_p is not None and config.top_p < 1.0:
        sorted_probs, order = torch.sort(probs, dim=-1, descending=True)
        mass_before = sorted_probs.cumsum(dim=-1) - sorted_probs
        sorted_probs = sorted_probs.masked_fill(mass_before >= config.top_p, 0.0)
        probs = torch.zeros_like(probs).scatter_(-1, order, sorted_probs)
        probs = probs / probs.sum(dim=-1, keepdim=True)
    return probs


def stream(
    model: nn.Module | Callable[..., Any],
    prompt_ids: Sequence[int] | Tensor,
    config: SamplingConfig | None = None,
    *,
    use_cache: bool = True,
    window: str = "slide",
) -> Iterator[int]:
    """Yield new token ids one at a time, as soon as each is chosen (Chapter 7).

    ``model`` is our :class:`~gentle_llm.model.GPT` or :class:`~gentle_llm.llama.Llama`, a
    ``transformers`` causal language model, or any callable mapping ids ``[1, T]`` to logits
    ``[1, T, vocab]`` (a tensor, a ``(logits, loss)`` tuple, or an object with ``.logits``).
    The KV cache is used with our models and with ``transformers`` models; other callables
    recompute the whole context each step.
    The prompt itself is not yielded. ``window`` ("slide" or "halve") says what happens once
    the text outgrows the context; see the module docstring.
    """
    config = config or SamplingConfig()
    checks.one_of(window, "window", WINDOW_POLICIES)
    block_size, vocab_size = _model_limits(model)
    prompt = _check_prompt(prompt_ids, vocab_size)
    device = model_device(model)
    generator = None
    if config.seed is not None:
        generator = torch.Generator().manual_seed(config.seed)
    is_hf = is_transformers_model(model)
    ours = isinstance(model, (GPT, Llama))
    caching = use_cache and (ours or is_hf)
    # Our GPT fills a KVCache in place; transformers returns its cache with every output.
    cache: Any = KVCache(model.config.n_layer) if caching and ours else None
    cached = 0  # how many tokens the cache holds

    with eval_mode(model):
        tokens = list(prompt)
        start = 0 if block_size is None else max(len(tokens) - block_size, 0)
        pending = tokens[start:]  # the tokens the model has not seen yet
        for _ in range(config.max_new_tokens):
            with torch.inference_mode():
                idx = torch.tensor([pending], dtype=torch.long, device=device)
                logits, cache = _forward(model, idx, cache, caching, is_hf)
                cached += len(pending)
                if vocab_size is None:
                    vocab_size = logits.shape[-1]
                    _check_prompt(prompt, vocab_size)
                probs = next_token_distribution(logits, config, previous=tokens)
                if config.temperature == 0:
                    token = int(probs.argmax())
                else:
                    token = int(torch.multinomial(probs.cpu(), 1, generator=generator))
            if token in config.stop_tokens:
                return
            tokens.append(token)
            yield token
            full = block_size is not None and len(tokens) - start > block_size
            if full and window == "halve":
                # Keep the last half of the window; its positions restart at 0.
                start = len(tokens) - max(block_size // 2, 1)
                cache, cached = (KVCache(model.config.n_layer) if caching and ours else None), 0
            elif full:
                start = len(tokens) - block_size
                # Sliding moves every position, so the cache no longer fits: recompute.
                caching, cache = False, None
            pending = tokens[start:] if not caching or cached == 0 else [token]


def generate(
    model: nn.Module | Callable[..., Any],
    prompt_ids: Sequence[int] | Tensor,
    config: SamplingConfig | None = None,
    *,
    use_cache: bool = True,
    window: str = "slide",
) -> list[int]:
    """Generate and return the new token ids (without the prompt). Chapter 7 explains it.

    Same arguments as :func:`stream`; the result is ``list(stream(...))``.
    """
    return list(stream(model, prompt_ids, config, use_cache=use_cache, window=window))


# -- helpers --------------------------------------------------------------------------------


def _model_limits(model: Any) -> tuple[int | None, int | None]:
    """The context length and vocabulary size, when the model tells us."""
    config = getattr(model, "config", None)
    block = None
    for name in ("block_size", "n_positions", "max_position_embeddings"):
        block = block or getattr(config, name, None)
    vocab = getattr(config, "vocab_size", None)
    return block, vocab


def _check_prompt(prompt_ids: Sequence[int] | Tensor, vocab_size: int | None) -> list[int]:
    if isinstance(prompt_ids, str):
        raise TypeError("prompt_ids must be token ids; encode the text with a tokenizer first.")
    if isinstance(prompt_ids, Tensor):  # [T], or [1, T]: one prompt
        hint = "Generate one prompt at a time."
        one = prompt_ids[0] if prompt_ids.dim() == 2 and len(prompt_ids) == 1 else prompt_ids
        prompt_ids = checks.tensor(one, "prompt_ids", dims=1, shape="[tokens]", hint=hint).tolist()
    ids = list(prompt_ids)
    bad = [t for t in ids if not checks.is_int(t)]
    if bad:
        raise TypeError(f"prompt_ids must hold int token ids (tokenizer.encode), got {bad[0]!r}.")
    fix = "the model needs at least one token to continue from. Encode some text first (for "
    checks.not_empty(ids, "The prompt", fix + "a character model even a single newline will do).")
    if vocab_size is not None:
        fix = "Encode the prompt with the tokenizer the model was trained with."
        checks.token_ids(ids, vocab_size, outside="outside the model's vocabulary", fix=fix)
    return ids


def _hf_cache_argument(model: Any) -> str:
    """The name transformers gives the cache argument: ``cache`` from 5.x, ``past_key_values``
    before (the old name still works in 5.x, with a warning, until it goes)."""
    return "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"


def _forward(model: Any, idx: Tensor, cache: Any, caching: bool, is_hf: bool) -> tuple[Tensor, Any]:
    """The last position's logits, and the cache to pass with the next tokens."""
    if not caching:
        return _last(model(idx)), None
    if is_hf:
        output = model(input_ids=idx, use_cache=True, **{_hf_cache_argument(model): cache})
        new_cache = output["cache"] if "cache" in output else output.past_key_values
        return _last(output), new_cache
    return _last(model(idx, kv_cache=cache)), cache


def _last(output: Any) -> Tensor:
    """Logits of the last position of the one sequence being generated."""
    return output_logits(output)[0, -1]
