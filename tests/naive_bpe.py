"""The obvious, slow BPE: the reference that gentle_llm's fast trainer must agree with.

After every merge it recounts every adjacent pair of every chunk of the whole text, then
rewrites every chunk. Same tie rule as ``gentle_llm.tokenizers.train_merges``: the highest
count wins, and among equal counts the smallest pair (left id first, then right id).
"""

from __future__ import annotations

from itertools import pairwise

import regex

Pair = tuple[int, int]


def merge(ids: list[int], pair: Pair, new_id: int) -> list[int]:
    """Replace each occurrence of ``pair``, scanning left to right, by ``new_id``."""
    out = []
    i = 0
    while i < len(ids):
        if ids[i : i + 2] == list(pair):
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def split(text: str, pattern: str) -> list[list[int]]:
    """Every chunk of the text (repeats included) as a list of byte values."""
    return [list(chunk.encode("utf-8")) for chunk in regex.findall(pattern, text)]


def naive_train(text: str, num_merges: int, pattern: str) -> list[Pair]:
    """Learn up to ``num_merges`` merges, recounting all pairs from scratch each time."""
    chunks = split(text, pattern)
    merges: list[Pair] = []
    for step in range(num_merges):
        counts: dict[Pair, int] = {}
        for ids in chunks:
            for pair in pairwise(ids):
                counts[pair] = counts.get(pair, 0) + 1
        if not counts:
            break
        best = max(counts, key=lambda p: (counts[p], -p[0], -p[1]))
        chunks = [merge(ids, best, 256 + step) for ids in chunks]
        merges.append(best)
    return merges


def naive_encode(text: str, merges: list[Pair], pattern: str) -> list[int]:
    """Apply the merges in training order to every chunk."""
    out: list[int] = []
    for ids in split(text, pattern):
        for rank, pair in enumerate(merges):
            ids = merge(ids, pair, 256 + rank)
        out.extend(ids)
    return out
