"""The byte-level BPE tokenizer of Chapter 2, GPT style, trained from scratch.

:meth:`BPETokenizer.train` learns merges with :func:`~gentle_llm.tokenizers.bpe_training.
train_merges`; encoding applies them to each chunk, earliest-learned first, as training did.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from itertools import pairwise

import regex

from gentle_llm import checks
from gentle_llm.tokenizers.base import (
    AllowedSpecial,
    SavesAsJson,
    check_ids,
    check_text,
    read_json,
    readable_bytes,
)
from gentle_llm.tokenizers.bpe_training import (
    MergeRecord,
    Pair,
    check_special_tokens,
    count_chunks,
    merge_pair,
    resolve_pattern,
    special_splitter,
    train_merges,
)

__all__ = ["BPETokenizer"]


class BPETokenizer(SavesAsJson):
    """Byte-level byte pair encoding, GPT style (Chapter 2).

    Text is cut into chunks by a regex (GPT-4's by default), each chunk becomes its UTF-8
    bytes (ids 0-255), and learned merges glue frequent neighbours into new tokens
    (ids 256, 257, ... in the order they were learned). Special tokens such as
    ``<|endoftext|>`` get the ids after the merges. Any text round-trips, because every
    byte has a token.

    Train one with :meth:`train`; build one from known merges with the constructor.
    """

    FORMAT = "gentle_llm.BPETokenizer"
    _CACHE_LIMIT = 100_000  # chunks remembered by encode; cleared when full

    def __init__(
        self,
        merges: Sequence[Pair] = (),
        *,
        pattern: str = "gpt4",
        special_tokens: Sequence[str] = (),
        name: str | None = None,
    ) -> None:
        self.pattern = resolve_pattern(pattern)
        self._compiled = regex.compile(self.pattern)
        self.merges: list[Pair] = []
        self.vocab: list[bytes] = [bytes([b]) for b in range(256)]
        for rank, (left, right) in enumerate(merges):
            if not (0 <= left < len(self.vocab) and 0 <= right < len(self.vocab)):
                raise ValueError(
                    f"Merge {rank} joins ids ({left}, {right}), but only ids below "
                    f"{len(self.vocab)} exist at that point: merges must be in training order."
                )
            self.merges.append((left, right))
            self.vocab.append(self.vocab[left] + self.vocab[right])
        self._rank = {pair: rank for rank, pair in enumerate(self.merges)}
        check_special_tokens(special_tokens)
        first = len(self.vocab)
        self.special_tokens: dict[str, int] = {s: first + i for i, s in enumerate(special_tokens)}
        self._special_text = {i: s for s, i in self.special_tokens.items()}
        self._splitter = special_splitter(self.special_tokens)
        self.name = name or f"bpe-{self.vocab_size}"
        self._cache: dict[str, list[int]] = {}

    # ---- training ----------------------------------------------------------------------

    @classmethod
    def train(
        cls,
        text: str,
        vocab_size: int,
        *,
        pattern: str = "gpt4",
        special_tokens: Sequence[str] = (),
        on_merge: Callable[[MergeRecord], None] | None = None,
        name: str | None = None,
    ) -> BPETokenizer:
        """Learn merges from ``text`` until the vocabulary has ``vocab_size`` tokens.

        ``vocab_size`` counts everything: 256 byte tokens, the merges, and the special tokens.
        ``pattern`` is ``"gpt4"``, ``"gpt2"`` or a regex of your own. ``on_merge`` receives a
        :class:`MergeRecord` after each merge, e.g. ``on_merge=print`` to watch training.
        """
        if not isinstance(text, str) or not text:
            raise ValueError("Cannot train on an empty text: pass the training corpus as a str.")
        check_special_tokens(special_tokens)
        base = 256 + len(special_tokens)
        hint = (
            f"A smaller one is too small: it leaves no room for merges, since the 256 byte "
            f"tokens and {len(special_tokens)} special token(s) already take {base} ids (try 512)."
        )
        checks.whole_number(vocab_size, "vocab_size", base + 1, hint=hint)
        num_merges = vocab_size - base
        chunk_counts = count_chunks(text, pattern, special_tokens)
        vocab = [bytes([b]) for b in range(256)]

        def record(pair: Pair, new_id: int, count: int) -> None:
            vocab.append(vocab[pair[0]] + vocab[pair[1]])
            if on_merge is not None:
                on_merge(
                    MergeRecord(
                        rank=new_id - 256,
                        left=pair[0],
                        right=pair[1],
                        new_id=new_id,
                        count=count,
                        text=readable_bytes(vocab[new_id]),
                        left_text=readable_bytes(vocab[pair[0]]),
                        right_text=readable_bytes(vocab[pair[1]]),
                    )
                )

        merges = train_merges(chunk_counts, num_merges, record)
        if len(merges) < num_merges:
            raise ValueError(
                f"The text allows only {len(merges)} merges (after that every chunk is a single "
                f"token), so the vocabulary cannot reach {vocab_size}: ask for at most "
                f"vocab_size={base + len(merges)}, or train on more text."
            )
        return cls(merges, pattern=pattern, special_tokens=special_tokens, name=name)

    # ---- the Tokenizer interface -------------------------------------------------------

    @property
    def vocab_size(self) -> int:
        return len(self.vocab) + len(self.special_tokens)

    def _encode_chunk(self, chunk: str) -> list[int]:
        """Apply merges to one chunk, earliest-learned pair first, as training did."""
        cached = self._cache.get(chunk)
        if cached is not None:
            return cached
        ids = list(chunk.encode("utf-8"))
        rank = self._rank
        while len(ids) >= 2:
            pair = min(pairwise(ids), key=lambda p: rank.get(p, len(rank)))
            if pair not in rank:
                break  # no mergeable pair left
            ids = merge_pair(ids, pair, 256 + rank[pair])
        if len(self._cache) >= self._CACHE_LIMIT:
            self._cache.clear()
        self._cache[chunk] = ids
        return ids

    def _encode_ordinary(self, text: str) -> list[int]:
        ids: list[int] = []
        for chunk in self._compiled.findall(text):
            ids.extend(self._encode_chunk(chunk))
        return ids

    def encode(self, text: str, *, allowed_special: AllowedSpecial = "none_raise") -> list[int]:
        """Text to ids. What happens to special-token text such as ``<|endoftext|>``:

        * ``"none_raise"`` (default): raise an error, so it never happens by accident;
        * ``"all"`` or a set of names: those become their special token;
        * ``"none"``: treated as ordinary text (several ordinary tokens).
        """
        check_text(text)
        if allowed_special == "none" or not self.special_tokens:
            return self._encode_ordinary(text)
        if allowed_special == "none_raise":
            found = [s for s in self.special_tokens if s in text]
            if found:
                raise ValueError(
                    f"The text contains the special token(s) {found}. Pass "
                    f"allowed_special='all' to encode them as special tokens, or "
                    f"allowed_special='none' to encode them as ordinary text."
                )
            return self._encode_ordinary(text)
        allowed = set(self.special_tokens) if allowed_special == "all" else set(allowed_special)
        unknown = allowed - self.special_tokens.keys()
        if unknown:
            raise ValueError(
                f"allowed_special names {sorted(unknown)}, which are not special tokens of this "
                f"tokenizer (it has {list(self.special_tokens)})."
            )
        assert self._splitter is not None
        ids: list[int] = []
        # split() with a capturing group alternates: ordinary text, special, ordinary, ...
        for i, part in enumerate(self._splitter.split(text)):
            if i % 2 and part in allowed:
                ids.append(self.special_tokens[part])
            else:
                ids.extend(self._encode_ordinary(part))
        return ids

    def token_bytes(self, token_id: int) -> bytes:
        """The bytes a token stands for (a special token: its UTF-8 text)."""
        check_ids([token_id], self.vocab_size)
        if token_id in self._special_text:
            return self._special_text[token_id].encode("utf-8")
        return self.vocab[token_id]

    def decode(self, ids: Sequence[int]) -> str:
        """Ids to text. Bytes that do not form valid UTF-8 become U+FFFD (replacement char)."""
        check_ids(ids, self.vocab_size)
        return b"".join(self.token_bytes(i) for i in ids).decode("utf-8", errors="replace")

    def pieces(self, text: str, *, allowed_special: AllowedSpecial = "none_raise") -> list[str]:
        return [
            readable_bytes(self.token_bytes(i))
            for i in self.encode(text, allowed_special=allowed_special)
        ]

    # ---- saving and loading --------------------------------------------------------------

    def to_json(self) -> str:
        """The tokenizer as human-readable JSON, one merge per line (what :meth:`save` writes).

        Each merge lists the two ids it joins, the new id and the new token's text (for
        reading only; loading uses the ids).
        """
        header = {
            "format": self.FORMAT,
            "version": 1,
            "name": self.name,
            "pattern": self.pattern,
            "special_tokens": self.special_tokens,
        }
        lines = [json.dumps(header, ensure_ascii=False, indent=1)[:-2] + ","]
        lines.append(' "merges": [')
        rows = [
            json.dumps([left, right, 256 + rank, readable_bytes(self.vocab[256 + rank])])
            for rank, (left, right) in enumerate(self.merges)
        ]
        lines.append(",\n".join("  " + row for row in rows))
        lines.append(" ]\n}\n")
        return "\n".join(lines)

    @classmethod
    def from_json(cls, text: str, *, source: str = "the tokenizer text") -> BPETokenizer:
        data = read_json(text, cls.FORMAT, source)
        try:
            merges = []
            for rank, row in enumerate(data["merges"]):
                left, right, new_id = (int(x) for x in row[:3])
                if new_id != 256 + rank:
                    raise ValueError(f"merge {rank} creates id {new_id}, expected {256 + rank}")
                merges.append((left, right))
            specials = sorted(data["special_tokens"].items(), key=lambda item: item[1])
            first = 256 + len(merges)
            if [i for _, i in specials] != list(range(first, first + len(specials))):
                raise ValueError(f"special token ids must follow the merges from id {first}")
            return cls(
                merges,
                pattern=data["pattern"],
                special_tokens=[s for s, _ in specials],
                name=data.get("name"),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(
                f"{source} is a damaged BPE tokenizer file ({error}). Save the tokenizer "
                f"again with BPETokenizer.save."
            ) from None

    def __repr__(self) -> str:
        return (
            f"BPETokenizer(name={self.name!r}, vocab_size={self.vocab_size}, "
            f"merges={len(self.merges)}, special_tokens={list(self.special_tokens)})"
        )
