"""The simplest tokenizer of Chapter 2: one token per character."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from gentle_llm import checks
from gentle_llm.tokenizers.base import SavesAsJson, check_ids, read_json

__all__ = ["CharTokenizer"]


class CharTokenizer(SavesAsJson):
    """One token per character; the vocabulary is the sorted set of characters of a text.

    Chapter 2 starts here: easy to read, but it only knows the characters it was built from,
    and it makes long token sequences.
    """

    FORMAT = "gentle_llm.CharTokenizer"

    def __init__(self, chars: Iterable[str], name: str = "char") -> None:
        chars = checks.not_empty(list(chars), "chars", "a CharTokenizer needs at least one.")
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
        check_ids(ids, self.vocab_size)
        return "".join(self.chars[i] for i in ids)

    def pieces(self, text: str) -> list[str]:
        return [self.chars[i] for i in self.encode(text)]

    def to_json(self) -> str:
        """The vocabulary as human-readable JSON (what :meth:`save` writes)."""
        data = {"format": self.FORMAT, "name": self.name, "chars": self.chars}
        return json.dumps(data, ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str, *, source: str = "the tokenizer text") -> CharTokenizer:
        data = read_json(text, cls.FORMAT, source)
        return cls(data["chars"], name=data.get("name", "char"))

    def __repr__(self) -> str:
        return f"CharTokenizer(vocab_size={self.vocab_size})"
