"""Tokenizers: turning text into the integer ids a model reads, and back.

Chapter 2 explains every idea in this module. There are four tokenizers, all with the same
small interface (:class:`Tokenizer`), so that a notebook can put them side by side:

* :class:`CharTokenizer` — one token per character, the simplest thing that works;
* :class:`BPETokenizer` — byte-level byte pair encoding (BPE), trained here from scratch;
* :class:`TiktokenTokenizer` — the tokenizers of GPT-2/GPT-3 (``r50k_base``) and GPT-4
  (``cl100k_base``), through OpenAI's ``tiktoken``;
* :class:`HFTokenizer` — any Hugging Face tokenizer, for example SmolLM2's.

Showing tokens. ``pieces(text)`` returns the text of each token, for drawing token
boundaries. A byte-level token can hold part of a character (an emoji is four bytes and may
be split across tokens); such a piece cannot be shown as text on its own, so every byte that
is not part of a complete UTF-8 character is written as ``<0xF0>`` (its value in hex). The
pieces of a text then join back into the text wherever tokens end on character boundaries.
"""

from __future__ import annotations

import heapq
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import regex

__all__ = [
    "GPT2_SPLIT_PATTERN",
    "GPT4_SPLIT_PATTERN",
    "BPETokenizer",
    "CharTokenizer",
    "HFTokenizer",
    "MergeRecord",
    "TiktokenTokenizer",
    "Tokenizer",
    "byte_level_alphabet",
    "count_chunks",
    "readable_bytes",
    "show_tokens",
    "train_merges",
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

AllowedSpecial = Literal["all", "none", "none_raise"] | Collection[str]


@runtime_checkable
class Tokenizer(Protocol):
    """What every tokenizer in this course offers (Chapter 2)."""

    name: str

    @property
    def vocab_size(self) -> int:
        """How many different token ids there are."""
        ...

    def encode(self, text: str) -> list[int]:
        """Text to token ids."""
        ...

    def decode(self, ids: Sequence[int]) -> str:
        """Token ids back to text."""
        ...

    def pieces(self, text: str) -> list[str]:
        """The text of each token of ``text``, for showing token boundaries."""
        ...


def show_tokens(tokenizer: Tokenizer, text: str, sep: str = "|") -> str:
    """``text`` with ``sep`` drawn between its tokens, e.g. ``'Hello| world|!'``."""
    return sep.join(tokenizer.pieces(text))


def readable_bytes(data: bytes) -> str:
    """Decode UTF-8, writing each byte that is not part of a whole character as ``<0xAB>``."""
    out = []
    while data:
        try:
            out.append(data.decode("utf-8"))
            break
        except UnicodeDecodeError as error:
            out.append(data[: error.start].decode("utf-8"))
            out.extend(f"<0x{byte:02X}>" for byte in data[error.start : error.end])
            data = data[error.end :]
    return "".join(out)


def _check_ids(ids: Sequence[int], vocab_size: int) -> None:
    """Refuse ids that no token has, naming the first one."""
    for i in ids:
        if not isinstance(i, int) or not 0 <= i < vocab_size:
            raise ValueError(
                f"Token id {i!r} is not in this tokenizer's vocabulary (ids 0 to "
                f"{vocab_size - 1}). Decode ids produced by this same tokenizer."
            )


def _check_path(path: Path, what: str) -> None:
    if not path.is_file():
        raise FileNotFoundError(f"No {what} file at {str(path)!r}: check the path, or save one.")


def _read_json(path: Path, expected_format: str) -> dict[str, Any]:
    """Read a tokenizer file written by ``save``, with a clear error if it is something else."""
    _check_path(path, expected_format)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{str(path)!r} is not a valid JSON tokenizer file: {error}") from None
    if not isinstance(data, dict) or data.get("format") != expected_format:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise ValueError(
            f"{str(path)!r} is not a {expected_format} file (its format is {found!r}). "
            f"Load it with the class that saved it."
        )
    return data


# --------------------------------------------------------------------------------------------
# One token per character
# --------------------------------------------------------------------------------------------


class CharTokenizer:
    """One token per character; the vocabulary is the sorted set of characters of a text.

    Chapter 2 starts here: easy to read, but it only knows the characters it was built from,
    and it makes long token sequences.
    """

    FORMAT = "gentle_llm.CharTokenizer"

    def __init__(self, chars: Iterable[str], name: str = "char") -> None:
        chars = list(chars)
        if not chars:
            raise ValueError("A CharTokenizer needs at least one character in its vocabulary.")
        bad = [c for c in chars if not isinstance(c, str) or len(c) != 1]
        if bad:
            raise ValueError(f"Vocabulary entries must be single characters, got {bad[:5]!r}.")
        if len(set(chars)) != len(chars):
            raise ValueError("The vocabulary lists a character twice; each must appear once.")
        self.name = name
        self.chars: list[str] = chars
        self._id_of = {c: i for i, c in enumerate(chars)}

    @classmethod
    def from_text(cls, text: str, name: str = "char") -> CharTokenizer:
        """Build the vocabulary from every distinct character of ``text``, sorted."""
        if not text:
            raise ValueError("Cannot build a CharTokenizer from an empty text: pass some text.")
        return cls(sorted(set(text)), name=name)

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> list[int]:
        try:
            return [self._id_of[c] for c in text]
        except KeyError:
            unknown = sorted(set(text) - self._id_of.keys())
            shown = ", ".join(repr(c) for c in unknown[:10])
            more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
            raise ValueError(
                f"Characters not in the vocabulary: {shown}{more}. A character tokenizer only "
                f"knows the characters of the text it was built from: remove these characters, "
                f"or build it from a text that contains them (CharTokenizer.from_text)."
            ) from None

    def decode(self, ids: Sequence[int]) -> str:
        _check_ids(ids, self.vocab_size)
        return "".join(self.chars[i] for i in ids)

    def pieces(self, text: str) -> list[str]:
        return [self.chars[i] for i in self.encode(text)]

    def save(self, path: str | Path) -> None:
        """Write the vocabulary as human-readable JSON."""
        data = {"format": self.FORMAT, "name": self.name, "chars": self.chars}
        Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> CharTokenizer:
        data = _read_json(Path(path), cls.FORMAT)
        return cls(data["chars"], name=data.get("name", "char"))

    def __repr__(self) -> str:
        return f"CharTokenizer(vocab_size={self.vocab_size})"


# --------------------------------------------------------------------------------------------
# Byte-level BPE, trained from scratch
# --------------------------------------------------------------------------------------------

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


def _merge_pair(ids: list[int], pair: Pair, new_id: int) -> list[int]:
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


def _resolve_pattern(pattern: str) -> str:
    return _NAMED_PATTERNS.get(pattern, pattern)


def _special_splitter(special: Collection[str]) -> re.Pattern[str] | None:
    """A regex that finds special tokens; longest first, so one that contains another wins."""
    if not special:
        return None
    alternatives = "|".join(re.escape(s) for s in sorted(special, key=len, reverse=True))
    return re.compile(f"({alternatives})")


def _check_special_tokens(special_tokens: Sequence[str]) -> None:
    if isinstance(special_tokens, str):
        raise TypeError(f"Pass special tokens as a list, e.g. [{special_tokens!r}].")
    if len(set(special_tokens)) != len(special_tokens) or not all(
        isinstance(s, str) and s for s in special_tokens
    ):
        raise ValueError(f"Special tokens must be distinct, non-empty strings: {special_tokens!r}")


def count_chunks(text: str, pattern: str, special_tokens: Collection[str] = ()) -> Counter[bytes]:
    """Pre-split ``text`` with ``pattern`` and count each distinct chunk, as UTF-8 bytes.

    Special tokens are cut out first, so that training never merges across or into them.
    """
    compiled = regex.compile(_resolve_pattern(pattern))
    splitter = _special_splitter(special_tokens)
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

    What makes it fast, with the same result as recounting everything after each merge:

    1. each distinct chunk is stored once, with its frequency as a weight;
    2. ``where[pair]`` lists the chunks that contain a pair, so a merge only touches them;
    3. a merge changes counts only inside those chunks, by the difference between the pairs
       of each chunk before and after;
    4. a heap finds the most frequent pair; entries made stale by a later count change are
       skipped when they come to the top.

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
            new = _merge_pair(old, pair, new_id)
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


class BPETokenizer:
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
        self.pattern = _resolve_pattern(pattern)
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
        _check_special_tokens(special_tokens)
        first = len(self.vocab)
        self.special_tokens: dict[str, int] = {s: first + i for i, s in enumerate(special_tokens)}
        self._special_text = {i: s for s, i in self.special_tokens.items()}
        self._splitter = _special_splitter(self.special_tokens)
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
        _check_special_tokens(special_tokens)
        base = 256 + len(special_tokens)
        if not isinstance(vocab_size, int) or vocab_size < 256:
            raise ValueError(
                f"vocab_size={vocab_size!r} is too small: byte-level BPE starts with 256 byte "
                f"tokens, so ask for more than {base} (e.g. 512)."
            )
        if vocab_size <= base:
            raise ValueError(
                f"vocab_size={vocab_size} leaves no room for merges: the 256 byte tokens and "
                f"{len(special_tokens)} special token(s) already take {base} ids. "
                f"Ask for more than {base} (e.g. 512)."
            )
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
            ids = _merge_pair(ids, pair, 256 + rank[pair])
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
        _check_ids([token_id], self.vocab_size)
        if token_id in self._special_text:
            return self._special_text[token_id].encode("utf-8")
        return self.vocab[token_id]

    def decode(self, ids: Sequence[int]) -> str:
        """Ids to text. Bytes that do not form valid UTF-8 become U+FFFD (replacement char)."""
        _check_ids(ids, self.vocab_size)
        return b"".join(self.token_bytes(i) for i in ids).decode("utf-8", errors="replace")

    def pieces(self, text: str, *, allowed_special: AllowedSpecial = "none_raise") -> list[str]:
        return [
            readable_bytes(self.token_bytes(i))
            for i in self.encode(text, allowed_special=allowed_special)
        ]

    # ---- saving and loading --------------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Write the tokenizer as human-readable JSON, one merge per line.

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
        Path(path).write_text("\n".join(lines), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> BPETokenizer:
        path = Path(path)
        data = _read_json(path, cls.FORMAT)
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
                f"{str(path)!r} is a damaged BPE tokenizer file ({error}). Save the tokenizer "
                f"again with BPETokenizer.save."
            ) from None

    def __repr__(self) -> str:
        return (
            f"BPETokenizer(name={self.name!r}, vocab_size={self.vocab_size}, "
            f"merges={len(self.merges)}, special_tokens={list(self.special_tokens)})"
        )


# --------------------------------------------------------------------------------------------
# Wrappers over real tokenizers
# --------------------------------------------------------------------------------------------


class TiktokenTokenizer:
    """OpenAI's tokenizers through ``tiktoken``: ``r50k_base`` (GPT-2, GPT-3) and
    ``cl100k_base`` (GPT-3.5, GPT-4). Works offline from the course's asset mirror.
    """

    SUPPORTED = ("r50k_base", "cl100k_base")

    def __init__(self, name: str = "cl100k_base") -> None:
        if name not in self.SUPPORTED:
            raise ValueError(
                f"Unknown tiktoken encoding {name!r}: choose one of {list(self.SUPPORTED)} "
                f"(r50k_base is GPT-2's, cl100k_base is GPT-4's)."
            )
        import tiktoken

        from gentle_llm.assets import ensure_tiktoken_cache

        ensure_tiktoken_cache()
        self.name = name
        self.encoding = tiktoken.get_encoding(name)

    @property
    def vocab_size(self) -> int:
        return self.encoding.n_vocab

    def encode(self, text: str, *, allowed_special: AllowedSpecial = "none_raise") -> list[int]:
        """Text to ids; ``allowed_special`` works as in :meth:`BPETokenizer.encode`."""
        if allowed_special == "none":
            return self.encoding.encode(text, disallowed_special=())
        if allowed_special == "none_raise":
            try:
                return self.encoding.encode(text)
            except ValueError:
                found = [s for s in self.encoding.special_tokens_set if s in text]
                raise ValueError(
                    f"The text contains the special token(s) {found}. Pass "
                    f"allowed_special='all' to encode them as special tokens, or "
                    f"allowed_special='none' to encode them as ordinary text."
                ) from None
        allowed = "all" if allowed_special == "all" else set(allowed_special)
        return self.encoding.encode(text, allowed_special=allowed)

    def decode(self, ids: Sequence[int]) -> str:
        _check_ids(ids, self.vocab_size)
        try:
            return self.encoding.decode(list(ids))
        except KeyError as error:  # cl100k_base has a few unused ids below n_vocab
            raise ValueError(f"Token id {error} is not used by {self.name}.") from None

    def pieces(self, text: str, *, allowed_special: AllowedSpecial = "none_raise") -> list[str]:
        ids = self.encode(text, allowed_special=allowed_special)
        return [readable_bytes(self.encoding.decode_single_token_bytes(i)) for i in ids]

    def __repr__(self) -> str:
        return f"TiktokenTokenizer({self.name!r}, vocab_size={self.vocab_size})"


def byte_level_alphabet() -> dict[str, int]:
    """The printable stand-in character for each byte in GPT-2 style byte-level vocabularies.

    Printable Latin-1 bytes stand for themselves; the others (space, control characters)
    are shifted to code points from 256 up, in order. That is why a space shows as 'Ġ'.
    """
    printable = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    chars = {}
    shifted = 0
    for byte in range(256):
        if byte in printable:
            chars[chr(byte)] = byte
        else:
            chars[chr(256 + shifted)] = byte
            shifted += 1
    return chars


class HFTokenizer:
    """A Hugging Face tokenizer behind the course's interface.

    Accepts a ``tokenizers.Tokenizer`` or a ``transformers`` fast tokenizer (such as the one
    returned by ``gentle_llm.pretrained.load_smollm2()``). ``encode`` adds no special tokens
    (no BOS, no [CLS]/[SEP]), so counts compare fairly with the other tokenizers. Pass
    ``name`` for display (e.g. ``"SmolLM2-135M-Instruct"``); otherwise it is the last part of
    the tokenizer's ``name_or_path``.
    """

    def __init__(self, tokenizer: Any, name: str | None = None) -> None:
        backend = getattr(tokenizer, "backend_tokenizer", tokenizer)
        if not hasattr(backend, "encode") or not hasattr(backend, "get_vocab_size"):
            raise TypeError(
                f"Expected a Hugging Face fast tokenizer or tokenizers.Tokenizer, got "
                f"{type(tokenizer).__name__}. Load one with AutoTokenizer.from_pretrained(...)."
            )
        from tokenizers import Tokenizer as RawTokenizer

        self.tokenizer = tokenizer
        # name_or_path may be a long local folder; its last part is the readable bit.
        source = str(getattr(tokenizer, "name_or_path", "") or "")
        self.name = name or Path(source).name or "huggingface"
        # A copy, because some tokenizer files switch on padding or truncation (to 128 tokens,
        # say), which would change counts; the caller's object is left as it was.
        config = backend.to_str()
        self.backend = RawTokenizer.from_str(config)
        self.backend.no_padding()
        self.backend.no_truncation()
        decoder = json.loads(config).get("decoder") or {}
        self._byte_level = decoder.get("type") == "ByteLevel"
        self._alphabet = byte_level_alphabet() if self._byte_level else {}

    @property
    def vocab_size(self) -> int:
        return self.backend.get_vocab_size(with_added_tokens=True)

    def encode(self, text: str) -> list[int]:
        return self.backend.encode(text, add_special_tokens=False).ids

    def decode(self, ids: Sequence[int]) -> str:
        _check_ids(ids, self.vocab_size)
        return self.backend.decode(list(ids), skip_special_tokens=False)

    def pieces(self, text: str) -> list[str]:
        encoding = self.backend.encode(text, add_special_tokens=False)
        out = []
        for token, (start, end) in zip(encoding.tokens, encoding.offsets, strict=True):
            if self._byte_level and all(c in self._alphabet for c in token):
                out.append(readable_bytes(bytes(self._alphabet[c] for c in token)))
            elif end > start:
                out.append(text[start:end])  # the original text, before any normalisation
            else:
                out.append(token)
        return out

    def __repr__(self) -> str:
        return f"HFTokenizer({self.name!r}, vocab_size={self.vocab_size})"
