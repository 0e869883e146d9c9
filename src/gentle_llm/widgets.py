"""ipywidgets interfaces for a live kernel (Jupyter, Colab).

In the built book a widget is only a frozen snapshot, because no Python runs behind the page;
the kernel-free explorers in :mod:`gentle_llm.explorers` cover that case. Each widget here
calls a plain function to draw, so the drawing is tested without a browser or a kernel.

Chapter 4 uses :func:`attention_picker` to flip through SmolLM2's layers and heads.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from gentle_llm import checks
from gentle_llm.explorers.attention import attention_array, token_label

__all__ = ["render_attention", "attention_picker", "AttentionPicker"]


def _check_layer_head(array: np.ndarray, layer: Any, head: Any) -> None:
    for name, value, size in (("layer", layer, array.shape[0]), ("head", head, array.shape[1])):
        if not checks.is_int(value):
            raise TypeError(f"{name} must be a whole number, got {value!r}.")
        if not 0 <= value < size:
            raise ValueError(f"{name} {value} does not exist: pick one of 0..{size - 1}.")


def _draw(
    array: np.ndarray, tokens: Sequence[str], layer: int, head: int, ax: Any, title: str
) -> Any:
    T = array.shape[-1]
    labels = [token_label(str(t)) for t in tokens]
    image = ax.imshow(array[layer, head], cmap="Blues", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(T), labels, rotation=90)
    ax.set_yticks(range(T), labels)
    ax.grid(False)
    ax.set_xlabel("looked at (key)")
    ax.set_ylabel("looking (query)")
    ax.set_title(title or f"Layer {layer}, head {head}")
    return image


def render_attention(
    weights: Any, tokens: Sequence[str], layer: int, head: int, ax: Any, *, title: str = ""
) -> Any:
    """Draw one head's ``T x T`` attention weights on the matplotlib axes ``ax``.

    Rows are the tokens doing the looking (queries), columns the tokens looked at (keys);
    the colour runs from white (0) to dark blue (1). Returns the image, e.g. for a colour bar.
    Chapter 4 explains how to read it.
    """
    array = attention_array(tokens, weights)
    _check_layer_head(array, layer, head)
    return _draw(array, tokens, layer, head, ax, title)


class AttentionPicker(widgets.VBox):
    """Layer and head dropdowns above a heat map of that head's attention (Chapter 4)."""

    def __init__(
        self,
        weights: Any,
        tokens: Sequence[str],
        layer: int = 0,
        head: int = 0,
        figsize: tuple[float, float] = (4.8, 4.4),
    ) -> None:
        self.weights = attention_array(tokens, weights)
        _check_layer_head(self.weights, layer, head)
        self.tokens = list(tokens)
        n_layers, n_heads = self.weights.shape[:2]
        self.layer_dropdown = widgets.Dropdown(
            options=[(f"layer {i}", i) for i in range(n_layers)],
            value=int(layer),
            description="Layer",
        )
        self.head_dropdown = widgets.Dropdown(
            options=[(f"head {i}", i) for i in range(n_heads)],
            value=int(head),
            description="Head",
        )
        # The heat map travels as a PNG inside an Image widget rather than through an Output
        # widget: no display messages, so the stored notebook output is just the widget, and
        # the saved widget state shows the picture in the static book.
        self.image = widgets.Image(format="png")
        # A Figure outside pyplot: the inline backend never shows it on its own.
        self.figure = Figure(figsize=figsize, layout="constrained")
        self.ax = self.figure.add_subplot()
        super().__init__([widgets.HBox([self.layer_dropdown, self.head_dropdown]), self.image])
        self.layer_dropdown.observe(self._on_change, names="value")
        self.head_dropdown.observe(self._on_change, names="value")
        self.redraw()

    def _on_change(self, _change: dict) -> None:
        self.redraw()

    def redraw(self) -> None:
        """Draw the chosen layer and head and put the picture in the image widget."""
        self.ax.clear()
        # The dropdowns only offer layers and heads that exist: nothing to check again.
        _draw(
            self.weights,
            self.tokens,
            self.layer_dropdown.value,
            self.head_dropdown.value,
            self.ax,
            "",
        )
        buffer = io.BytesIO()
        # No metadata: the same picture gives the same bytes on every run.
        self.figure.savefig(buffer, format="png", dpi=90, metadata={"Software": None})
        self.image.value = buffer.getvalue()

    def __repr__(self) -> str:
        # Short and free of figure data, so a notebook's stored text output stays stable.
        return (
            f"AttentionPicker(layer={self.layer_dropdown.value}, head={self.head_dropdown.value})"
        )


def attention_picker(
    weights: Any,
    tokens: Sequence[str],
    *,
    layer: int = 0,
    head: int = 0,
    figsize: tuple[float, float] = (4.8, 4.4),
) -> AttentionPicker:
    """A widget to flip through attention heads in a live kernel: two dropdowns and a heat map.

    ``weights`` is ``[layers, heads, T, T]`` (from :func:`gentle_llm.attention.attention_maps`).
    Changing a dropdown redraws the map as :func:`render_attention` draws it. Chapter 4 uses it
    on SmolLM2.
    """
    return AttentionPicker(weights, tokens, layer=layer, head=head, figsize=figsize)
