"""What every tokenizer of Chapter 2 shares: the interface, readable bytes, and checks.

Showing tokens. ``pieces(text)`` returns the text of each token, for drawing token
boundaries. A byte-level token can hold part of a character (an emoji is four bytes and may
be split across tokens); such a piece cannot be shown as text on its own, so every byte that
is not part of a complete UTF-8 character is written as ``<0xF0>`` (its value in hex). The
pieces of a text then join back into the text wherever tokens end on character boundaries.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from gentle_llm import checks

__all__ = [
    "AllowedSpecial",
    "SavesAsJson",
    "Tokenizer",
    "check_ids",
    "check_text",
    "join_pieces",
    "read_json",
    "readable_bytes",
]

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


def join_pieces(tokenizer: Tokenizer, text: str, sep: str = "|") -> str:
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


_SURROGATE = re.compile("[\ud800-\udfff]")


def check_text(text: Any) -> str:
    """Refuse what no tokenizer can encode: a non-string, or a lone surrogate character.

    A lone surrogate (``"\\ud800"``) is half of a UTF-16 pair; it has no UTF-8 bytes, so no
    byte-level tokenizer can represent it. It usually comes from text decoded with the wrong
    error handler, or from JSON with a broken ``\\ud83d`` escape.
    """
    checks.instance(text, "text", str)
    lone = _SURROGATE.search(text)
    if lone is not None:
        raise ValueError(
            f"The text has a lone surrogate character {lone.group()!r} at position "
            f"{lone.start()}, which has no UTF-8 bytes, so it cannot be tokenized. Remove it, "
            "or repair the text, e.g. text.encode('utf-16', 'surrogatepass').decode('utf-16')."
        )
    return text


def check_ids(ids: Sequence[int], vocab_size: int) -> None:
    """Refuse ids that no token has, naming the first one and its position."""
    fix = "Decode ids produced by this same tokenizer."
    checks.token_ids(ids, vocab_size, outside="not in this tokenizer's vocabulary", fix=fix)


def read_json(text: str, expected_format: str, source: str) -> dict[str, Any]:
    """Parse a tokenizer written by ``to_json``, with a clear error if it is something else.

    ``source`` names where the text came from (a file path), for the message.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{source} is not a valid JSON tokenizer file: {error}") from None
    if not isinstance(data, dict) or data.get("format") != expected_format:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise ValueError(
            f"{source} is not a {expected_format} file (its format is {found!r}). "
            f"Load it with the class that saved it."
        )
    return data


class SavesAsJson:
    """``save``/``load`` files for a tokenizer that turns itself into a JSON string.

    A subclass writes :meth:`to_json` and :meth:`from_json`; checkpoints store that string
    directly, and files hold the same text.
    """

    FORMAT = ""

    def to_json(self) -> str:
        raise NotImplementedError

    @classmethod
    def from_json(cls, text: str, *, source: str = "the tokenizer text") -> Any:
        raise NotImplementedError

    def save(self, path: str | Path) -> None:
        """Write the tokenizer to a human-readable JSON file."""
        Path(path).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Any:
        """Read a file written by :meth:`save`."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(
                f"No {cls.FORMAT} file at {str(path)!r}: check the path, or save one."
            )
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(f"{str(path)!r} is not a valid JSON tokenizer file: {error}") from None
        return cls.from_json(text, source=repr(str(path)))
