"""Supervised fine-tuning: teach a model to answer, and only grade its answers (Chapter 8).

Chapter 8 explains why the prompt is masked. A fine-tuning example is a prompt and the answer
we want. The model reads both, but the loss should count only the answer tokens: the model
is not asked to learn to write questions. PyTorch's ``cross_entropy`` skips every target equal
to ``ignore_index`` (-100 by default), so the labels hold -100 on prompt and padding tokens.

* :class:`SimpleChat` is a plain chat template for the course's tiny character and BPE models;
  :class:`HFChat` uses a ``transformers`` tokenizer's own chat template (SmolLM2's).
* :func:`make_batch` pads prompt/answer pairs into ``(input_ids, labels, attention_mask)``;
  :func:`masked_loss` is the loss over answer tokens only.
* :func:`instruction_splits` makes a small dataset of instructions with checkable answers
  (adding numbers, reversing a word, capital letters, the next letter of the alphabet), and
  :func:`answer_accuracy` scores a model's greedy answers on it by exact match.

Labels follow the ``transformers`` convention: ``labels[t]`` is the token at position ``t``
(or -100), and the model's prediction at ``t`` is graded against ``labels[t + 1]``. So the
same batch trains our GPT (through :func:`masked_loss`) and a ``transformers`` model
(``model(input_ids, labels=labels)`` gives the same loss).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gentle_llm import checks
from gentle_llm.common import IGNORE_INDEX
from gentle_llm.generate import SamplingConfig, generate

__all__ = [
    "IGNORE_INDEX",
    "TASKS",
    "Batch",
    "ChatFormat",
    "HFChat",
    "Instruction",
    "SimpleChat",
    "answer_accuracy",
    "instruction_splits",
    "make_batch",
    "masked_loss",
]


TASKS = ("add", "reverse", "upper", "next_letter")

# Short, common words: every task's answer can be checked by eye.
_WORDS = (
    "apple bird cake door fish game hand king lamp moon nest open park queen rain star tree "
    "wolf yard zero bread chair dream earth flame grape house juice light music night ocean "
    "plant river stone tiger water smile horse cloud green paper sugar table train voice "
    "watch world beach brush candy dance eagle fruit glass honey lemon money north pearl "
    "quiet robot sheep snake sound storm"
).split()


# -- chat templates -----------------------------------------------------------------------


class ChatFormat(Protocol):
    """How a question and its answer become token ids for one model."""

    stop_ids: tuple[int, ...]  # the token(s) that end an answer: generation stops there

    def prompt_ids(self, question: str) -> list[int]:
        """The tokens the model reads before it answers."""
        ...

    def answer_ids(self, answer: str) -> list[int]:
        """The answer's tokens, ending with the end-of-answer token."""
        ...

    def decode_answer(self, ids: Sequence[int]) -> str:
        """Generated tokens back to the answer text."""
        ...


class SimpleChat:
    """``"Q: {question}\\nA: "`` then ``"{answer}\\n"``: a template a tiny model can learn.

    The newline ends the answer, so a character tokenizer needs no special token. ``tokenizer``
    is any of the course's tokenizers (``encode``/``decode``), e.g. a ``CharTokenizer`` built
    from the dataset's own text.
    """

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        end = tokenizer.encode("\n")
        if len(end) != 1:
            raise ValueError(
                "SimpleChat ends every answer with a newline, which must be one token; this "
                f"tokenizer makes {len(end)} tokens of it."
            )
        self.stop_ids = (end[0],)

    @staticmethod
    def prompt_text(question: str) -> str:
        return f"Q: {question}\nA: "

    def prompt_ids(self, question: str) -> list[int]:
        return self.tokenizer.encode(self.prompt_text(question))

    def answer_ids(self, answer: str) -> list[int]:
        return self.tokenizer.encode(answer) + list(self.stop_ids)

    def decode_answer(self, ids: Sequence[int]) -> str:
        ids = list(ids)
        if ids and ids[-1] in self.stop_ids:
            ids = ids[:-1]
        return self.tokenizer.decode(ids).strip()


