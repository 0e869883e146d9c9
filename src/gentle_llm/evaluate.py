"""Measuring a language model: bits per byte of text, multiple-choice scoring (Chapter 10).

Chapter 10 explains both ways a benchmark asks a model without letting it write freely.

* **How well it predicts text.** :func:`text_bits_per_byte` adds up the model's loss over a
  text and divides by the text's UTF-8 bytes, so models with different tokenizers compare
  (perplexity per token does not: a token is a character for one and a word for another).
  :func:`unigram_bits_per_byte` is the baseline every model must beat: character frequencies
  and nothing else.
* **Which answer it finds most likely.** :func:`score_options` scores each option of a
  multiple-choice question by the log-probability of its tokens after the question, the way
  MMLU-style benchmarks are often scored without generation. :func:`choose` picks by the plain
  sum or by a length-normalised score, :func:`accuracy` counts, and :func:`wilson_interval`
  says how sure a measured proportion is (Wilson, 1927, "Probable inference, the law of
  succession, and statistical inference").

Models are gentle_llm's GPT or Llama (``model(ids)`` returns ``(logits, loss)``) or a
``transformers`` causal language model (``model(ids).logits``); tokenizers are gentle_llm's
(``encode``) or a ``transformers`` tokenizer (called without special tokens).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import torch
from torch import Tensor, nn

from gentle_llm import checks, metrics
from gentle_llm.common import IGNORE_INDEX, eval_mode, logits_of, sequence_logprob

__all__ = [
    "OptionScores",
    "TextScore",
    "accuracy",
    "choose",
    "encode",
    "score_options",
    "text_bits_per_byte",
    "unigram_bits_per_byte",
    "wilson_interval",
]

METHODS = ("sum", "per_token", "per_char")


def encode(tokenizer: Any, text: str) -> list[int]:
    """Token ids of ``text``: gentle_llm's ``encode``, or a transformers tokenizer's ids.

    A transformers tokenizer is called with ``add_special_tokens=False`` so that no start
    token is slipped between a question and its answer.
    """
    if hasattr(tokenizer, "convert_tokens_to_ids"):  # a transformers tokenizer
        return list(tokenizer(text, add_special_tokens=False).input_ids)
    return list(tokenizer.encode(text))


# -- text: bits per byte ----------------------------------------------------------------------


@dataclass
class TextScore:
    """The cost of a text under a model: total ``nats``, the ``tokens`` and ``bytes`` scored."""

    nats: float
    tokens: int
    bytes: int

    @property
    def bits_per_byte(self) -> float:
        """Total bits divided by bytes: compares models whatever their tokenizer (Chapter 6)."""
        return metrics.bits_per_byte(self.nats / self.tokens, self.tokens, self.bytes)

    @property
    def perplexity(self) -> float:
        """e to the mean loss per token: depends on what a token is."""
        return math.exp(self.nats / self.tokens)


@torch.no_grad()
def text_bits_per_byte(
    model: nn.Module, tokenizer: Any, text: str, context: int, batch_size: int = 8
) -> TextScore:
    """Score every token of ``text`` after the first, in windows of ``context`` tokens.

    The token stream is cut into windows that overlap by one token, so each token after the
    first is predicted exactly once, from the earlier tokens of its own window (on average
    half a window of context). The first token has nothing before it and is not scored, so
    its bytes are left out of the count.
    """
    checks.text(text, "text", example="a page of held-out text")
    context = checks.whole_number(context, "context", minimum=2, hint="e.g. the block_size.")
    ids = encode(tokenizer, text)
    fix = "text must be at least two tokens long to predict anything."
    checks.not_empty(ids, "The text's tokens", fix, minimum=2)
    stream = torch.tensor(ids)
    starts = range(0, len(ids) - 1, context - 1)
    windows = [stream[s : s + context] for s in starts]
    nats = 0.0
    with eval_mode(model):
        for i in range(0, len(windows), batch_size):
            batch = windows[i : i + batch_size]
            width = max(len(w) for w in batch)
            inputs = torch.zeros(len(batch), width, dtype=torch.long)
            labels = torch.full((len(batch), width), IGNORE_INDEX)
            for row, w in enumerate(batch):
                inputs[row, : len(w)] = w
                labels[row, : len(w)] = w
            logprob = sequence_logprob(logits_of(model, inputs), labels)
            nats -= float(logprob.sum())
    first = _decode(tokenizer, ids[:1])
    n_bytes = len(text.encode("utf-8")) - len(first.encode("utf-8"))
    return TextScore(nats=nats, tokens=len(ids) - 1, bytes=n_bytes)


def unigram_bits_per_byte(train_text: str, test_text: str, smoothing: float = 1.0) -> float:
    """Bits per byte of ``test_text`` under character frequencies counted in ``train_text``.

    Each character gets probability (count + smoothing) / (total + smoothing · alphabet),
    over the characters of both texts, so a character never seen in training costs a lot but
    not infinitely much (add-one, or Laplace, smoothing when ``smoothing`` is 1).
    """
    checks.text(train_text, "train_text")
    checks.text(test_text, "test_text")
    smoothing = checks.number(smoothing, "smoothing", low=0, low_open=True)
    counts = Counter(train_text)
    alphabet = set(train_text) | set(test_text)
    total = len(train_text) + smoothing * len(alphabet)
    bits = -sum(math.log2((counts[c] + smoothing) / total) for c in test_text)
    return bits / len(test_text.encode("utf-8"))


# -- multiple choice ---------------------------------------------------------------------------


@dataclass
class OptionScores:
    """Each option's summed log-probability (nats), token count and length in characters."""

    logprob: Tensor
    tokens: Tensor
    chars: Tensor

    def score(self, method: str = "sum") -> Tensor:
        """``sum``, or the sum divided by the option's tokens or characters."""
        checks.one_of(method, "method", METHODS)
        if method == "sum":
            return self.logprob
        return self.logprob / (self.tokens if method == "per_token" else self.chars)


