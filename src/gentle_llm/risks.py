"""Measuring an LLM's risks with small experiments (Chapter 11).

Chapter 11 explains each idea this module puts into code:

* **confidence of an answer**: the mean log-probability of the tokens the model chose, and the
  mean entropy (in bits) of the distributions it chose them from (:func:`answer_confidence`);
  :func:`greedy_answers` answers many chat prompts at once and measures both;
* **log-probability probes**: how likely a model finds each filler of a template, e.g. " he"
  or " she" after "The nurse said that" (:func:`continuation_logprobs`);
* **canaries**: a made-up secret planted in training text (:func:`insert_canary`), and its
  *exposure* (Carlini et al., 2019, "The Secret Sharer"): how far up the model ranks the secret
  among candidates it never saw (:func:`exposure`);
* **a guard classifier**: logistic regression on sentence embeddings (:func:`fit_logistic`),
  judged by precision and recall (:func:`precision_recall`).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gentle_llm import checks
from gentle_llm.common import IGNORE_INDEX, eval_mode, logits_of, sequence_logprob

__all__ = [
    "Answer",
    "Confidence",
    "answer_confidence",
    "chat_prompt",
    "continuation_logprobs",
    "exposure",
    "fit_logistic",
    "greedy_answers",
    "insert_canary",
    "precision_recall",
]


class Confidence(NamedTuple):
    """How sure a model was of the tokens it wrote."""

    mean_logprob: float  # mean natural-log probability of each chosen token (0 = certain)
    mean_entropy: float  # mean entropy, in bits, of the distributions they were chosen from


class Answer(NamedTuple):
    """One answer of :func:`greedy_answers`: its text and the model's confidence in it."""

    text: str
    confidence: Confidence


def answer_confidence(logits: Tensor, answer_ids: Tensor) -> Confidence:
    """Mean log-probability and mean entropy (bits) of an answer's tokens.

    ``logits`` [n, vocab] are the scores the model gave before choosing each of the ``n``
    answer tokens ``answer_ids`` [n]: row i is the distribution token i was picked from.
    """
    checks.tensor(logits, "logits", dims=2, shape="[answer tokens, vocab]", floating=True)
    checks.tensor(answer_ids, "answer_ids", dims=1, shape="[answer tokens]")
    checks.not_empty(answer_ids, "answer_ids", "give at least one answer token.")
    fix = "give one row of logits per answer token."
    checks.same(len(logits), len(answer_ids), "The numbers of logits rows and answer tokens", fix)
    log_probs = F.log_softmax(logits.float(), dim=-1)
    chosen = log_probs.gather(-1, answer_ids.long().unsqueeze(-1)).squeeze(-1)
    # p * log p is 0 for p = 0; where log p is -inf the product would be nan, so zero it.
    p_log_p = torch.where(log_probs.isinf(), 0.0, log_probs.exp() * log_probs)
    entropy_bits = -p_log_p.sum(-1) / math.log(2)
    return Confidence(chosen.mean().item(), entropy_bits.mean().item())


def chat_prompt(tokenizer: Any, question: str, system: str | None = None) -> str:
    """The chat-formatted text of one user turn, ready for the assistant's answer."""
    checks.text(question, "question", example="What is the capital of France?")
    messages = [{"role": "system", "content": system}] if system else []
    messages.append({"role": "user", "content": question})
    return tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)


def greedy_answers(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[str],
    max_new_tokens: int = 24,
    batch_size: int = 16,
    group_prompts: bool = False,
) -> list[Answer]:
    """Greedy answers of a ``transformers`` chat model to ``prompts``, with their confidence.

    Prompts are answered ``batch_size`` at a time, padded on the left so that every answer
    starts right after its prompt: on a CPU one batch costs far less than that many single
    runs. Each answer ends at the end-of-turn token or after ``max_new_tokens`` tokens.
    With ``group_prompts=True`` each distinct prompt is answered once (greedy decoding gives
    a prompt one answer) and batches hold prompts of similar length, so little of a batch is
    padding; the answers still come back in the order of ``prompts``.
    """
    if isinstance(prompts, str):
        raise TypeError("prompts must be a list of strings: wrap one prompt as [prompt].")
    prompts = [checks.text(p, f"prompts[{i}]") for i, p in enumerate(prompts)]
    checks.whole_number(max_new_tokens, "max_new_tokens")
    checks.whole_number(batch_size, "batch_size")
    if group_prompts:
        # First-appearance order, then a stable sort: the same batches on every run.
        distinct = sorted(dict.fromkeys(prompts), key=lambda p: len(tokenizer.encode(p)))
        answers = greedy_answers(model, tokenizer, distinct, max_new_tokens, batch_size)
        answered = dict(zip(distinct, answers, strict=True))
        return [answered[p] for p in prompts]
    side, tokenizer.padding_side = tokenizer.padding_side, "left"
    answers = []
    try:
        for start in range(0, len(prompts), batch_size):
            batch = tokenizer(
                prompts[start : start + batch_size],
                return_tensors="pt",
                padding=True,
                add_special_tokens=False,  # the chat template already has its own
            )
            with torch.no_grad():
                out = model.generate(
                    **batch,
                    do_sample=False,
                    max_new_tokens=max_new_tokens,
                    output_logits=True,  # the raw scores each token was chosen from
                    return_dict_in_generate=True,
                    pad_token_id=tokenizer.pad_token_id,
                )
            new = out.sequences[:, batch["input_ids"].shape[1] :]
            logits = torch.stack(out.logits, dim=1)  # [batch, new tokens, vocab]
            for row, row_logits in zip(new, logits, strict=True):
                # Keep the tokens before the first end-of-turn; after it come only pads.
                ends = (row == tokenizer.eos_token_id).nonzero()
                length = int(ends[0]) if len(ends) else len(row)
                kept = max(length, 1)  # an empty answer still has one chosen token, the end
                confidence = answer_confidence(row_logits[:kept], row[:kept])
                text = tokenizer.decode(row[:length], skip_special_tokens=True).strip()
                answers.append(Answer(text, confidence))
    finally:
        tokenizer.padding_side = side
    return answers