class HFChat:
    """A ``transformers`` tokenizer's own chat template (``apply_chat_template``).

    The prompt is the conversation so far with the "assistant, your turn" marker added; the
    answer is whatever the template appends when the assistant's message is included (for
    SmolLM2: the text, ``<|im_end|>`` and a newline). Generation stops at the end-of-text token.
    """

    def __init__(self, tokenizer: Any, system: str | None = None) -> None:
        if not hasattr(tokenizer, "apply_chat_template") or not tokenizer.chat_template:
            raise ValueError("HFChat needs a transformers tokenizer that has a chat template.")
        self.tokenizer = tokenizer
        self.system = system
        if tokenizer.eos_token_id is None:
            raise ValueError("This tokenizer has no end-of-text token to stop answers at.")
        self.stop_ids = (int(tokenizer.eos_token_id),)

    def _messages(self, question: str) -> list[dict[str, str]]:
        system = [{"role": "system", "content": self.system}] if self.system else []
        return [*system, {"role": "user", "content": question}]

    def prompt_text(self, question: str) -> str:
        return self.tokenizer.apply_chat_template(
            self._messages(question), tokenize=False, add_generation_prompt=True
        )

    def prompt_ids(self, question: str) -> list[int]:
        return self._encode(self.prompt_text(question))

    def answer_ids(self, answer: str, question: str = "?") -> list[int]:
        # The template decides what follows an answer: render the whole chat, cut the prompt.
        prompt = self.prompt_text(question)
        messages = [*self._messages(question), {"role": "assistant", "content": answer}]
        full = self.tokenizer.apply_chat_template(messages, tokenize=False)
        if not full.startswith(prompt):
            raise ValueError("This chat template does not extend the prompt with the answer.")
        return self._encode(full[len(prompt) :])

    def decode_answer(self, ids: Sequence[int]) -> str:
        return self.tokenizer.decode(list(ids), skip_special_tokens=True).strip()

    def _encode(self, text: str) -> list[int]:
        # The template already wrote the special tokens; do not let the tokenizer add more.
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]


# -- batches and the masked loss ----------------------------------------------------------


@dataclass
class Batch:
    """``input_ids``, ``labels`` (-100 on prompt and padding) and ``attention_mask``, [B, T]."""

    input_ids: Tensor
    labels: Tensor
    attention_mask: Tensor


def make_batch(
    pairs: Sequence[tuple[Sequence[int], Sequence[int]]],
    pad_id: int = 0,
    max_length: int | None = None,
) -> Batch:
    """Pad ``(prompt_ids, answer_ids)`` pairs on the right into one :class:`Batch`.

    Labels repeat the answer tokens and hold -100 everywhere else, so the loss counts answer
    tokens only. Padding on the right never changes what a causal model computes for the
    real tokens before it. A pair longer than ``max_length`` (e.g. the model's block size) is
    an error rather than silently cut.
    """
    checks.whole_number(pad_id, "pad_id", minimum=0)
    rows = [(list(prompt), list(answer)) for prompt, answer in pairs]
    checks.not_empty(rows, "pairs", "make_batch needs at least one (prompt_ids, answer_ids) pair.")
    for prompt, answer in rows:
        if not prompt or not answer:
            raise ValueError("Every pair needs a non-empty prompt and a non-empty answer.")
    longest = max(len(p) + len(a) for p, a in rows)
    if max_length is not None and longest > checks.whole_number(max_length, "max_length"):
        raise ValueError(
            f"The longest prompt + answer has {longest} tokens, more than max_length="
            f"{max_length}; use shorter examples or a model with a longer context."
        )
    input_ids = torch.full((len(rows), longest), pad_id, dtype=torch.long)
    labels = torch.full((len(rows), longest), IGNORE_INDEX, dtype=torch.long)
    attention = torch.zeros((len(rows), longest), dtype=torch.long)
    for i, (prompt, answer) in enumerate(rows):
        n, m = len(prompt), len(answer)
        input_ids[i, : n + m] = torch.tensor(prompt + answer)
        labels[i, n : n + m] = torch.tensor(answer)
        attention[i, : n + m] = 1
    return Batch(input_ids, labels, attention)


def masked_loss(logits: Tensor, labels: Tensor) -> Tensor:
    """Mean cross-entropy of next-token predictions over the tokens whose label is not -100.

    ``logits`` [B, T, vocab] come from the model reading ``input_ids``; the prediction at
    position t is graded against ``labels[:, t + 1]``, the token that followed.
    """
    checks.tensor(logits, "logits", dims=3, shape="[batch, time, vocab]", floating=True)
    checks.tensor(labels, "labels", dims=2, shape="[batch, time]")
    if (labels[:, 1:] == IGNORE_INDEX).all():
        raise ValueError("Every label is -100: there is no answer token to learn from.")
    predictions = logits[:, :-1].flatten(0, 1).float()
    return F.cross_entropy(predictions, labels[:, 1:].flatten(), ignore_index=IGNORE_INDEX)


