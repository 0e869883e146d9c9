"""Real tokenizers behind the course's interface (Chapter 2): tiktoken's and Hugging Face's.

:class:`TiktokenTokenizer` gives GPT-2/GPT-3's ``r50k_base`` and GPT-4's ``cl100k_base``,
offline from the course's asset mirror; :class:`HFTokenizer` wraps any Hugging Face tokenizer,
for example SmolLM2's.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gentle_llm import checks
from gentle_llm.tokenizers.base import AllowedSpecial, check_ids, check_text, readable_bytes

__all__ = ["HFTokenizer", "TiktokenTokenizer", "byte_level_alphabet"]


class TiktokenTokenizer:
    """OpenAI's tokenizers through ``tiktoken``: ``r50k_base`` (GPT-2, GPT-3) and
    ``cl100k_base`` (GPT-3.5, GPT-4). Works offline from the course's asset mirror.
    """

    SUPPORTED = ("r50k_base", "cl100k_base")

    def __init__(self, name: str = "cl100k_base") -> None:
        hint = "(r50k_base is GPT-2's, cl100k_base is GPT-4's)."
        checks.one_of(name, "The tiktoken encoding", self.SUPPORTED, hint=hint)
        import tiktoken

        from gentle_llm.assets import ensure_tiktoken_cache

        ensure_tiktoken_cache(name)
        self.name = name
        self.encoding = tiktoken.get_encoding(name)

    @property
    def vocab_size(self) -> int:
        return self.encoding.n_vocab

    def encode(self, text: str, *, allowed_special: AllowedSpecial = "none_raise") -> list[int]:
        """Text to ids; ``allowed_special`` works as in :meth:`BPETokenizer.encode`."""
        check_text(text)
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
        check_ids(ids, self.vocab_size)
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
        return self.backend.encode(check_text(text), add_special_tokens=False).ids

    def decode(self, ids: Sequence[int]) -> str:
        check_ids(ids, self.vocab_size)
        return self.backend.decode(list(ids), skip_special_tokens=False)

    def pieces(self, text: str) -> list[str]:
        encoding = self.backend.encode(check_text(text), add_special_tokens=False)
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