@torch.no_grad()
def score_options(
    model: nn.Module, tokenizer: Any, prompt: str, options: Sequence[str]
) -> OptionScores:
    """``log P(option | prompt)`` for every option, in one batch.

    The prompt's tokens and each option's tokens are encoded apart and joined, so the option's
    tokens are the same whatever the prompt. Write the space between them into the option
    (``" Paris"``), the way it would appear in text. Only the option's tokens are scored.
    """
    checks.text(prompt, "prompt", example="Question: What is 2 + 2?\nAnswer:")
    if isinstance(options, str) or len(options) < 2:
        raise ValueError("options must be a list of at least two answers, e.g. [' 3', ' 4'].")
    head = encode(tokenizer, prompt)
    tails = [encode(tokenizer, checks.text(o, "an option")) for o in options]
    width = len(head) + max(len(t) for t in tails)
    inputs = torch.zeros(len(options), width, dtype=torch.long)
    labels = torch.full((len(options), width), IGNORE_INDEX)
    mask = torch.zeros(len(options), width, dtype=torch.long)
    for row, tail in enumerate(tails):
        n = len(head) + len(tail)
        inputs[row, :n] = torch.tensor(head + tail)
        labels[row, len(head) : n] = torch.tensor(tail)
        mask[row, :n] = 1
    with eval_mode(model):
        logprob = sequence_logprob(logits_of(model, inputs, mask), labels)
    return OptionScores(
        logprob=logprob,
        tokens=torch.tensor([len(t) for t in tails], dtype=torch.float32),
        chars=torch.tensor([len(o) for o in options], dtype=torch.float32),
    )


def choose(scores: OptionScores, method: str = "sum") -> int:
    """The index of the option with the highest score (the first one on a tie)."""
    return int(scores.score(method).argmax())


def accuracy(predictions: Sequence[int], answers: Sequence[int]) -> float:
    """The share of predictions equal to the answers."""
    checks.not_empty(answers, "answers", "give at least one answer to score.")
    fix = "give one prediction per answer."
    checks.same(len(predictions), len(answers), "The numbers of predictions and answers", fix)
    return sum(int(p) == int(a) for p, a in zip(predictions, answers, strict=True)) / len(answers)


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval for a proportion ``successes / n``.

    Unlike the textbook ``p ± 1.96 · sqrt(p(1 − p)/n)``, it stays inside [0, 1] and keeps a
    sensible width at 0 or n successes, which matters for the few dozen questions of a lab.
    """
    n = checks.whole_number(n, "n")
    hint = "(successes cannot exceed n.)"
    successes = checks.whole_number(successes, "successes", 0, n, hint=hint)
    confidence = checks.number(
        confidence, "confidence", low=0, high=1, low_open=True, high_open=True
    )
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    # At 0 or n successes the bound is exactly 0 or 1; say so rather than leave rounding dust.
    low = 0.0 if successes == 0 else centre - half
    high = 1.0 if successes == n else centre + half
    return low, high


# -- helpers --------------------------------------------------------------------------------


def _decode(tokenizer: Any, ids: list[int]) -> str:
    return str(tokenizer.decode(ids))
