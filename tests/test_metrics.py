"""gentle_llm.metrics: bits per byte and the C ≈ 6·N·D compute estimate (Chapter 6)."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from gentle_llm.metrics import (
    bits_per_byte,
    non_embedding_parameters,
    tokens_for_compute,
    training_flops,
)
from gentle_llm.model import GPT, GPTConfig


def test_bits_per_byte_of_a_uniform_guess_over_bytes_is_8() -> None:
    # Guessing each of 256 byte values evenly costs ln 256 nats = 8 bits per byte.
    assert bits_per_byte(math.log(256), n_tokens=1000, n_bytes=1000) == pytest.approx(8.0)


def test_bits_per_byte_matches_the_total_cost_of_a_real_text() -> None:
    # A text cut into 3 tokens of 4, 2 and 1 bytes; the model gives them these probabilities.
    probabilities = [0.5, 0.25, 0.125]
    total_bits = sum(-math.log2(p) for p in probabilities)  # 1 + 2 + 3 = 6 bits
    mean_nats = sum(-math.log(p) for p in probabilities) / 3
    assert bits_per_byte(mean_nats, n_tokens=3, n_bytes=7) == pytest.approx(total_bits / 7)


def test_the_same_text_costs_the_same_bits_however_it_is_tokenized() -> None:
    # Twice as many tokens, each half as costly: the same bits per byte.
    assert bits_per_byte(1.0, 200, 400) == pytest.approx(bits_per_byte(2.0, 100, 400))
    assert bits_per_byte(2.0, 100, 400) != pytest.approx(bits_per_byte(2.0, 100, 200))


@pytest.mark.parametrize(
    ("loss", "n_tokens", "n_bytes"),
    [(-0.1, 10, 10), (float("nan"), 10, 10), (1.0, 0, 10), (1.0, 10, 0), (1.0, 2.5, 10)],
)
def test_bits_per_byte_refuses_bad_arguments(loss: float, n_tokens: int, n_bytes: int) -> None:
    with pytest.raises(ValueError):
        bits_per_byte(loss, n_tokens, n_bytes)


def test_training_flops_is_six_n_d_and_tokens_for_compute_inverts_it() -> None:
    # LLaMA-65B on 1.4 trillion tokens: about 5.5e23 operations.
    assert training_flops(65_200_000_000, 1_400_000_000_000) == pytest.approx(5.4768e23)
    assert training_flops(3, 7) == 126.0
    n = 108_352
    tokens = tokens_for_compute(4e11, n)
    assert tokens == 615_278
    assert training_flops(n, tokens) <= 4e11 < training_flops(n, tokens + 1)


@pytest.mark.parametrize(("compute", "n_params"), [(0.0, 10), (-1.0, 10), (1e9, 0), (1e9, 1.5)])
def test_tokens_for_compute_refuses_bad_arguments(compute: float, n_params: int) -> None:
    with pytest.raises(ValueError):
        tokens_for_compute(compute, n_params)


@pytest.mark.parametrize(("n_params", "n_tokens"), [(0, 10), (10, 0), (True, 10), (10, 2.0)])
def test_training_flops_refuses_bad_arguments(n_params: int, n_tokens: int) -> None:
    with pytest.raises(ValueError):
        training_flops(n_params, n_tokens)


def test_non_embedding_parameters_leave_out_both_embedding_tables() -> None:
    config = GPTConfig(vocab_size=65, block_size=64, n_layer=2, n_head=4, n_embd=128)
    model = GPT(config)
    counts = model.parameter_counts()
    expected = counts["attention"] + counts["mlp"] + counts["layer_norms"]
    assert non_embedding_parameters(model) == expected == 396_800
    assert model.num_parameters() - non_embedding_parameters(model) == (65 + 64) * 128


def test_non_embedding_parameters_of_a_model_without_embeddings_is_all_of_it() -> None:
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    assert non_embedding_parameters(model) == 4 * 3 + 3 + 3 * 2 + 2
    with pytest.raises(TypeError):
        non_embedding_parameters(torch.zeros(3))  # type: ignore[arg-type]