def continuation_logprobs(
    model: Any, prefix_ids: Sequence[int], continuations: Sequence[Sequence[int]]
) -> Tensor:
    """``log P(continuation | prefix)`` for each continuation, one number each [n].

    ``model`` is our GPT or Llama or a ``transformers`` causal LM; ids come from its own
    tokenizer. Every continuation is scored after the same prefix, in one batch.
    """
    prefix = [int(t) for t in prefix_ids]
    if not prefix or not continuations or not all(continuations):
        raise ValueError("Give a non-empty prefix and at least one non-empty continuation.")
    rows = [prefix + [int(t) for t in c] for c in continuations]
    width = max(len(r) for r in rows)
    # Pad on the right: a causal model's earlier positions never see the padding.
    ids = torch.tensor([r + [0] * (width - len(r)) for r in rows])
    labels = torch.full_like(ids, IGNORE_INDEX)
    for i, c in enumerate(continuations):
        labels[i, len(prefix) : len(prefix) + len(c)] = ids[i, len(prefix) : len(prefix) + len(c)]
    with eval_mode(model), torch.no_grad():
        logits = logits_of(model, ids)
    return sequence_logprob(logits, labels)


def insert_canary(text: str, canary: str, copies: int, seed: int = 0) -> str:
    """``text`` with ``copies`` copies of the line ``canary`` put after random line breaks."""
    checks.text(text, "text")
    checks.text(canary, "canary", example="My PIN is 7350918264.")
    checks.whole_number(copies, "copies", minimum=0)
    lines = text.split("\n")
    places = random.Random(seed).choices(range(len(lines)), k=copies)
    for place in sorted(places, reverse=True):  # from the end, so earlier places stay put
        lines.insert(place + 1, canary)
    return "\n".join(lines)


def exposure(secret_score: float, other_scores: Tensor) -> float:
    """Carlini et al.'s exposure: ``log2(candidates) - log2(rank of the secret)``, in bits.

    ``other_scores`` are the model's scores (e.g. log-probabilities) of candidates it never
    saw in training; the secret is one more candidate. Rank 1 (no candidate scores higher,
    ties counted against the secret) gives the largest exposure, ``log2(len(other) + 1)``;
    a secret ranked like a typical candidate gives about 1 bit.
    """
    checks.tensor(other_scores, "other_scores", dims=1, shape="[candidates]", floating=True)
    checks.not_empty(other_scores, "other_scores", "score some candidates the model never saw.")
    secret = checks.number(secret_score, "secret_score")
    rank = 1 + int((other_scores >= secret).sum())
    return math.log2(len(other_scores) + 1) - math.log2(rank)


def fit_logistic(
    features: Tensor, labels: Tensor, steps: int = 300, lr: float = 0.1, weight_decay: float = 0.01
) -> nn.Linear:
    """Logistic regression: a linear layer whose sigmoid gives ``P(label = 1)``.

    Trained by full-batch Adam on the binary cross-entropy from zero weights, so the same data
    always gives the same classifier. ``weight_decay`` keeps the weights small, which helps
    when there are far fewer examples than features.
    """
    checks.tensor(features, "features", dims=2, shape="[examples, features]", floating=True)
    checks.tensor(labels, "labels", dims=1, shape="[examples] of 0s and 1s")
    if len(features) != len(labels) or not set(labels.tolist()) <= {0, 1}:
        raise ValueError("labels must hold one 0 or 1 per row of features.")
    checks.whole_number(steps, "steps")
    lr = checks.number(lr, "lr", low=0, low_open=True)
    layer = nn.Linear(features.shape[1], 1)
    nn.init.zeros_(layer.weight)
    nn.init.zeros_(layer.bias)
    optimizer = torch.optim.AdamW(layer.parameters(), lr=lr, weight_decay=weight_decay)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.binary_cross_entropy_with_logits(layer(features).squeeze(-1), labels.float())
        loss.backward()
        optimizer.step()
    return layer


def precision_recall(predicted: Tensor, actual: Tensor) -> tuple[float, float]:
    """Precision (flagged items that are truly positive) and recall (positives flagged).

    Both tensors hold 0/1 or booleans. With nothing flagged, precision is taken as 1.0 (no
    false alarms); with no positives, recall is 1.0 (nothing was missed).
    """
    checks.tensor(predicted, "predicted", dims=1, shape="[items]")
    checks.tensor(actual, "actual", dims=1, shape="[items]")
    fix = "predicted and actual need one entry per item each."
    checks.same(len(predicted), len(actual), "The lengths of predicted and actual", fix)
    predicted, actual = predicted.bool(), actual.bool()
    true_positives = int((predicted & actual).sum())
    flagged, positives = int(predicted.sum()), int(actual.sum())
    precision = true_positives / flagged if flagged else 1.0
    recall = true_positives / positives if positives else 1.0
    return precision, recall
