"""Tests of the ipywidgets interfaces (gentle_llm.widgets).

nbval never runs widget callbacks, so the drawing function and the picker's reaction to a
dropdown change are tested here as plain Python, with no browser and no kernel.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from gentle_llm.attention import causal_mask
from gentle_llm.explorers.attention import head_view_html
from gentle_llm.widgets import AttentionPicker, attention_picker, render_attention

TOKENS = ["The", " cat", " sat", "\n"]


@pytest.fixture
def weights() -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    scores = torch.randn(3, 2, 4, 4, generator=g)
    return scores.masked_fill(~causal_mask(4), float("-inf")).softmax(-1)


@pytest.fixture
def ax():
    fig, axes = plt.subplots()
    yield axes
    plt.close(fig)


def test_render_attention_draws_the_chosen_head(weights, ax) -> None:
    image = render_attention(weights, TOKENS, 2, 1, ax)
    np.testing.assert_allclose(image.get_array(), weights[2, 1].numpy(), rtol=1e-6)
    assert image.get_clim() == (0.0, 1.0)
    assert ax.get_title() == "Layer 2, head 1"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["The", "cat", "sat", "\\n"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["The", "cat", "sat", "\\n"]


def test_render_attention_custom_title_and_numpy(weights, ax) -> None:
    render_attention(weights.numpy(), TOKENS, 0, 0, ax, title="mine")
    assert ax.get_title() == "mine"


def test_render_attention_bad_choices(weights, ax) -> None:
    with pytest.raises(ValueError, match=r"layer 3 does not exist: pick one of 0..2"):
        render_attention(weights, TOKENS, 3, 0, ax)
    with pytest.raises(ValueError, match=r"head -1 does not exist"):
        render_attention(weights, TOKENS, 0, -1, ax)
    with pytest.raises(TypeError, match="whole number"):
        render_attention(weights, TOKENS, 1.5, 0, ax)
    with pytest.raises(ValueError, match="list of 4 strings"):
        render_attention(weights, TOKENS[:3], 0, 0, ax)
    with pytest.raises(ValueError, match=r"\[layers, heads, T, T\]"):
        render_attention(weights[0], TOKENS, 0, 0, ax)


def test_picker_redraws_when_a_dropdown_changes(weights) -> None:
    picker = attention_picker(weights, TOKENS, layer=1)
    assert isinstance(picker, AttentionPicker)
    assert picker.ax.get_title() == "Layer 1, head 0"
    assert repr(picker) == "AttentionPicker(layer=1, head=0)"
    assert [label for label, _ in picker.layer_dropdown.options] == [
        "layer 0",
        "layer 1",
        "layer 2",
    ]

    first_picture = bytes(picker.image.value)
    assert first_picture.startswith(b"\x89PNG")

    picker.head_dropdown.value = 1  # what a click in the browser does on the Python side
    assert bytes(picker.image.value) != first_picture
    assert picker.ax.get_title() == "Layer 1, head 1"
    np.testing.assert_allclose(picker.ax.images[-1].get_array(), weights[1, 1].numpy(), rtol=1e-6)
    picker.layer_dropdown.value = 2
    assert picker.ax.get_title() == "Layer 2, head 1"
    assert len(picker.ax.images) == 1  # redrawn, not stacked on the old image
    # Same choice, same picture: stored notebook outputs do not change between runs.
    one, two = (attention_picker(weights, TOKENS, layer=1, head=1) for _ in range(2))
    assert bytes(one.image.value) == bytes(two.image.value)


def test_an_index_out_of_range_gets_one_message_in_every_widget_and_explorer(weights, ax) -> None:
    """A layer or head that does not exist: the same words, which say what to pick instead."""
    expected = r"head 2 does not exist: pick one of 0\.\.1 \(they are counted from 0, so 1 is"
    for show in (
        lambda: render_attention(weights, TOKENS, 0, 2, ax),
        lambda: attention_picker(weights, TOKENS, head=2),
        lambda: head_view_html(TOKENS, weights, heads=[0, 2]),
    ):
        with pytest.raises(ValueError, match=expected):
            show()
    with pytest.raises(ValueError, match=r"layer -1 does not exist: pick one of 0\.\.2"):
        attention_picker(weights, TOKENS, layer=-1)
    for show in (
        lambda: render_attention(weights, TOKENS, "1", 0, ax),
        lambda: attention_picker(weights, TOKENS, layer="1"),
        lambda: head_view_html(TOKENS, weights, layers="1"),
    ):
        with pytest.raises(TypeError, match="layer must be a whole number from 0 to 2, got '1'"):
            show()


def test_picker_bad_inputs(weights) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        attention_picker(weights, TOKENS, head=5)
    with pytest.raises(ValueError, match="list of 4 strings"):
        attention_picker(weights, "abcd")
