"""Tests of the kernel-free attention head view (gentle_llm.explorers.attention)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from browser import chromium, open_page

from gentle_llm.attention import causal_mask
from gentle_llm.explorers import attention as ex

TOKENS = ["The", " cat", " sat", " <b>&", "\n", "  "]


def _weights(layers: int = 3, heads: int = 2, T: int = len(TOKENS), seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    scores = torch.randn(layers, heads, T, T, generator=g)
    return scores.masked_fill(~causal_mask(T), float("-inf")).softmax(-1)


def _payload(page: str) -> dict:
    match = re.search(r'<script type="application/json" class="glm-data">(.*?)</script>', page)
    assert match, "the weights are not embedded"
    return json.loads(match.group(1))


# ---- plain HTML checks ----------------------------------------------------------------------


def test_payload_holds_rounded_weights_and_labels() -> None:
    w = _weights()
    data = _payload(ex.head_view_html(TOKENS, w))
    assert data["tokens"] == ["The", "cat", "sat", "<b>&", "\\n", "␣␣"]
    assert data["layers"] == [0, 1, 2] and data["heads"] == [0, 1]
    # Stored per mille (3 decimals); causal rows drop their trailing zeros.
    row = data["w"][1][0][2]
    assert len(row) == 3
    np.testing.assert_allclose(np.array(row) / 1000, w[1, 0, 2, :3].numpy(), atol=5e-4)


def test_subset_of_layers_and_heads() -> None:
    w = _weights(layers=4, heads=3)
    data = _payload(ex.head_view_html(TOKENS, w, layers=[3, 1], heads=2))
    assert data["layers"] == [3, 1] and data["heads"] == [2]
    assert len(data["w"]) == 2 and len(data["w"][0]) == 1
    expected = np.rint(w[3, 2, -1].numpy() * 1000).astype(int).tolist()
    assert data["w"][0][0][-1] == expected


def test_markup_in_tokens_and_title_cannot_break_out() -> None:
    tokens = ["</script><script>alert(1)</script>", "&amp;", "<!--"]
    page = ex.head_view_html(tokens, _weights(T=3), title='<i>"x"</i> & co')
    assert page.count("<script") == 3  # the data block, dom.js and our own code, nothing else
    assert "alert(1)</script>" not in page
    assert "<!--" not in page
    assert "&lt;i&gt;&quot;x&quot;&lt;/i&gt; &amp; co" in page
    assert _payload(page)["tokens"][0] == "</script><script>alert(1)</script>"


def test_ids_are_unique_per_output_and_stable_in_a_fresh_process() -> None:
    w = _weights()
    first, second = ex.head_view_html(TOKENS, w), ex.head_view_html(TOKENS, w)
    id1 = re.search(r'id="(glm-attn-[^"]+)"', first).group(1)
    id2 = re.search(r'id="(glm-attn-[^"]+)"', second).group(1)
    assert id1 != id2
    # Everything but the counter depends only on the content, so reruns store the same page.
    assert re.sub(r"glm-attn-\d+-", "", first) == re.sub(r"glm-attn-\d+-", "", second)
    assert f'getElementById("{id1}")' in first


def test_page_is_self_contained_and_small() -> None:
    page = ex.head_view_html(TOKENS, _weights())
    assert "http://" not in page and "https://" not in page
    assert "require(" not in page
    assert "mathjax_ignore" in page  # "$" in a token must not be typeset as math
    # 30 layers x 9 heads of a 12-token sentence, SmolLM2's shape, stays well under 300 kB.
    big = ex.head_view_html([f"t{i}" for i in range(12)], _weights(30, 9, 12))
    assert len(big.encode()) < 300_000


def test_accepts_numpy_and_show_head_view_returns_html() -> None:
    w = _weights().numpy()
    shown = ex.show_head_view(TOKENS, w, title="t")
    assert "glm-attn" in shown.data


def test_token_label() -> None:
    assert ex.token_label(" cat") == "cat"
    assert ex.token_label("\n") == "\\n"
    assert ex.token_label(" ") == "␣"
    assert ex.token_label("") == "␣"


def test_bad_inputs_get_clear_errors() -> None:
    w = _weights()
    with pytest.raises(ValueError, match=r"\[layers, heads, T, T\]"):
        ex.head_view_html(TOKENS, w[0])
    with pytest.raises(ValueError, match="list of 6 strings"):
        ex.head_view_html(TOKENS[:-1], w)
    with pytest.raises(ValueError, match="single string"):
        ex.head_view_html("abcdef", w)
    with pytest.raises(ValueError, match=r"layer 5 does not exist: pick one of 0\.\.2"):
        ex.head_view_html(TOKENS, w, layers=[5])
    with pytest.raises(ValueError, match="empty"):
        ex.head_view_html(TOKENS, w, heads=[])
    with pytest.raises(ValueError, match="twice"):
        ex.head_view_html(TOKENS, w, layers=[1, 1])
    with pytest.raises(TypeError, match="head must be a whole number from 0 to 1, got 0.5"):
        ex.head_view_html(TOKENS, w, heads=[0.5])
    with pytest.raises(TypeError, match="got True"):  # before: "'bool' object is not iterable"
        ex.head_view_html(TOKENS, w, heads=True)
    with pytest.raises(ValueError, match="NaN"):
        ex.head_view_html(TOKENS, w * float("nan"))
    many = [str(i) for i in range(200)]
    with pytest.raises(ValueError, match="fewer layers"):
        ex.head_view_html(many, _weights(30, 9, 200))


def test_dense_maps_are_checked_after_encoding(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ex, "MAX_BYTES", 500)
    with pytest.raises(ValueError, match="shorter text"):
        ex.head_view_html(TOKENS, torch.full((3, 2, 6, 6), 1 / 6))


# ---- in a real browser ------------------------------------------------------------------------


@pytest.mark.book
def test_head_view_responds_in_headless_chromium(tmp_path: Path) -> None:
    w = _weights(layers=3, heads=2)
    # Make layer 2, head 1 unmistakable: every token looks only at the first one.
    w[2, 1] = 0.0
    w[2, 1, :, 0] = 1.0
    views = ex.head_view_html(TOKENS, w, title="first") + ex.head_view_html(
        TOKENS, w, layers=[2], title="second"
    )
    page_file = tmp_path / "view.html"
    page_file.write_text(f"<!doctype html><meta charset='utf-8'><body>{views}</body>", "utf-8")

    cell = "tr[data-row='3'] td[data-col='0']"
    with chromium() as browser, open_page(browser, page_file.as_uri()) as (page, report):
        first = page.locator(".glm-attn").nth(0)
        second = page.locator(".glm-attn").nth(1)
        for view in (first, second):
            assert view.locator(".glm-fallback").count() == 0  # the script ran
            assert view.locator(".glm-body").is_visible()
            assert view.locator("td.glm-cell").count() == len(TOKENS) ** 2
        assert first.locator("select.glm-layer option").all_inner_texts() == [
            "layer 0",
            "layer 1",
            "layer 2",
        ]
        before = first.locator(cell).get_attribute("data-w")
        assert before == f"{w[0, 0, 3, 0].item():.3f}"

        first.locator("select.glm-layer").select_option(label="layer 2")
        first.locator("button[data-head='1']").click()
        assert first.locator(cell).get_attribute("data-w") == "1.000"
        assert first.locator(cell).get_attribute("title") == "“<b>&” → “The”: 1.000"
        assert first.locator("button[data-head='1']").get_attribute("aria-pressed") == "true"
        # The other explorer on the page did not move.
        assert second.locator(cell).get_attribute("data-w") == f"{w[2, 0, 3, 0].item():.3f}"

        # Click a token: it is marked, its row is highlighted, and the sentence shows its weights.
        first.locator(".glm-tok[data-i='2']").click()
        assert "glm-sel" in first.locator(".glm-tok[data-i='2']").get_attribute("class")
        assert "glm-row-sel" in first.locator("tr[data-row='2']").get_attribute("class")
        assert first.locator(".glm-info").inner_text() == (
            "Layer 2, head 1: “sat” looks most at “The” (1.000)."
        )
        looked_at = first.locator(".glm-tok[data-i='0']").evaluate(
            "e => getComputedStyle(e).backgroundColor"
        )
        ignored = first.locator(".glm-tok[data-i='1']").evaluate(
            "e => getComputedStyle(e).backgroundColor"
        )
        assert looked_at == "rgb(8, 48, 107)" and ignored == "rgb(255, 255, 255)"
        # Clicking the same token again clears the selection.
        first.locator(".glm-tok[data-i='2']").click()
        assert first.locator(".glm-sel").count() == 0
        # Keyboard users can select too.
        first.locator(".glm-tok[data-i='4']").press("Enter")
        assert "glm-sel" in first.locator(".glm-tok[data-i='4']").get_attribute("class")
    assert report.problems() == []
