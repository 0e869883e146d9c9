"""Tests of the sampling sliders (gentle_llm.widgets.sampling_sliders).

nbval never moves a slider, so the reaction to a change is tested here as plain Python, on a
small untrained GPT (its random weights give varied text quickly).
"""

from __future__ import annotations

import pytest
import torch

from gentle_llm.generate import SamplingConfig, generate
from gentle_llm.model import GPT, GPTConfig
from gentle_llm.widgets import SamplingSliders, sample_text, sampling_sliders

ALPHABET = "abcdefghijklmnopqrstuvwxyz <>&"


def decode(ids: list[int]) -> str:
    return "".join(ALPHABET[i] for i in ids)


@pytest.fixture(scope="module")
def model() -> GPT:
    torch.manual_seed(0)
    config = GPTConfig(vocab_size=len(ALPHABET), block_size=32, n_layer=1, n_head=2, n_embd=32)
    return GPT(config).eval()


PROMPT = [0, 1, 2]


def test_sample_text_is_generate_decoded(model: GPT) -> None:
    config = SamplingConfig(max_new_tokens=12, temperature=0.8, top_k=5, seed=3)
    expected = decode(generate(model, PROMPT, config))
    got = sample_text(model, PROMPT, decode, temperature=0.8, top_k=5, seed=3, max_new_tokens=12)
    assert got == expected and len(got) == 12
    # 0 and 1.0 switch the filters off, as the sliders' ends do.
    off = SamplingConfig(max_new_tokens=12, seed=4)
    assert sample_text(model, PROMPT, decode, top_k=0, top_p=1.0, seed=4, max_new_tokens=12) == (
        decode(generate(model, PROMPT, off))
    )


def test_sliders_regenerate_when_moved(model: GPT) -> None:
    sliders = sampling_sliders(model, PROMPT, decode, prompt_text="a<b", max_new_tokens=15)
    assert isinstance(sliders, SamplingSliders)
    assert repr(sliders) == "SamplingSliders(temperature=1.0, top_k=0, top_p=1.0, seed=0)"
    first = sliders.last_text
    assert first == sample_text(model, PROMPT, decode, seed=0, max_new_tokens=15)
    assert "<b>a&lt;b</b>" in sliders.text.value  # the prompt is escaped, then shown in bold

    seen = {first}
    for seed in range(1, 6):  # what dragging the seed slider does on the Python side
        sliders.seed.value = seed
        assert sliders.last_text == sample_text(model, PROMPT, decode, seed=seed, max_new_tokens=15)
        seen.add(sliders.last_text)
    assert len(seen) > 1, "different seeds should give different text"

    sliders.seed.value = 0
    assert sliders.last_text == first  # same seed, same text

    sliders.temperature.value = 0.0  # greedy: the seed no longer matters
    greedy = sliders.last_text
    sliders.seed.value = 7
    assert sliders.last_text == greedy
    assert greedy == decode(generate(model, PROMPT, SamplingConfig(15, temperature=0)))

    sliders.temperature.value = 1.0
    sliders.top_k.value = 1  # top-k 1 is greedy too
    assert sliders.last_text == greedy
    sliders.top_k.value = 0
    sliders.top_p.value = 0.5
    assert sliders.last_text == sample_text(
        model, PROMPT, decode, top_p=0.5, seed=7, max_new_tokens=15
    )
    assert repr(sliders) == "SamplingSliders(temperature=1.0, top_k=0, top_p=0.5, seed=7)"


def test_slider_ranges_keep_settings_valid(model: GPT) -> None:
    sliders = sampling_sliders(model, PROMPT, decode, max_new_tokens=2)
    assert (sliders.temperature.min, sliders.temperature.max) == (0.0, 2.0)
    assert sliders.top_p.min > 0 and sliders.top_p.max == 1.0
    assert not sliders.seed.continuous_update  # regenerate on release, not on every pixel
    with pytest.raises(ValueError, match="temperature"):
        sample_text(model, PROMPT, decode, temperature=-1)
