"""ipywidgets interfaces for a live kernel (Jupyter, Colab).

In the built book a widget is only a frozen snapshot, because no Python runs behind the page;
the kernel-free explorers in :mod:`gentle_llm.explorers` cover that case. Each widget here
calls a plain function to draw, so the drawing is tested without a browser or a kernel.

Chapter 4 uses :func:`attention_picker` to flip through SmolLM2's layers and heads;
Chapter 7 uses :func:`sampling_sliders` to regenerate text as the sampling knobs move.
"""

from __future__ import annotations

import html
import io
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from gentle_llm import checks
from gentle_llm.explorers.attention import attention_array, token_label

__all__ = [
    "render_attention",
    "attention_picker",
    "AttentionPicker",
    "sample_text",
    "sampling_sliders",
    "SamplingSliders",
]


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
    layer = checks.index(layer, "layer", array.shape[0])
    head = checks.index(head, "head", array.shape[1])
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
        self.tokens = list(tokens)
        n_layers, n_heads = self.weights.shape[:2]
        self.layer_dropdown = widgets.Dropdown(
            options=[(f"layer {i}", i) for i in range(n_layers)],
            value=checks.index(layer, "layer", n_layers),
            description="Layer",
        )
        self.head_dropdown = widgets.Dropdown(
            options=[(f"head {i}", i) for i in range(n_heads)],
            value=checks.index(head, "head", n_heads),
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


# -- Chapter 7: sampling sliders --------------------------------------------------------------


def sample_text(
    model: Any,
    prompt_ids: Sequence[int],
    decode: Callable[[list[int]], str],
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    seed: int = 0,
    max_new_tokens: int = 30,
) -> str:
    """The text :func:`gentle_llm.generate.generate` continues ``prompt_ids`` with, decoded.

    ``top_k=0`` and ``top_p=1.0`` switch those filters off, as the sliders' ends do.
    """
    from gentle_llm.generate import SamplingConfig, generate

    config = SamplingConfig(
        max_new_tokens=max_new_tokens,
        temperature=temperature,
        top_k=None if not top_k else int(top_k),
        top_p=None if top_p is None or top_p >= 1.0 else float(top_p),
        seed=int(seed),
    )
    return decode(generate(model, list(prompt_ids), config))


class SamplingSliders(widgets.VBox):
    """Temperature, top-k, top-p and seed sliders above the text they generate (Chapter 7)."""

    def __init__(
        self,
        model: Any,
        prompt_ids: Sequence[int],
        decode: Callable[[list[int]], str],
        *,
        prompt_text: str = "",
        max_new_tokens: int = 30,
        temperature: float = 1.0,
        top_k: int = 0,
        top_p: float = 1.0,
        seed: int = 0,
    ) -> None:
        self.model, self.prompt_ids, self.decode = model, list(prompt_ids), decode
        self.prompt_text, self.max_new_tokens = prompt_text, max_new_tokens
        # Regenerate when a slider is released, not at every pixel of a drag: one
        # generation takes a moment on a CPU.
        common = {"continuous_update": False, "style": {"description_width": "90px"}}
        self.temperature = widgets.FloatSlider(
            value=temperature, min=0.0, max=2.0, step=0.05, description="temperature", **common
        )
        self.top_k = widgets.IntSlider(
            value=top_k, min=0, max=100, description="top-k (0=off)", **common
        )
        self.top_p = widgets.FloatSlider(
            value=top_p, min=0.05, max=1.0, step=0.05, description="top-p (1=off)", **common
        )
        self.seed = widgets.IntSlider(value=seed, min=0, max=99, description="seed", **common)
        self.text = widgets.HTML()
        super().__init__([self.temperature, self.top_k, self.top_p, self.seed, self.text])
        for slider in (self.temperature, self.top_k, self.top_p, self.seed):
            slider.observe(self._on_change, names="value")
        self.regenerate()

    def _on_change(self, _change: dict) -> None:
        self.regenerate()

    def regenerate(self) -> str:
        """Generate with the sliders' values, show the text, and return it."""
        text = sample_text(
            self.model,
            self.prompt_ids,
            self.decode,
            temperature=self.temperature.value,
            top_k=self.top_k.value,
            top_p=self.top_p.value,
            seed=self.seed.value,
            max_new_tokens=self.max_new_tokens,
        )
        prompt = html.escape(self.prompt_text)
        self.text.value = (
            f'<div style="white-space: pre-wrap; font-family: monospace">'
            f"<b>{prompt}</b>{html.escape(text)}</div>"
        )
        self.last_text = text
        return text

    def __repr__(self) -> str:
        # Short and free of generated text, so a notebook's stored text output stays stable.
        return (
            f"SamplingSliders(temperature={self.temperature.value}, top_k={self.top_k.value},"
            f" top_p={self.top_p.value}, seed={self.seed.value})"
        )


def sampling_sliders(
    model: Any,
    prompt_ids: Sequence[int],
    decode: Callable[[list[int]], str],
    **options: Any,
) -> SamplingSliders:
    """Sliders that regenerate a continuation of ``prompt_ids`` live, in a kernel only.

    ``decode`` turns token ids into text. ``options``: ``prompt_text`` (shown in bold before
    the continuation), ``max_new_tokens`` and the sliders' starting values ``temperature``,
    ``top_k`` (0 = off), ``top_p`` (1 = off) and ``seed``. In the built book use
    :func:`gentle_llm.explorers.sampling.explore_sampling` instead.
    """
    return SamplingSliders(model, prompt_ids, decode, **options)
