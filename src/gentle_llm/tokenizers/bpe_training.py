"""Training byte pair encoding (Chapter 2): the naive trainer first, then the fast one.

BPE starts from the 256 byte values and, again and again, glues the most frequent pair of
neighbouring tokens into a new token. :func:`train_merges_naive` does exactly that and
nothing more: after every merge it recounts every pair of the whole text. Read it first.
:func:`train_merges` learns the *same* merges (a test checks it) far faster:

1. each distinct chunk is stored once, with its frequency as a weight;
2. ``where[pair]`` lists the chunks that contain a pair, so a merge only touches them;
3. a merge changes counts only inside those chunks, by the difference between the pairs of
   each chunk before and after;
4. a heap finds the most frequent pair; entries made stale by a later count change are
   skipped when they come to the top.
"""

from __future__ import annotations

import heapq
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from itertools import pairwise

import regex

__all__ = [
    "GPT2_SPLIT_PATTERN",
    "GPT4_SPLIT_PATTERN",
    "MergeRecord",
    "count_chunks",
    "encode_naive",
    "merge_pair",
    "resolve_pattern",
    "train_merges",
    "train_merges_naive",
]


# How GPT-2 and GPT-4 cut text into chunks before BPE runs (the same patterns as tiktoken's
# r50k_base and cl100k_base). Merges never cross a chunk boundary, so a token can never glue
# a word to the punctuation after it. GPT-4's pattern also keeps numbers to at most three
# digits, folds case in contractions ("DON'T") and keeps a newline apart from the next word.
GPT2_SPLIT_PATTERN = (
    r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
)
GPT4_SPLIT_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}"""
    r"""| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+"""
)
_NAMED_PATTERNS = {"gpt2": GPT2_SPLIT_PATTERN, "gpt4": GPT4_SPLIT_PATTERN}

Pair = tuple[int, int]


@dataclass(frozen=True)
class MergeRecord:
    """One step of BPE training: ``left`` and ``right`` became the new token ``new_id``."""

    rank: int  # 0 for the first merge
    left: int
    right: int
    new_id: int
    count: int  # how often the pair occurred in the training text just before the merge
    text: str  # the new token's text, readable (see readable_bytes)
    left_text: str
    right_text: str

    def __str__(self) -> str:
        return (
            f"merge {self.rank + 1}: {self.left_text!r} + {self.right_text!r} -> "
            f"{self.text!r} (id {self.new_id}, seen {self.count} times)"
        )


def merge_pair(ids: list[int], pair: Pair, new_id: int) -> list[int]:
    """Replace each occurrence of ``pair`` in ``ids``, left to right, by ``new_id``."""
    left, right = pair
    out = []
    i, n = 0, len(ids)
    while i < n:
        if i < n - 1 and ids[i] == left and ids[i + 1] == right:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def resolve_pattern(pattern: str) -> str:
    """The regex for a named pattern (``"gpt2"``, ``"gpt4"``); any other string is a regex."""
    return _NAMED_PATTERNS.get(pattern, pattern)


def special_splitter(special: Collection[str]) -> re.Pattern[str] | None:
    """A regex that finds special tokens; longest first, so one that contains another wins."""
    if not special:
        return None
    alternatives = "|".join(re.escape(s) for s in sorted(special, key=len, reverse=True))
    return re.compile(f"({alternatives})")


def check_special_tokens(special_tokens: Sequence[str]) -> None:
    if isinstance(special_tokens, str):
        raise TypeError(f"Pass special tokens as a list, e.g. [{special_tokens!r}].")
    if len(set(special_tokens)) != len(special_tokens) or not all(
        isinstance(s, str) and s for s in special_tokens
    ):
        raise ValueError(f"Special tokens must be distinct, non-empty strings: {special_tokens!r}")


# -- the naive trainer: read this one first ---------------------------------------------------


def train_merges_naive(text: str, num_merges: int, pattern: str = "gpt4") -> list[Pair]:
    """Learn up to ``num_merges`` merges the obvious, slow way (Chapter 2).

    Cut the text into chunks, each a list of byte values; then, for every merge, count every
    adjacent pair of every chunk, take the most frequent pair (among equal counts the smallest
    pair, left id first), and replace it everywhere by the next new id (256, 257, ...).
    """
    chunks = [list(c.encode("utf-8")) for c in regex.findall(resolve_pattern(pattern), text)]
    merges: list[Pair] = []
    for step in range(num_merges):
        counts: Counter[Pair] = Counter()
        for ids in chunks:
            counts.update(pairwise(ids))
        if not counts:
            break  # every chunk is a single token
        best = max(counts, key=lambda pair: (counts[pair], -pair[0], -pair[1]))
        chunks = [merge_pair(ids, best, 256 + step) for ids in chunks]
        merges.append(best)
    return merges


def encode_naive(text: str, merges: Sequence[Pair], pattern: str = "gpt4") -> list[int]:
    """Apply ``merges`` to every chunk in the order they were learned (the slow way)."""
    out: list[int] = []
    for chunk in regex.findall(resolve_pattern(pattern), text):
        ids = list(chunk.encode("utf-8"))
        for rank, pair in enumerate(merges):
            ids = merge_pair(ids, pair, 256 + rank)
        out.extend(ids)
    return out


# -- the fast trainer -------------------------------------------------------------------------


def count_chunks(text: str, pattern: str, special_tokens: Collection[str] = ()) -> Counter[bytes]:
    """Pre-split ``text`` with ``pattern`` and count each distinct chunk, as UTF-8 bytes.

    Special tokens are cut out first, so that training never merges across or into them.
    """
    compiled = regex.compile(resolve_pattern(pattern))
    splitter = special_splitter(special_tokens)
    parts = splitter.split(text)[::2] if splitter else [text]
    counts: Counter[str] = Counter()
    for part in parts:
        counts.update(compiled.findall(part))
    return Counter({chunk.encode("utf-8"): n for chunk, n in counts.items()})


def train_merges(
    chunk_counts: dict[bytes, int],
    num_merges: int,
    on_merge: Callable[[Pair, int, int], None] | None = None,
) -> list[Pair]:
    """Learn ``num_merges`` BPE merges from chunks and how often each occurs (Chapter 2).

    Each step merges the most frequent adjacent pair of tokens. Ties go to the pair with the
    smallest ids, compared left id first, then right id (``min`` on the tuple). Every adjacent
    position counts, so ``aaa`` holds the pair ``(a, a)`` twice.

    It learns what :func:`train_merges_naive` learns; the module docstring says why it is fast.

    ``on_merge(pair, new_id, count)`` is called after each merge.
    """
    words = [list(chunk) for chunk in chunk_counts]
    freqs = list(chunk_counts.values())
    pair_counts: dict[Pair, int] = defaultdict(int)
    where: dict[Pair, set[int]] = defaultdict(set)
    for w, (ids, freq) in enumerate(zip(words, freqs, strict=True)):
        for pair in pairwise(ids):
            pair_counts[pair] += freq
            where[pair].add(w)

    # Python's heap gives the smallest entry: (-count, pair) puts the highest count first,
    # and for equal counts the smallest pair, which is the tie rule.
    heap = [(-count, pair) for pair, count in pair_counts.items()]
    heapq.heapify(heap)

    merges: list[Pair] = []
    for rank in range(num_merges):
        while heap:
            neg_count, pair = heapq.heappop(heap)
            if pair_counts.get(pair) == -neg_count:
                break  # an up-to-date entry
        else:
            break  # no pairs left: every chunk is a single token
        new_id = 256 + rank
        delta: dict[Pair, int] = defaultdict(int)
        for w in where.pop(pair):
            old = words[w]
            new = merge_pair(old, pair, new_id)
            if len(new) == len(old):
                continue  # the pair left this chunk in an earlier merge
            words[w] = new
            freq = freqs[w]
            for p in pairwise(old):
                delta[p] -= freq
            for p in pairwise(new):
                delta[p] += freq
                where[p].add(w)
        for p, change in delta.items():
            if change:
                pair_counts[p] += change
                if pair_counts[p]:
                    heapq.heappush(heap, (-pair_counts[p], p))
                else:
                    del pair_counts[p]
        merges.append(pair)
        if on_merge is not None:
            on_merge(pair, new_id, -neg_count)
    return merges
