"""Benchmark: training a byte-level BPE with a vocabulary of 512 on Tiny Shakespeare.

Compares, in one run on one machine:

* ours — ``gentle_llm.tokenizers.BPETokenizer.train`` (unique chunks + incremental counts);
* naive — ``gentle_llm.tokenizers.train_merges_naive``, which recounts every pair of the
  whole text after each merge (it must find exactly the same merges; the script checks);
* Hugging Face ``tokenizers`` — its Rust BPE trainer with the ByteLevel pre-tokenizer, the
  practical speed limit (its tie rule differs, so only the overlap of vocabularies is shown).

All three split text with GPT-2's regex (HF's ByteLevel pre-tokenizer uses that one), so
they do the same work. Run: ``.venv/bin/python benchmarks/bench_bpe.py``. Almost all of its
time is the naive trainer on the full text: about 3 minutes of CPU on one core (9 minutes
wall when measured on a 2-core machine shared with other jobs). ``--naive-chars 200000`` runs
the naive one, and ours again, on a prefix of the text instead, in well under a minute.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

from gentle_llm.assets import fetch, use_mirror_by_default
from gentle_llm.tokenizers import (
    GPT2_SPLIT_PATTERN,
    BPETokenizer,
    byte_level_alphabet,
    train_merges_naive,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
use_mirror_by_default(REPO_ROOT.parent / "shared" / "assets")


def best_time(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    """The fastest of ``repeats`` runs (the machine may be busy), with the last result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def hf_train(text: str, vocab_size: int) -> set[bytes]:
    """Train HF's byte-level BPE; return its learned tokens as bytes."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    # Lines (with their newlines) as the batch, so HF can spread the work over its threads.
    tokenizer.train_from_iterator(text.splitlines(keepends=True), trainer=trainer)
    to_byte = byte_level_alphabet()
    return {bytes(to_byte[c] for c in token) for token in tokenizer.get_vocab()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vocab-size", type=int, default=512)
    parser.add_argument(
        "--naive-chars",
        type=int,
        default=0,
        help="train the naive reference on this many leading characters (0: the full text)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="best of N for the fast ones")
    args = parser.parse_args()

    text = fetch("tinyshakespeare").read_text(encoding="utf-8")
    num_merges = args.vocab_size - 256
    print(f"Tiny Shakespeare: {len(text):,} characters; vocabulary {args.vocab_size}")
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}\n")

    def ours(corpus: str) -> BPETokenizer:
        return BPETokenizer.train(corpus, args.vocab_size, pattern="gpt2")

    t_ours, tok = best_time(lambda: ours(text), args.repeats)
    t_hf, hf_vocab = best_time(lambda: hf_train(text, args.vocab_size), args.repeats)

    naive_text = text[: args.naive_chars] if args.naive_chars else text
    t_naive, naive_merges = best_time(
        lambda: train_merges_naive(naive_text, num_merges, GPT2_SPLIT_PATTERN), 1
    )
    if args.naive_chars:
        # Compare with ours on the same prefix, so the ratio is fair.
        t_ours_prefix, tok_prefix = best_time(lambda: ours(naive_text), args.repeats)
    else:
        t_ours_prefix, tok_prefix = t_ours, tok
    same = tok_prefix.merges == naive_merges
    ours_tokens = set(tok.vocab)
    overlap = len(ours_tokens & hf_vocab) / len(ours_tokens)

    rows = [("ours (gentle_llm BPETokenizer.train)", t_ours, 1.0)]
    rows.append(("Hugging Face tokenizers BpeTrainer", t_hf, t_hf / t_ours))
    if args.naive_chars:
        label = f"first {len(naive_text):,} chars"
        rows.append((f"ours, {label}", t_ours_prefix, 1.0))
        rows.append((f"naive reference, {label}", t_naive, t_naive / t_ours_prefix))
    else:
        rows.append(("naive reference (train_merges_naive)", t_naive, t_naive / t_ours))

    print(f"| {'implementation':<44} | {'seconds':>8} | {'ratio vs ours':>13} |")
    print(f"| {'-' * 44} | {'-' * 8}:| {'-' * 13}:|")
    for name, seconds, ratio in rows:
        print(f"| {name:<44} | {seconds:8.3f} | {ratio:12.2f}x |")
    print()
    print(f"ours is {t_naive / t_ours_prefix:.1f}x faster than the naive reference")
    print(f"Hugging Face's trainer takes {t_hf / t_ours:.2f}x our time")
    print(f"same merges as the naive reference: {'yes' if same else 'NO'}")
    print(f"tokens shared with Hugging Face's vocabulary: {overlap:.1%}")
    print(f"(fast rows: best of {args.repeats}; naive: one run)")
    if not same:
        sys.exit("MISMATCH: the fast trainer's merges differ from the naive reference")


if __name__ == "__main__":
    main()
