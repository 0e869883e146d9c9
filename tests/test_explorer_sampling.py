"""Tests of the kernel-free sampling explorer (gentle_llm.explorers.sampling)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
import torch
from browser import chromium, open_page

from gentle_llm.explorers import sampling as ex
from gentle_llm.generate import SamplingConfig, next_token_distribution

WORDS = [" Paris", " the", " London", " <b>&", "\n", " Lyon", " Rome", " a"]


def _entry(prompt: str = "The capital of France is", seed: int = 0, vocab: int = 60):
    g = torch.Generator().manual_seed(seed)
    logits = 2.5 * torch.randn(vocab, generator=g)
    names = [WORDS[i] if i < len(WORDS) else f" w{i}" for i in range(vocab)]
    return ex.stored_logits(prompt, logits, lambda ids: names[ids[0]], k=20), logits


def _payload(page: str) -> dict:
    match = re.search(r'<script type="application/json" class="glm-data">(.*?)</script>', page)
    assert match, "the logits are not embedded"
    return json.loads(match.group(1))


# ---- plain Python and HTML checks -----------------------------------------------------------


def test_stored_logits_keeps_the_largest_sorted_with_their_mass() -> None:
    entry, logits = _entry()
    values, ids = torch.topk(logits, 20)
    assert entry.logits == tuple(float(v) for v in values)
    assert list(entry.logits) == sorted(entry.logits, reverse=True)
    assert math.isclose(entry.mass, float(logits.softmax(-1)[ids].sum()), rel_tol=1e-6)
    assert 0 < entry.mass < 1


def test_distribution_is_next_token_distribution() -> None:
    entry, _ = _entry()
    for temperature, top_k, top_p in [(1.0, None, None), (0.5, 7, None), (1.6, None, 0.8)]:
        config = SamplingConfig(temperature=temperature, top_k=top_k, top_p=top_p)
        expected = next_token_distribution(torch.tensor(entry.logits), config)
        got = ex.distribution(entry.logits, temperature, top_k, top_p)
        torch.testing.assert_close(torch.tensor(got, dtype=torch.float32), expected)
    assert ex.distribution(entry.logits, 0.0) == [1.0] + [0.0] * 19


def test_entropy_in_bits() -> None:
    assert ex.entropy_bits([0.25] * 4) == 2.0
    assert ex.entropy_bits([1.0, 0.0]) == 0.0
    assert math.isclose(ex.entropy_bits([0.5, 0.25, 0.25]), 1.5)


def test_mulberry32_matches_its_published_first_values() -> None:
    # The first output of mulberry32 seeded with 0, from its 32-bit integer steps by hand:
    # state 0x6D2B79F5 -> 1144304738 / 2**32.
    rand = ex.mulberry32(0)
    assert rand() == 1144304738 / 4294967296
    values = [rand() for _ in range(1000)]
    assert all(0 <= v < 1 for v in values)
    assert 0.45 < sum(values) / len(values) < 0.55
    assert ex.mulberry32(5)() == ex.mulberry32(5)()


def test_draw_tokens_follows_the_probabilities() -> None:
    probs = [0.5, 0.0, 0.3, 0.2]
    draws = ex.draw_tokens(probs, seed=1, n=2000)
    assert 1 not in draws  # a removed token is never drawn
    for i, p in enumerate(probs):
        assert abs(draws.count(i) / len(draws) - p) < 0.04
    assert draws[:50] == ex.draw_tokens(probs, seed=1, n=50)
    assert draws[:50] != ex.draw_tokens(probs, seed=2, n=50)
    assert ex.draw_tokens([0.0, 1.0], seed=3, n=5) == [1] * 5


def test_payload_and_markup() -> None:
    entry, _ = _entry()
    page = ex.sampling_html([entry], temperature=0.7, top_k=5, seed=3, title="<i>t</i> & co")
    data = _payload(page)
    assert data["prompts"][0]["logits"] == [round(v, 4) for v in entry.logits]
    marked = ex.StoredLogits("p", (" Paris", "\n", "<b>&"), (3.0, 2.0, 1.0))
    # Whitespace is made visible, as in Chapter 2's token explorer.
    assert _payload(ex.sampling_html(marked))["prompts"][0]["labels"] == ["·Paris", "↵", "<b>&"]
    assert data["start"] == {"temperature": 0.7, "top_k": 5, "top_p": 1.0, "seed": 3}
    # the data block, dom.js and decoding.js (shared with the other explorers) and our own
    # code, nothing else
    assert page.count("<script") == 4
    assert "&lt;i&gt;t&lt;/i&gt; &amp; co" in page
    assert "http://" not in page and "https://" not in page
    assert "mathjax_ignore" in page
    # Same content, same page apart from the counter: reruns store the same output.
    again = ex.sampling_html([entry], temperature=0.7, top_k=5, seed=3, title="<i>t</i> & co")
    assert re.sub(r"glm-samp-\d+-", "", page) == re.sub(r"glm-samp-\d+-", "", again)
    assert page != again
    assert "glm-samp" in ex.explore_sampling(entry).data


def test_bad_inputs_get_clear_errors() -> None:
    entry, logits = _entry()
    with pytest.raises(ValueError, match="at least one"):
        ex.sampling_html([])
    with pytest.raises(TypeError, match="StoredLogits"):
        ex.sampling_html([(1, 2)])
    with pytest.raises(ValueError, match="sorted"):
        ex.sampling_html(ex.StoredLogits("p", ("a", "b"), (1.0, 2.0)))
    with pytest.raises(ValueError, match="temperature"):
        ex.sampling_html(entry, temperature=-0.5)
    with pytest.raises(ValueError, match="slider"):
        ex.sampling_html(entry, temperature=3)
    with pytest.raises(ValueError, match="top_p"):
        ex.sampling_html(entry, top_p=1.5)
    with pytest.raises(ValueError, match="0..999"):
        ex.sampling_html(entry, seed=5000)
    with pytest.raises(ValueError, match="NaN"):
        ex.stored_logits("p", logits * float("nan"), str)
    with pytest.raises(ValueError, match="fewer than k"):
        ex.stored_logits("p", logits[:5], str, k=10)
    with pytest.raises(ValueError, match="keep k"):
        ex.stored_logits("p", logits, str, k=500)


# ---- in a real browser ------------------------------------------------------------------------

SET_SLIDER = """(el, value) => {
  el.value = String(value);
  el.dispatchEvent(new Event("input", { bubbles: true }));
}"""


def _page_probs(view) -> list[float]:
    return [
        float(p)
        for p in view.locator(".glm-row").evaluate_all(
            "rows => rows.map(r => r.getAttribute('data-p'))"
        )
    ]


def _page_draws(view) -> list[int]:
    return [int(i) for i in view.locator(".glm-draws").get_attribute("data-draws").split(",")]


@pytest.mark.book
def test_sliders_reshape_the_distribution_in_headless_chromium(tmp_path: Path) -> None:
    first, _ = _entry("The capital of France is", seed=0)
    second, _ = _entry("Once upon a time", seed=1)
    views = ex.sampling_html([first, second], title="one") + ex.sampling_html([first], title="two")
    page_file = tmp_path / "sampling.html"
    page_file.write_text(f"<!doctype html><meta charset='utf-8'><body>{views}</body>", "utf-8")

    def python(entry, temperature=1.0, top_k=None, top_p=None) -> list[float]:
        config = SamplingConfig(temperature=temperature, top_k=top_k, top_p=top_p)
        stored = _payload(views)["prompts"][0 if entry is first else 1]["logits"]
        return next_token_distribution(torch.tensor(stored), config).tolist()

    def close(got: list[float], expected: list[float]) -> None:
        assert len(got) == len(expected)
        assert max(abs(a - b) for a, b in zip(got, expected, strict=True)) <= 1e-6

    with chromium() as browser, open_page(browser, page_file.as_uri()) as (page, report):
        one = page.locator(".glm-samp").nth(0)
        two = page.locator(".glm-samp").nth(1)
        for view in (one, two):
            assert view.locator(".glm-fallback").count() == 0  # the script ran
            assert view.locator(".glm-body").is_visible()
            assert view.locator(".glm-row").count() == 20
        start = _page_probs(one)
        close(start, python(first))
        labels = _payload(views)["prompts"][0]["labels"]
        assert one.locator(".glm-row .glm-label").all_inner_texts() == labels

        temperature = one.locator("input.glm-temperature")
        temperature.evaluate(SET_SLIDER, 0.5)
        sharper = _page_probs(one)
        assert sharper != start
        close(sharper, python(first, temperature=0.5))
        assert sharper[0] > start[0]  # a lower temperature favours the favourite
        assert one.locator("output.glm-temperature-value").inner_text() == "0.50"

        one.locator("input.glm-top-k").evaluate(SET_SLIDER, 4)
        kept = _page_probs(one)
        close(kept, python(first, temperature=0.5, top_k=4))
        assert sum(p > 0 for p in kept) == 4
        assert "4 of 20 tokens can be drawn" in one.locator(".glm-summary").inner_text()
        assert one.locator(".glm-row.glm-off").count() == 16

        one.locator("input.glm-top-k").evaluate(SET_SLIDER, 20)
        temperature.evaluate(SET_SLIDER, 1.5)
        one.locator("input.glm-top-p").evaluate(SET_SLIDER, 0.6)
        nucleus = _page_probs(one)
        close(nucleus, python(first, temperature=1.5, top_p=0.6))
        shown = float(one.locator(".glm-summary").inner_text().split("entropy ")[1].split()[0])
        assert abs(shown - ex.entropy_bits(nucleus)) < 0.01

        temperature.evaluate(SET_SLIDER, 0)
        assert _page_probs(one) == python(first, temperature=0)
        assert one.locator("output.glm-temperature-value").inner_text() == "0 (greedy)"
        assert set(_page_draws(one)) == {0}
        temperature.evaluate(SET_SLIDER, 1)
        one.locator("input.glm-top-p").evaluate(SET_SLIDER, 1)

        # Draws: the page's generator is the Python one, and one seed gives one set of draws.
        seed = one.locator("input.glm-seed")
        seed.evaluate(SET_SLIDER, 42)
        probs = _page_probs(one)
        draws = _page_draws(one)
        assert draws == ex.draw_tokens(probs, 42, 20)
        seed.evaluate(SET_SLIDER, 43)
        assert _page_draws(one) != draws
        seed.evaluate(SET_SLIDER, 42)
        assert _page_draws(one) == draws
        assert one.locator(".glm-draw").all_inner_texts() == [labels[i] for i in draws]

        # Another prompt: its own logits; the second explorer did not move.
        one.locator("select.glm-prompt").select_option(index=1)
        close(_page_probs(one), python(second))
        close(_page_probs(two), python(first))
    assert report.problems() == []
