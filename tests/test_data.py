"""Tests of gentle_llm.data: corpus, split, token streams, batches, full validation."""

from __future__ import annotations

import math

import pytest
import torch

from gentle_llm.data import (
    BatchSampler,
    bpe_dataset,
    char_dataset,
    encode_stream,
    evaluate_full,
    load_tinyshakespeare,
    train_val_split,
)
from gentle_llm.model import GPT, GPTConfig
from gentle_llm.tokenizers import BPETokenizer, CharTokenizer

TEXT = "First Citizen:\nBefore we proceed any further, hear me speak.\n" * 20


@pytest.fixture(scope="module")
def shakespeare() -> str:
    return load_tinyshakespeare()


def test_tinyshakespeare_is_the_known_corpus(shakespeare: str) -> None:
    assert len(shakespeare) == 1_115_394
    assert shakespeare.startswith("First Citizen:")


def test_split_is_first_90_percent_then_last_10(shakespeare: str) -> None:
    train, val = train_val_split(shakespeare)
    assert train + val == shakespeare
    assert len(train) == int(0.9 * len(shakespeare))
    tensor_train, tensor_val = train_val_split(torch.arange(100))
    assert torch.equal(tensor_train, torch.arange(90))
    assert torch.equal(tensor_val, torch.arange(90, 100))


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.5, 1.5])
def test_split_rejects_fractions_outside_zero_one(fraction: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        train_val_split("abcdef", fraction)


def test_split_rejects_a_stream_too_short_to_split() -> None:
    with pytest.raises(ValueError, match="at least 2 tokens"):
        train_val_split("a")


def test_char_dataset_on_tinyshakespeare(shakespeare: str) -> None:
    data = char_dataset()
    assert data.vocab_size == 65
    assert data.train.dtype == torch.uint16 and data.train.dim() == 1
    assert len(data.train) + len(data.val) == len(shakespeare)
    cut = len(data.train)
    assert data.tokenizer.decode(data.train[:200].tolist()) == shakespeare[:200]
    assert data.tokenizer.decode(data.val[:200].tolist()) == shakespeare[cut : cut + 200]


def test_char_dataset_rejects_empty_text() -> None:
    with pytest.raises(ValueError, match="empty"):
        char_dataset("")


def test_bpe_dataset_splits_text_before_encoding() -> None:
    tokenizer = BPETokenizer.train(TEXT, 270)
    data = bpe_dataset(tokenizer, TEXT)
    train_text, val_text = train_val_split(TEXT)
    assert tokenizer.decode(data.train.tolist()) == train_text
    assert tokenizer.decode(data.val.tolist()) == val_text
    assert data.vocab_size == 270


def test_encode_stream_widens_dtype_for_large_vocabularies() -> None:
    class Big:
        vocab_size = 100_000

        def encode(self, text: str) -> list[int]:
            return [99_999, 0]

    assert encode_stream("xy", Big()).dtype == torch.int64


def test_batches_are_shifted_windows_of_the_stream() -> None:
    stream = torch.arange(1000).to(torch.uint16)
    sampler = BatchSampler(stream, block_size=8, batch_size=5, seed=1)
    ((x, y),) = sampler.sample()
    assert x.shape == y.shape == (5, 8) and x.dtype == torch.int64
    assert torch.equal(y[:, :-1], x[:, 1:])
    # Each row is a contiguous stretch: with stream = arange, that is start + 0..T-1.
    assert torch.equal(x - x[:, :1], torch.arange(8).expand(5, 8))
    assert int(y.max()) <= 999


def test_batches_repeat_with_the_seed_and_resume_from_state() -> None:
    stream = torch.arange(500)
    a = BatchSampler(stream, 4, 6, seed=3)
    b = BatchSampler(stream, 4, 6, seed=3)
    a.sample()
    b.sample()
    state = a.get_state()
    first = a.sample()[0][0]
    assert torch.equal(first, b.sample()[0][0])
    a.set_state(state)
    assert torch.equal(a.sample()[0][0], first)


def test_global_batch_is_the_same_however_it_is_split() -> None:
    """Gradient accumulation and DDP ranks only partition the one global batch."""
    stream = torch.arange(10_000)
    whole = BatchSampler(stream, 4, 8, seed=5).sample()[0][0]
    pieces = []
    for rank in range(2):
        parts = BatchSampler(stream, 4, 8, seed=5, micro_steps=2, rank=rank, world_size=2)
        micro = parts.sample()
        assert len(micro) == 2 and micro[0][0].shape == (2, 4)
        pieces.extend(x for x, _ in micro)
    assert sorted(map(tuple, whole.tolist())) == sorted(map(tuple, torch.cat(pieces).tolist()))


def test_batch_sampler_errors_say_what_to_do() -> None:
    stream = torch.arange(100)
    with pytest.raises(ValueError, match="multiple of 4"):
        BatchSampler(stream, 4, 6, micro_steps=2, world_size=2)
    with pytest.raises(ValueError, match="smaller block_size"):
        BatchSampler(torch.arange(5), 8, 2)
    with pytest.raises(TypeError, match="1-D torch tensor"):
        BatchSampler(torch.arange(100).view(10, 10), 4, 2)
    with pytest.raises(ValueError, match="batch_size must be a whole number >= 1"):
        BatchSampler(stream, 4, 0)


def _tiny_model(block: int = 8) -> GPT:
    torch.manual_seed(0)
    return GPT(GPTConfig(vocab_size=20, block_size=block, n_layer=1, n_head=2, n_embd=16))


def test_evaluate_full_is_the_mean_over_every_whole_window() -> None:
    model = _tiny_model()
    val = torch.randint(0, 20, (8 * 13 + 5,), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        per_token = []
        for start in range(0, 8 * 13, 8):
            logits, _ = model(val[start : start + 8][None])
            target = val[start + 1 : start + 9]
            per_token.append(torch.nn.functional.cross_entropy(logits[0], target, reduction="none"))
        expected = torch.cat(per_token).mean().item()
    for batch_size in (1, 4, 64):
        assert math.isclose(evaluate_full(model, val, 8, batch_size), expected, rel_tol=1e-6)


def test_evaluate_full_drops_only_the_short_tail_and_restores_mode() -> None:
    model = _tiny_model()
    val = torch.randint(0, 20, (8 * 4 + 1,), generator=torch.Generator().manual_seed(1))
    noise = torch.randint(0, 20, (7,), generator=torch.Generator().manual_seed(2))
    model.train()
    full = evaluate_full(model, val, 8)
    # 7 more tokens make no new whole window, so they do not change the number.
    assert evaluate_full(model, torch.cat([val, noise]), 8) == full
    assert model.training


def test_evaluate_full_errors() -> None:
    model = _tiny_model()
    with pytest.raises(ValueError, match="smaller block_size"):
        evaluate_full(model, torch.arange(5), 8)
    with pytest.raises(ValueError, match="batch_size"):
        evaluate_full(model, torch.arange(50), 8, 0)


def test_char_tokenizer_vocabulary_covers_validation() -> None:
    data = char_dataset(TEXT + "zebra!")
    assert isinstance(data.tokenizer, CharTokenizer)
    assert int(data.val.long().max()) < data.vocab_size
