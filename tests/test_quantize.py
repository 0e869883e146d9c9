"""gentle_llm.quantize: rounding error bounds, byte counts, a quantised model's loss."""

from __future__ import annotations

import copy

import pytest
import torch

from gentle_llm.data import evaluate_full
from gentle_llm.quantize import dequantize, quantize, quantize_model


def _weight() -> torch.Tensor:
    torch.manual_seed(0)
    w = torch.randn(48, 128) * 0.02
    w[3, 7] = 0.9  # one outlier: its row (and group) gets a large scale
    w[5] = 0.0  # an all-zero row must not divide by zero
    return w


@pytest.mark.parametrize(("bits", "group_size"), [(8, None), (8, 32), (4, 32), (4, 128)])
def test_round_trip_error_is_at_most_half_a_scale(bits, group_size):
    w = _weight()
    qt = quantize(w, bits, group_size)
    size = group_size or w.shape[1]
    q_max = 2 ** (bits - 1) - 1
    assert qt.q.dtype == torch.int8 and qt.q.abs().max().item() <= q_max
    assert qt.scale.shape == (48, 128 // size) and qt.scale.dtype == torch.float16
    error = (dequantize(qt) - w).abs().reshape(48, -1, size)
    assert (error <= qt.scale.float().unsqueeze(-1) / 2 + 1e-12).all()
    assert torch.equal(dequantize(qt)[5], torch.zeros(128))
    # Each group's largest weight is hit (almost) exactly: it sets the scale.
    assert qt.q.abs().reshape(48, -1, size).amax(-1)[torch.arange(48) != 5].min() == q_max


def test_groups_beat_whole_rows_next_to_an_outlier():
    w = _weight()
    row_error = (dequantize(quantize(w, 4)) - w)[3].abs().mean()
    group_error = (dequantize(quantize(w, 4, 32)) - w)[3].abs().mean()
    assert group_error < 0.5 * row_error


def test_bytes_include_the_scales():
    w = torch.randn(576, 576)
    int8 = quantize(w, 8)
    assert int8.nbytes == 576 * 576 + 2 * 576  # one byte a weight + a float16 scale per row
    fp32_bytes = w.numel() * w.element_size()
    assert int8.nbytes / fp32_bytes == pytest.approx(0.25, rel=0.01)
    int4 = quantize(w, 4, 32)
    assert int4.nbytes == 576 * 576 // 2 + 2 * 576 * 576 // 32  # 4.5 bits per weight
    assert quantize(torch.randn(3, 5), 4).nbytes == 8 + 2 * 3  # 15 codes round up to 8 bytes


@pytest.fixture(scope="module")
def trained_tiny(make_trainer):
    trainer = make_trainer(steps=40)
    trainer.fit()
    return trainer.model.eval()


def test_a_quantised_tiny_model_keeps_its_loss(trained_tiny, char_data, tiny_gpt_config):
    block = tiny_gpt_config.block_size
    base = evaluate_full(trained_tiny, char_data.val, block)
    losses, reports = {}, {}
    for bits, group in [(8, None), (4, 32), (4, 16)]:
        model = copy.deepcopy(trained_tiny)
        reports[bits, group] = quantize_model(model, bits, group)
        losses[bits, group] = evaluate_full(model, char_data.val, block)
        # Still tied, and the embedding holds the rounded values too.
        assert model.lm_head.weight is model.tok_emb.weight
    assert base < 3.5  # the model did learn something to lose
    assert abs(losses[8, None] - base) < 0.005 * base
    assert abs(losses[4, 32] - base) < 0.05 * base
    assert abs(losses[4, 32] - base) > abs(losses[8, None] - base)  # 4 bits round harder
    report = reports[8, None]
    linears = [m for m in trained_tiny.modules() if isinstance(m, torch.nn.Linear)]
    assert report.layers == len(linears) == 4 * tiny_gpt_config.n_layer + 1
    assert report.weights == sum(m.weight.numel() for m in linears)
    assert report.original_bytes == 4 * report.weights
    # One byte a weight and a 2-byte scale per row: 32-wide rows make that 3.76x, not 4x.
    assert report.quantized_bytes == report.weights + 2 * sum(m.out_features for m in linears)
    assert report.compression == pytest.approx(4 / (1 + 2 / 32), rel=0.02)
    total = sum(p.numel() * 4 for p in trained_tiny.parameters())
    assert report.original_bytes + report.other_bytes == total
    assert "int8 (per row)" in str(report)


def test_quantise_errors():
    with pytest.raises(ValueError, match="bits must be one of"):
        quantize(torch.randn(4, 8), bits=3)
    with pytest.raises(ValueError, match="must divide the 8 columns"):
        quantize(torch.randn(4, 8), bits=4, group_size=3)
    with pytest.raises(ValueError, match="weight must be"):
        quantize(torch.randn(8), bits=8)
    with pytest.raises(ValueError, match="no nn.Linear"):
        quantize_model(torch.nn.Embedding(3, 4))
