"""Tests of gentle_llm.positions: sinusoidal encodings and rotary embeddings (Chapter 3)."""

from __future__ import annotations

import math

import pytest
import torch

from gentle_llm.positions import (
    rope_angles,
    rope_frequencies,
    rope_rotate,
    sinusoidal_encoding,
)

# ---------------------------------------------------------------- sinusoidal encoding


def test_sinusoidal_shape_and_position_zero():
    table = sinusoidal_encoding(10, 8)
    assert table.shape == (10, 8)
    # Position 0: every sine is 0 and every cosine is 1.
    assert torch.equal(table[0], torch.tensor([0.0, 1.0] * 4))


def test_sinusoidal_known_values():
    table = sinusoidal_encoding(5, 4)
    # dim 4: frequencies 1 and 10000 ** (-2/4) = 0.01.
    p = 3
    expected = torch.tensor([math.sin(3), math.cos(3), math.sin(0.03), math.cos(0.03)])
    torch.testing.assert_close(table[p], expected)
    torch.testing.assert_close(
        sinusoidal_encoding(2, 2, base=100.0)[1], torch.tensor([0.8415, 0.5403]), atol=1e-4, rtol=0
    )


def test_sinusoidal_rows_are_distinct_and_bounded():
    table = sinusoidal_encoding(64, 16)
    assert table.abs().max() <= 1.0
    distances = torch.cdist(table, table)
    off_diagonal = distances[~torch.eye(64, dtype=torch.bool)]
    assert off_diagonal.min() > 0.1  # no two positions share a pattern


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, 8), "num_positions"),
        ((4, 7), "even"),
        ((4, 0), "dim"),
        ((4.5, 8), "num_positions"),
    ],
)
def test_sinusoidal_bad_sizes(args, message):
    with pytest.raises(ValueError, match=message):
        sinusoidal_encoding(*args)


# ---------------------------------------------------------------- frequencies and angles


def test_rope_frequencies():
    freqs = rope_frequencies(8, base=10000.0)
    torch.testing.assert_close(freqs, torch.tensor([1.0, 0.1, 0.01, 0.001]))
    assert rope_frequencies(64, base=100000.0).shape == (32,)


def test_rope_angles_are_position_times_frequency():
    angles = rope_angles(torch.arange(3), 4, base=100.0)
    torch.testing.assert_close(angles, torch.tensor([[0.0, 0.0], [1.0, 0.1], [2.0, 0.2]]))


@pytest.mark.parametrize("base", [1.0, 0.5, -3, "10000"])
def test_rope_bad_base(base):
    with pytest.raises(ValueError, match="base"):
        rope_frequencies(8, base)


# ---------------------------------------------------------------- rope_rotate


def test_rope_2d_is_a_plain_rotation():
    # With 2 dimensions there is one pair, turning by exactly 1 radian per position.
    x = torch.tensor([[1.0, 0.0]]).expand(4, 2)
    out = rope_rotate(x, torch.arange(4))
    expected = torch.stack([torch.cos(torch.arange(4.0)), torch.sin(torch.arange(4.0))], dim=-1)
    torch.testing.assert_close(out, expected)


def test_rope_position_zero_is_identity():
    x = torch.randn(2, 3, 1, 16)
    torch.testing.assert_close(rope_rotate(x, torch.zeros(1, dtype=torch.long)), x)


@pytest.mark.parametrize("pairing", ["half", "interleaved"])
def test_rope_preserves_norms(pairing):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, 4, 50, 64, generator=gen)
    out = rope_rotate(x, torch.arange(50), base=100000.0, pairing=pairing)
    torch.testing.assert_close(out.norm(dim=-1), x.norm(dim=-1))
    assert not torch.allclose(out[..., 1:, :], x[..., 1:, :])  # it did rotate


