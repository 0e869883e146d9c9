"""Speculative decoding: a small draft model guesses, the large target model checks (Chapter 7).

Generating one token costs one forward pass of the model, and on most hardware a pass over one
token takes about as long as a pass over a few: the weights have to be read either way.
Speculative decoding (Leviathan et al. 2023; Chen et al. 2023) uses that. Each round:

1. the **draft** model, small and fast, proposes ``k`` tokens one after the other;
2. the **target** model reads all ``k`` in **one** forward pass, which gives its own prediction
   after each of them;
3. the proposals are kept as long as the target agrees; at the first disagreement the target's
   own token replaces the draft's. If all ``k`` are accepted, the target's prediction after the
   last one comes for free. Every round therefore adds between 1 and ``k + 1`` tokens for one
   pass of the target.

Greedy (``temperature=0``): :func:`accept_greedy` keeps the longest prefix of proposals equal
to the target's argmax; the text is exactly the target's own greedy text. Sampling:
:func:`accept_sampled` applies the accept/reject rule of the papers (accept a proposal ``x``
with probability ``min(1, p(x) / q(x))``, else sample from ``max(0, p - q)`` renormalised), so
every token is distributed exactly as if the target had sampled it alone. The draft only ever
changes the speed, never the text's distribution.

Both models must share the vocabulary (the same tokenizer). Both use
:class:`~gentle_llm.model.KVCache`; rejected proposals are dropped from the caches by moving
their length back. ``window`` ("slide" or "halve") is :func:`gentle_llm.generate.generate`'s
policy for text longer than the target's context, so greedy output matches ``generate``'s
there too; while the window slides, there is no room for proposals and each round is one plain
step of the target.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from gentle_llm import checks
from gentle_llm.common import eval_mode, model_device
from gentle_llm.generate import WINDOW_POLICIES, SamplingConfig, _check_prompt
from gentle_llm.generate import next_token_distribution as _distribution
from gentle_llm.llama import Llama
from gentle_llm.model import GPT, KVCache

__all__ = ["SpeculativeStats", "accept_greedy", "accept_sampled", "speculative_generate"]

_ROWS = "row i is the target's prediction after i proposals, so k proposals need k + 1 rows."


@dataclass
class SpeculativeStats:
    """What a run of :func:`speculative_generate` did.

    ``proposed``: tokens the draft proposed (one draft forward pass each); ``accepted``: how
    many of them the target kept; ``target_passes``: forward passes of the target (each adds
    one token of its own); ``generated``: tokens returned. Without stop tokens,
    ``generated == accepted + target_passes``.
    """

    proposed: int = 0
    accepted: int = 0
    target_passes: int = 0
    generated: int = 0

    @property
    def acceptance_rate(self) -> float:
        """The fraction of proposals the target kept (NaN if the draft proposed nothing)."""
        return self.accepted / self.proposed if self.proposed else float("nan")

    @property
    def tokens_per_target_pass(self) -> float:
        """Tokens generated per target forward pass: 1 for plain decoding, up to k + 1."""
        return self.generated / self.target_passes if self.target_passes else float("nan")


def accept_greedy(draft_tokens: Sequence[int], target_scores: Tensor) -> list[int]:
    """The verification step under greedy decoding (Chapter 7).

    ``target_scores`` ``[len(draft_tokens) + 1, vocab]`` are the target's logits (or
    probabilities) after the text and after each proposal: row ``i`` predicts the token that
    ``draft_tokens[i]`` guessed, the last row the token after all of them. Returns the accepted
    proposals followed by the target's own token: the text grows by 1 to ``k + 1`` tokens.
    """
    checks.same(
        len(target_scores), len(draft_tokens) + 1, "The rows of the scores and k + 1", _ROWS
    )
    picks = target_scores.argmax(dim=-1).tolist()  # what the target would say, at each place
    accepted: list[int] = []
    for guess, pick in zip(draft_tokens, picks, strict=False):
        if guess != pick:
            break
        accepted.append(guess)
    return accepted + [picks[len(accepted)]]


def accept_sampled(
    draft_tokens: Sequence[int],
    draft_probs: Tensor,
    target_probs: Tensor,
    generator: torch.Generator | None = None,
) -> list[int]:
    """The accept/reject step of speculative sampling (Leviathan et al. 2023, Chen et al. 2023).

    ``draft_probs`` ``[k, vocab]``: the draft's distribution ``q`` each proposal was sampled
    from; ``target_probs`` ``[k + 1, vocab]``: the target's ``p`` at the same places, plus one
    after the last proposal. Proposal ``x`` is accepted with probability ``min(1, p(x) / q(x))``;
    the first rejected one is replaced by a sample of ``max(0, p - q)`` renormalised, and the
    round ends. If every proposal is accepted, one more token is sampled from the last row.
    """
    checks.same(len(target_probs), len(draft_tokens) + 1, "The rows of p and k + 1", _ROWS)
    out: list[int] = []
    for i, token in enumerate(draft_tokens):
        p, q = target_probs[i], draft_probs[i]
        # r < p/q with r uniform in [0, 1) happens with probability min(1, p/q); q[token] > 0
        # because the draft sampled it, so multiplying avoids a division.
        if torch.rand((), generator=generator) * q[token] < p[token]:
            out.append(token)
            continue
        residual = (p - q).clamp(min=0)
        if residual.sum() <= 0:  # only rounding can get here (p == q never rejects)
            residual = p
        out.append(int(torch.multinomial(residual, 1, generator=generator)))
        return out
    return out + [int(torch.multinomial(target_probs[-1], 1, generator=generator))]


class _Reader:
    """One model reading the growing text: its KV cache and where its context window starts.

    The window policy is :func:`gentle_llm.generate.stream`'s, so that the target sees exactly
    the tokens it would see generating alone.
    """

    def __init__(self, model: GPT | Llama, prompt_length: int, window: str) -> None:
        self.model, self.window = model, window
        self.block = model.config.block_size
        self.start = max(prompt_length - self.block, 0)  # a long prompt loses its oldest tokens
        self.cache: KVCache | None = KVCache(model.config.n_layer)
        self.passes = 0

    def room(self, length: int) -> int:
        """How many tokens fit in the window after the text's ``length`` tokens."""
        return self.block - (length - self.start)

    def scores(self, text: list[int], new: int) -> Tensor:
        """Logits ``[new + 1, vocab]`` of the model after each of the last ``new + 1`` tokens."""
        seen = len(self.cache) if self.cache is not None else 0
        idx = torch.tensor([text[self.start + seen :]], device=model_device(self.model))
        self.passes += 1
        logits = self.model(idx, kv_cache=self.cache)[0]
        return logits[0, -(new + 1) :].float().cpu()

    def keep(self, length: int) -> None:
        """Forget cached positions beyond the text's first ``length`` tokens (the rejected).

        The cache writes from its ``length`` on, so moving it back is enough.
        """
        if self.cache is not None:
            self.cache.length = min(self.cache.length, length - self.start)

    def follow(self, length: int, more: int = 0) -> None:
        """Move the window once the text (and ``more`` tokens to come) outgrows the context."""
        if length + more - self.start <= self.block:
            return
        if self.window == "halve":
            # As generate(): keep the last half (less, to leave room for `more`), fresh cache.
            self.start = length - max(min(self.block // 2, self.block - more), 1)
            self.cache = KVCache(self.model.config.n_layer)
        else:  # slide: positions move every step, so the cache cannot follow
            self.start, self.cache = length - self.block, None


def speculative_generate(
    target: GPT | Llama,
    draft: GPT | Llama,
    prompt_ids: Sequence[int] | Tensor,
    config: SamplingConfig | None = None,
    *,
    k: int = 4,
    window: str = "slide",
) -> tuple[list[int], SpeculativeStats]:
    """Generate with ``target``, ``draft`` proposing ``k`` tokens per round (Chapter 7).

    Returns the new token ids (without the prompt) and a :class:`SpeculativeStats`. ``config``
    is :func:`gentle_llm.generate.generate`'s :class:`SamplingConfig` (same defaults) and
    applies to both models; with ``temperature=0`` the tokens are those of
    ``generate(target, prompt_ids, config, window=window)``; otherwise they follow the same
    distribution. Both models are the course's GPT or Llama, with the same vocabulary.
    """
    config = config or SamplingConfig()
    what = "the course's GPT or Llama (a model with a KVCache)"
    checks.instance(target, "target", (GPT, Llama), what)
    checks.instance(draft, "draft", (GPT, Llama), what)
    fix = "the target must read the draft's token ids: use models trained with one tokenizer."
    checks.same(draft.config.vocab_size, target.config.vocab_size, "The vocabularies", fix)
    checks.whole_number(k, "k", 1, draft.config.block_size, hint="(proposals per round, e.g. 4)")
    checks.one_of(window, "window", WINDOW_POLICIES)
    tokens = _check_prompt(prompt_ids, target.config.vocab_size)
    generator = None if config.seed is None else torch.Generator().manual_seed(config.seed)
    stats = SpeculativeStats()
    checker = _Reader(target, len(tokens), window)
    guesser = _Reader(draft, len(tokens), "halve")  # the draft's window never changes the text

    new: list[int] = []
    with eval_mode(target), eval_mode(draft), torch.inference_mode():
        while len(new) < config.max_new_tokens:
            # Proposals must fit the target's window and leave room for the target's own token.
            j = min(k, checker.room(len(tokens)), config.max_new_tokens - len(new) - 1)
            guesses, q = _propose(guesser, tokens, j, config, generator)
            # One pass of the target scores the text after each proposal, and after the last.
            logits = checker.scores(tokens + guesses, j)
            p = torch.stack(
                [
                    _distribution(logits[i], config, previous=tokens + guesses[:i])
                    for i in range(j + 1)
                ]
            )
            if config.temperature == 0:
                accepted = accept_greedy(guesses, p)
            else:
                accepted = accept_sampled(guesses, q, p, generator)
            stats.proposed += j
            stats.accepted += len(accepted) - 1
            valid = len(tokens) + len(accepted) - 1  # the proposals kept: the caches may keep them
            checker.keep(valid)
            guesser.keep(valid)
            stopped = False
            for token in accepted:
                stopped = token in config.stop_tokens
                if stopped:
                    break  # as generate(): the stop token ends the text and is not returned
                tokens.append(token)
                new.append(token)
            if stopped:
                break
            checker.follow(len(tokens))
    stats.target_passes, stats.generated = checker.passes, len(new)
    return new, stats


def _propose(
    guesser: _Reader,
    tokens: list[int],
    j: int,
    config: SamplingConfig,
    generator: torch.Generator | None,
) -> tuple[list[int], Tensor]:
    """The draft's ``j`` proposals after ``tokens``, and the distributions ``[j, vocab]`` each
    was drawn from (the draft's own argmax under greedy decoding)."""
    guesses: list[int] = []
    probs = []
    if j > 0:
        guesser.follow(len(tokens), j - 1)  # room for the proposals it reads back
    for _ in range(j):
        text = tokens + guesses
        q = _distribution(guesser.scores(text, 0)[0], config, previous=text)
        if config.temperature == 0:
            guesses.append(int(q.argmax()))
        else:
            guesses.append(int(torch.multinomial(q, 1, generator=generator)))
        probs.append(q)
    vocab = guesser.model.config.vocab_size
    return guesses, torch.stack(probs) if probs else torch.empty(0, vocab)