# -- a dataset with checkable answers -----------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    """One example: which task, the question, and its one right answer."""

    task: str
    question: str
    answer: str


def _task_pool(task: str, max_number: int, words: Sequence[str]) -> list[Instruction]:
    """Every distinct question of one task."""
    if task == "add":
        numbers = range(max_number + 1)
        return [
            Instruction(task, f"What is {a} + {b}?", str(a + b)) for a in numbers for b in numbers
        ]
    if task == "reverse":
        return [Instruction(task, f"Reverse the word {w}.", w[::-1]) for w in words]
    if task == "upper":
        return [Instruction(task, f"Write {w} in capital letters.", w.upper()) for w in words]
    letters = "abcdefghijklmnopqrstuvwxyz"
    return [
        Instruction(task, f"Which letter comes after {x}?", y)
        for x, y in zip(letters, letters[1:], strict=False)
    ]


def instruction_splits(
    n_train: int,
    n_test: int,
    seed: int = 0,
    tasks: Sequence[str] = TASKS,
    max_number: int = 20,
    words: Sequence[str] | None = None,
) -> tuple[list[Instruction], list[Instruction]]:
    """``(train, held_out)`` instructions; no question of ``held_out`` appears in ``train``.

    Each task's distinct questions are shuffled by ``seed``, then the tasks take turns, so both
    splits mix the tasks evenly until a task runs out of questions (``next_letter`` has 25,
    ``reverse`` and ``upper`` one per word of a built-in list, ``add`` one per pair of numbers
    0 to ``max_number``). The held-out split is dealt first. Same ``seed``, same examples.
    ``words`` replaces the built-in list for ``reverse`` and ``upper``: a model that must
    learn the rule rather than memorise the answers needs thousands of words (Chapter 8's lab
    takes them from Tiny Shakespeare).
    """
    checks.whole_number(n_train, "n_train", minimum=0)
    checks.whole_number(n_test, "n_test", minimum=0)
    checks.whole_number(max_number, "max_number", minimum=1)
    tasks = checks.not_empty(list(tasks), "tasks", f"choose some of {TASKS}.")
    for task in tasks:
        checks.one_of(task, "task", TASKS)
    words = _WORDS if words is None else _check_words(words)
    rng = random.Random(seed)
    pools = []
    for task in dict.fromkeys(tasks):  # each task once, in the order given
        pool = _task_pool(task, max_number, words)
        rng.shuffle(pool)
        pools.append(pool)
    dealt = [ex for turn in itertools.zip_longest(*pools) for ex in turn if ex is not None]
    hint = (
        f"These tasks have {len(dealt)} distinct questions: ask for fewer, add tasks or raise "
        "max_number."
    )
    checks.whole_number(n_train + n_test, "n_train + n_test", 0, len(dealt), hint=hint)
    return dealt[n_test : n_test + n_train], dealt[:n_test]


def _check_words(words: Sequence[str]) -> tuple[str, ...]:
    """Distinct lower-case words: each one gives exactly one question per task."""
    words = tuple(checks.text(w, "each entry of words", example="apple") for w in words)
    checks.not_empty(words, "words", "give some lower-case words, e.g. ['apple', 'moon'].")
    bad = [w for w in words if not (w.isalpha() and w.islower())]
    if bad:
        raise ValueError(f"words must be lower-case letters only; got {bad[:3]!r}.")
    if len(set(words)) != len(words):
        raise ValueError("words holds a word twice; each word must appear once.")
    return words


def answer_accuracy(
    model: nn.Module | Callable[..., Any],
    chat: ChatFormat,
    examples: Sequence[Instruction],
    max_new_tokens: int = 16,
) -> float:
    """The fraction of ``examples`` the model answers exactly right with greedy decoding.

    The answer is what the model writes before its end-of-answer token (at most
    ``max_new_tokens`` tokens), with surrounding spaces removed.
    """
    checks.not_empty(examples, "examples", "answer_accuracy needs at least one example.")
    config = SamplingConfig(max_new_tokens=max_new_tokens, temperature=0, stop_tokens=chat.stop_ids)
    right = 0
    for example in examples:
        new = generate(model, chat.prompt_ids(example.question), config)
        right += chat.decode_answer(new) == example.answer
    return right / len(examples)
