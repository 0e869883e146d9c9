"""Checks for the exercises of Lab 2 (Chapter 2)."""

from __future__ import annotations

from functools import cache
from typing import Any

from gentle_llm.exercises.core import NotYet, choice, exercise, near

CHARS_PER_TOKEN_512 = 2.04
CHARS_PER_TOKEN_1024 = 2.61


@exercise("lab2.bpe-1024", "characters per token of the 1,024-token BPE on the corpus, a number")
def bpe_1024(answer: Any) -> None:
    near(
        answer,
        CHARS_PER_TOKEN_1024,
        "the characters per token with a vocabulary of 1,024",
        rel=0.02,
        hints={
            "that is the figure of the 512-token BPE of section 3: train a new one with"
            " vocab_size=1024 and encode the corpus with it.": lambda v: abs(v - 2.04) < 0.02,
            "that is tokens per character: divide the number of characters by the number of"
            " tokens, not the other way round.": lambda v: abs(v - 1 / CHARS_PER_TOKEN_1024) < 0.01,
            "that is a count of tokens, not a ratio: divide the number of characters of the"
            " corpus by it.": lambda v: v > 1_000,
        },
    )


@cache
def _gpt2_and_gpt4() -> tuple[Any, Any]:
    from gentle_llm.tokenizers import TiktokenTokenizer

    return TiktokenTokenizer("r50k_base"), TiktokenTokenizer("cl100k_base")


@exercise("lab2.newer-word", "a word that GPT-4's tokenizer keeps whole and GPT-2's splits, a str")
def newer_word(answer: Any) -> None:
    if not isinstance(answer, str) or not answer.strip():
        raise NotYet('pass one word as a string, such as " smartwatch" (with its leading space).')
    gpt2, gpt4 = _gpt2_and_gpt4()
    space = (
        ""
        if answer.startswith(" ")
        else " Inside a sentence a word comes with the space before it: try the form with a"
        " leading space too."
    )
    if len(gpt4.encode(answer)) > 1:
        raise NotYet(f"GPT-4's tokenizer splits this word too (compare gpt4.pieces).{space}")
    if len(gpt2.encode(answer)) == 1:
        raise NotYet(
            "GPT-2's tokenizer keeps this word whole as well: look for a word that became"
            " common after 2019, when GPT-2's tokenizer was trained."
        )


@exercise("lab2.byte-fallback", "one letter, 'a' to 'd'")
def byte_fallback(answer: Any) -> None:
    choice(
        answer,
        "c",
        {
            "a": "Shakespeare's text has no Hindi and no emoji, so no merge could have learned"
            " them. Look at what the BPE starts from before any merge (section 4, the"
            " strawberry emoji).",
            "b": "our BPE has one special token, <|endoftext|>, and it is not used for unknown"
            " text. Look at the pieces of the emoji in section 4: what are they?",
            "d": "the vocabulary of 512 is what training chose; a bigger one would still hold"
            " only pieces of Shakespeare. Look at what the BPE starts from before any merge.",
        },
    )
