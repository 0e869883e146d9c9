"""Training data: the corpus, its token stream, the train/validation split, batches, evaluation.

Chapter 6 explains training data: a language model learns from one long stream of token ids.
We cut the stream once into a training part (the first 90 %) and a validation part (the last
10 %), draw random windows from the training part as batches, and judge the model on the whole
validation part, which it never trains on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, TypeVar

import torch

from gentle_llm import checks
from gentle_llm.common import eval_mode, model_device
from gentle_llm.tokenizers.base import Tokenizer

__all__ = [
    "TRAIN_FRACTION",
    "BatchSampler",
    "TokenData",
    "evaluate_sampled",
    "unpack_data",
    "bpe_dataset",
    "char_dataset",
    "encode_stream",
    "evaluate_full",
    "load_tinyshakespeare",
    "train_val_split",
]

TRAIN_FRACTION = 0.9
"""The share of the stream used for training; the rest is validation (Chapter 6)."""

S = TypeVar("S", str, torch.Tensor, Sequence[int])


def load_tinyshakespeare() -> str:
    """Return the Tiny Shakespeare corpus (about 1.1 million characters) as one string.

    The file comes through the asset registry, so it is read from the cache or the offline
    mirror when there is one (Chapter 6 uses it as the training corpus).
    """
    from gentle_llm.assets import fetch

    return fetch("tinyshakespeare").read_text(encoding="utf-8")


def train_val_split(stream: S, train_fraction: float = TRAIN_FRACTION) -> tuple[S, S]:
    """Cut a stream into its first ``train_fraction`` (training) and the rest (validation).

    The split is by position, not at random: neighbouring characters are strongly related,
    so a random split would leak training text into validation (Chapter 6).
    """
    hint = "Pick a share between 0 and 1; the course uses 0.9."
    checks.number(
        train_fraction, "train_fraction", low=0, high=1, low_open=True, high_open=True, hint=hint
    )
    fix = "give at least 2 tokens (in practice thousands) to split."
    checks.not_empty(stream, "The stream", fix, minimum=2)
    cut = int(len(stream) * train_fraction)
    cut = min(max(cut, 1), len(stream) - 1)
    return stream[:cut], stream[cut:]


def encode_stream(text: str, tokenizer: Tokenizer) -> torch.Tensor:
    """Encode a whole text into one 1-D tensor of token ids.

    Ids are stored as ``uint16`` when the vocabulary fits (a quarter of the memory of int64);
    :class:`BatchSampler` and :func:`evaluate_full` widen them to int64 when they index.
    """
    ids = tokenizer.encode(text)
    dtype = torch.uint16 if tokenizer.vocab_size <= 2**16 else torch.int64
    return torch.tensor(ids, dtype=torch.int64).to(dtype)


@dataclass
class TokenData:
    """A tokenised corpus cut into training and validation streams, with its tokenizer."""

    train: torch.Tensor
    val: torch.Tensor
    tokenizer: Any

    @property
    def vocab_size(self) -> int:
        """The number of distinct token ids (the model's ``vocab_size``)."""
        return int(self.tokenizer.vocab_size)


def char_dataset(text: str | None = None) -> TokenData:
    """Character-level token streams of ``text`` (default: Tiny Shakespeare), split 90/10.

    The vocabulary is every character that appears in the whole text (65 for Tiny
    Shakespeare), so the validation part never meets an unknown character.
    """
    from gentle_llm.tokenizers import CharTokenizer

    if text is None:
        text = load_tinyshakespeare()
    checks.text(text, "the corpus", example="the text of a book")
    tokenizer = CharTokenizer.from_text(text)
    train, val = train_val_split(encode_stream(text, tokenizer))
    return TokenData(train=train, val=val, tokenizer=tokenizer)


def bpe_dataset(tokenizer: Tokenizer, text: str | None = None) -> TokenData:
    """Token streams of ``text`` (default: Tiny Shakespeare) under a trained BPE tokenizer.

    The text is split 90/10 by characters *before* encoding, so the character-level and
    BPE experiments validate on exactly the same passage of text.
    """
    if text is None:
        text = load_tinyshakespeare()
    checks.text(text, "the corpus", example="the text of a book")
    train_text, val_text = train_val_split(text)
    return TokenData(
        train=encode_stream(train_text, tokenizer),
        val=encode_stream(val_text, tokenizer),
        tokenizer=tokenizer,
    )


def _check_stream(tokens: torch.Tensor, block_size: int, what: str) -> torch.Tensor:
    if not isinstance(tokens, torch.Tensor) or tokens.dim() != 1:
        got = tuple(tokens.shape) if isinstance(tokens, torch.Tensor) else type(tokens).__name__
        raise TypeError(
            f"{what} must be a 1-D torch tensor of token ids (see encode_stream), got {got}."
        )
    if len(tokens) < block_size + 1:
        raise ValueError(
            f"{what} has {len(tokens)} tokens but one window needs block_size + 1 = "
            f"{block_size + 1}: use a longer text or a smaller block_size."
        )
    return tokens.long()


def _as_stream(tokens: Any, what: str, vocab_size: int) -> torch.Tensor:
    """A 1-D tensor of token ids from a tensor or a list of ints, all below ``vocab_size``."""
    if not isinstance(tokens, torch.Tensor):
        try:
            tokens = torch.as_tensor(list(tokens), dtype=torch.long)
        except (TypeError, ValueError, RuntimeError):
            tokens = None
    if tokens is None or tokens.dim() != 1 or tokens.is_floating_point():
        raise TypeError(
            f"The {what} stream must be a 1-D tensor or list of int token ids. Pass "
            "data=TokenData(...) (see char_dataset) or a (train, val) pair of such streams."
        )
    fix = f"Build the model with the vocab_size of the tokenizer of the {what} stream."
    checks.token_ids(tokens, vocab_size, outside="outside the model's vocabulary", fix=fix)
    return tokens


def unpack_data(data: Any, vocab_size: int) -> tuple[torch.Tensor, torch.Tensor, Any]:
    """``(train, val, tokenizer)`` from a :class:`TokenData` or a ``(train, val)`` pair."""
    if isinstance(data, TokenData):
        train, val, tokenizer = data.train, data.val, data.tokenizer
    elif isinstance(data, (tuple, list)) and len(data) == 2:
        (train, val), tokenizer = data, None
    else:
        raise TypeError(
            f"data must be a TokenData or a (train, val) pair of token streams, got "
            f"{type(data).__name__}."
        )
    return (
        _as_stream(train, "training", vocab_size),
        _as_stream(val, "validation", vocab_size),
        tokenizer,
    )


class BatchSampler:
    """Draws random training windows: inputs ``x`` and the same windows shifted by one, ``y``.

    Chapter 6 explains why random windows work: every position of a window is a training
    example (predict the next token from the ones before), and random starts keep batches
    varied. All rows are gathered in one indexing operation, so sampling costs next to nothing
    beside a training step.

    One *global* batch of ``batch_size`` windows is drawn per optimizer step from a private
    ``torch.Generator``; it is then cut into ``micro_steps`` micro-batches (gradient
    accumulation) and ``world_size`` slices (one per process under DDP). Every process draws
    the same global batch and keeps its own slice, so the batch a step learns from is the same
    however the work is split.
    """

    def __init__(
        self,
        tokens: torch.Tensor,
        block_size: int,
        batch_size: int,
        *,
        seed: int = 0,
        micro_steps: int = 1,
        rank: int = 0,
        world_size: int = 1,
        device: torch.device | str = "cpu",
    ) -> None:
        for value, name in ((batch_size, "batch_size"), (micro_steps, "micro_steps")):
            checks.whole_number(value, name)
        parts = micro_steps * world_size
        why = f"choose a batch_size that is a multiple of {parts}."
        where = f"{micro_steps} accumulation step(s) x {world_size} process(es)"
        checks.divisible(batch_size, "batch_size", parts, where, why)
        self.device = torch.device(device)
        self.tokens = _check_stream(tokens, block_size, "the training stream").to(self.device)
        self.block_size = block_size
        self.batch_size = batch_size
        self.micro_steps = micro_steps
        self.rank = rank
        self.world_size = world_size
        self.generator = torch.Generator(device="cpu")
        self.generator.manual_seed(seed)
        self._offsets = torch.arange(block_size + 1, device=self.device)

    def sample(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Return this process's micro-batches ``[(x, y), ...]`` for one optimizer step.

        Each ``x`` and ``y`` has shape ``(batch_size // (micro_steps * world_size), block_size)``.
        """
        n_starts = len(self.tokens) - self.block_size
        starts = torch.randint(n_starts, (self.batch_size,), generator=self.generator)
        per_rank = self.batch_size // (self.micro_steps * self.world_size)
        mine = starts.view(self.micro_steps, self.world_size, per_rank)[:, self.rank]
        windows = self.tokens[mine.to(self.device)[..., None] + self._offsets]
        return [(w[:, :-1], w[:, 1:]) for w in windows.unbind(0)]

    def get_state(self) -> torch.Tensor:
        """The generator's state, to store in a checkpoint for an exact resume."""
        return self.generator.get_state()

    def set_state(self, state: torch.Tensor) -> None:
        """Restore a state saved by :meth:`get_state`."""
        self.generator.set_state(state)


@torch.no_grad()
def evaluate_full(
    model: torch.nn.Module,
    val_tokens: torch.Tensor,
    block_size: int,
    batch_size: int = 128,
    *,
    device: torch.device | str | None = None,
    autocast: Callable[[], AbstractContextManager] | None = None,
    rank: int = 0,
    world_size: int = 1,
) -> float:
    """Mean per-token loss over the whole validation stream (Chapter 6).

    The stream is cut into non-overlapping windows of ``block_size`` tokens, each predicting
    the token after every position. The last, shorter piece (fewer than ``block_size`` + 1
    tokens) is dropped, so each of the ``(len(val_tokens) - 1) // block_size`` windows counts
    equally and the number is the same on every run and every machine. The model is put in
    evaluation mode (no dropout) for the pass and given back in the mode it came in.

    ``model(x, y)`` must return ``(logits, loss)`` with ``loss`` the mean over the batch's
    tokens. ``autocast`` optionally makes a context manager for each forward pass (mixed
    precision on a GPU). Under DDP, pass ``rank`` and ``world_size``: each process scores its
    share of the windows and the sums are added up across processes.
    """
    checks.whole_number(batch_size, "batch_size")
    tokens = _check_stream(val_tokens, block_size, "the validation stream")
    if device is None:
        device = model_device(model)
    n_windows = (len(tokens) - 1) // block_size
    used = n_windows * block_size
    inputs = tokens[:used].view(n_windows, block_size)
    targets = tokens[1 : used + 1].view(n_windows, block_size)
    # Contiguous shares per process; the sums are added exactly, whatever the split.
    share = -(-n_windows // world_size)
    mine = range(rank * share, min((rank + 1) * share, n_windows))
    total = torch.zeros((), dtype=torch.float64, device=device)
    with eval_mode(model):
        for start in range(mine.start, mine.stop, batch_size):
            stop = min(start + batch_size, mine.stop)
            x = inputs[start:stop].to(device, non_blocking=True)
            y = targets[start:stop].to(device, non_blocking=True)
            with autocast() if autocast is not None else nullcontext():
                _, loss = model(x, y)
            # The loss is a mean over this batch; weight it by its token count for the total.
            total += loss.double() * x.numel()
    if world_size > 1:
        torch.distributed.all_reduce(total)
    return float(total.item() / used)


@torch.no_grad()
def evaluate_sampled(
    model: torch.nn.Module,
    val_tokens: torch.Tensor,
    block_size: int,
    batch_size: int,
    n_batches: int,
    *,
    seed: int = 0,
    device: torch.device | str = "cpu",
    autocast: Callable[[], AbstractContextManager] | None = None,
) -> float:
    """Mean loss over ``n_batches`` random validation batches: faster than the full pass.

    A fixed ``seed`` gives the same batches at every evaluation, so a loss curve is smooth, and
    a private generator leaves the training random streams untouched (exact resume needs that).
    """
    sampler = BatchSampler(val_tokens, block_size, batch_size, seed=seed, device=device)
    losses = []
    with eval_mode(model):
        for _ in range(n_batches):
            ((x, y),) = sampler.sample()
            with autocast() if autocast is not None else nullcontext():
                losses.append(model(x, y)[1].float())
    return float(torch.stack(losses).mean().item())
