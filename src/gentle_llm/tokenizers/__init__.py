"""Tokenizers: turning text into the integer ids a model reads, and back (Chapter 2).

Four tokenizers share one small interface (:class:`Tokenizer`), so a notebook can put them
side by side:

* :class:`CharTokenizer` (``char.py``) — one token per character, the simplest thing that works;
* :class:`BPETokenizer` (``bpe.py``) — byte-level byte pair encoding, trained here from scratch
  by the trainers of ``bpe_training.py``: the naive one to read first, and the fast one;
* :class:`TiktokenTokenizer` (``wrappers.py``) — GPT-2/GPT-3's ``r50k_base`` and GPT-4's
  ``cl100k_base``, through OpenAI's ``tiktoken``;
* :class:`HFTokenizer` (``wrappers.py``) — any Hugging Face tokenizer, for example SmolLM2's.

``base.py`` holds what they share: the interface, the readable form of partial UTF-8 bytes,
and the checks on ids and text.
"""

from gentle_llm.tokenizers.base import (
    Tokenizer,
    join_pieces,
    readable_bytes,
)
from gentle_llm.tokenizers.bpe import BPETokenizer
from gentle_llm.tokenizers.bpe_training import (
    GPT2_SPLIT_PATTERN,
    GPT4_SPLIT_PATTERN,
    MergeRecord,
    count_chunks,
    encode_naive,
    train_merges,
    train_merges_naive,
)
from gentle_llm.tokenizers.char import CharTokenizer
from gentle_llm.tokenizers.wrappers import HFTokenizer, TiktokenTokenizer, byte_level_alphabet

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
    "encode_naive",
    "join_pieces",
    "readable_bytes",
    "train_merges",
    "train_merges_naive",
]