@pytest.mark.parametrize("pairing", ["half", "interleaved"])
def test_rope_scores_depend_only_on_relative_position(pairing):
    gen = torch.Generator().manual_seed(1)
    q = torch.randn(32, generator=gen, dtype=torch.float64)
    k = torch.randn(32, generator=gen, dtype=torch.float64)

    def score(m: int, n: int) -> float:
        return float(rope_rotate(q, m, pairing=pairing) @ rope_rotate(k, n, pairing=pairing))

    for shift in [0, 1, 3, 7, 20]:
        reference = score(shift, 0)
        for start in [1, 5, 11, 100]:
            assert score(start + shift, start) == pytest.approx(reference, abs=1e-4)
    # ... and the score does change with the distance, or the test would prove nothing.
    assert abs(score(0, 0) - score(5, 0)) > 1e-3


def test_interleaved_is_half_with_dimensions_reordered():
    x = torch.randn(7, 12)
    order = torch.cat([torch.arange(0, 12, 2), torch.arange(1, 12, 2)])  # evens then odds
    half = rope_rotate(x[:, order], torch.arange(7), pairing="half")
    interleaved = rope_rotate(x, torch.arange(7), pairing="interleaved")
    torch.testing.assert_close(interleaved[:, order], half)


def test_rope_keeps_dtype_and_broadcasts_over_batch_and_heads():
    x = torch.randn(2, 3, 5, 8, dtype=torch.float64)
    out = rope_rotate(x, torch.arange(5))
    assert out.dtype == torch.float64 and out.shape == x.shape
    # Each (batch, head) slice is rotated the same way.
    torch.testing.assert_close(out[1, 2], rope_rotate(x[1, 2], torch.arange(5)))
    half = rope_rotate(torch.randn(5, 8).half(), torch.arange(5))
    assert half.dtype == torch.float16


def test_rope_matches_transformers_llama():
    from transformers import LlamaConfig
    from transformers.models.llama.modeling_llama import (
        LlamaRotaryEmbedding,
        apply_rotary_pos_emb,
    )

    # SmolLM2-135M's attention shape: 9 query heads of 64 dimensions, rope_theta 100000.
    config = LlamaConfig(
        hidden_size=576,
        num_attention_heads=9,
        num_key_value_heads=3,
        max_position_embeddings=64,
        rope_theta=100000.0,
    )
    rotary = LlamaRotaryEmbedding(config=config)  # by name: 4.x takes dim first
    gen = torch.Generator().manual_seed(2)
    batch, seq = 2, 40
    q = torch.randn(batch, 9, seq, 64, generator=gen)
    k = torch.randn(batch, 3, seq, 64, generator=gen)
    position_ids = torch.arange(3, 3 + seq).expand(batch, seq)  # not starting at 0, like a cache
    cos, sin = rotary(q, position_ids)
    q_ref, k_ref = apply_rotary_pos_emb(q, k, cos, sin)

    positions = torch.arange(3, 3 + seq)
    torch.testing.assert_close(rope_rotate(q, positions, base=100000.0), q_ref)
    torch.testing.assert_close(rope_rotate(k, positions, base=100000.0), k_ref)
    # The paper's interleaved pairing is a different convention and must not match here.
    assert not torch.allclose(rope_rotate(q, positions, 100000.0, pairing="interleaved"), q_ref)
    torch.testing.assert_close(rope_frequencies(64, 100000.0), rotary.inv_freq)


def test_rope_bad_inputs():
    x = torch.randn(4, 8)
    with pytest.raises(ValueError, match="even"):
        rope_rotate(torch.randn(4, 7), torch.arange(4))
    with pytest.raises(ValueError, match="do not fit"):
        rope_rotate(x, torch.arange(5))
    with pytest.raises(ValueError, match="do not fit"):
        rope_rotate(x, torch.zeros(3, 4, dtype=torch.long))  # would silently grow the output
    with pytest.raises(TypeError, match="whole numbers"):
        rope_rotate(x, torch.linspace(0, 1, 4))
    with pytest.raises(ValueError, match="0 or more"):
        rope_rotate(x, torch.tensor([0, 1, -2, 3]))
    with pytest.raises(TypeError, match="x must hold floats"):
        rope_rotate(torch.ones(4, 8, dtype=torch.long), torch.arange(4))
    with pytest.raises(ValueError, match="pairing"):
        rope_rotate(x, torch.arange(4), pairing="pairs")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="tensor"):
        rope_rotate([[1.0, 2.0]], [0])  # type: ignore[arg-type]
