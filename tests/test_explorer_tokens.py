"""Tests of the kernel-free token-boundary explorer (gentle_llm.explorers.tokens)."""

from __future__ import annotations

import re

import pytest

from gentle_llm.explorers import tokens as ex
from gentle_llm.tokenizers import BPETokenizer, CharTokenizer

SAMPLE = "the cat sat on the mat.\nthe hat!\t<b>"


@pytest.fixture(scope="module")
def char_tok() -> CharTokenizer:
    return CharTokenizer.from_text(SAMPLE + "<script>alert(1)</script>&\"'", name="chars")


@pytest.fixture(scope="module")
def bpe_tok() -> BPETokenizer:
    return BPETokenizer.train(SAMPLE * 20, 270, name="tiny-bpe")


def _spans(page: str) -> list[str]:
    return re.findall(r'<span class="gllm-t".*?</span>(?=<span class="gllm-t"|</div>)', page)


# ---- plain HTML checks ----------------------------------------------------------------------


def test_script_in_text_is_escaped_not_run() -> None:
    page = ex.token_boundaries_html(["<script>", "alert(1)", "</script>"], [1, 2, 3])
    assert "<script>alert" not in page
    assert "&lt;script&gt;" in page and "&lt;/script&gt;" in page
    # our own single script block is the only one
    assert page.count("<script>") == 1


def test_quotes_in_title_and_pieces_are_escaped() -> None:
    page = ex.token_boundaries_html(['say "hi"', "&amp;"], title='<i>"x"</i>')
    assert "<i>" not in page
    assert "&lt;i&gt;&quot;x&quot;&lt;/i&gt;" in page
    assert "&amp;amp;" in page  # a literal "&amp;" in the text is shown as typed
    # attribute values never contain a raw double quote from the text
    assert 'data-label="token 1 of 2: “say·&quot;hi&quot;”"' in page


def test_whitespace_is_made_visible() -> None:
    page = ex.token_boundaries_html([" the", "\n", "\tx", "a\u00a0b"])
    assert '<span class="gllm-ws" style="color:#999">·</span>the' in page
    assert "↵</span><br>" in page
    assert "⇥" in page and "⍽" in page
    assert ex.visible_whitespace(" a\n\tb") == "·a↵⇥b"


def test_empty_piece_is_still_visible() -> None:
    page = ex.token_boundaries_html(["a", "", "b"])
    assert len(_spans(page)) == 3
    assert "∅" in page


def test_count_and_neighbour_colours() -> None:
    pieces = ["a", "b", "c", "d", "e", "f", "g", "h"]
    page = ex.token_boundaries_html(pieces, list(range(8)), title="demo")
    assert "8 tokens" in page
    colours = re.findall(r'style="background:(#[0-9a-f]{6})"', page)
    assert len(colours) == 8
    assert all(a != b for a, b in zip(colours, colours[1:], strict=False))
    assert 'data-id="7"' in page and 'title="token 8 of 8, id 7"' in page
    assert "1 token<" in ex.token_boundaries_html(["x"])
    assert "0 tokens" in ex.token_boundaries_html([])


def test_no_ids_means_positions_only() -> None:
    page = ex.token_boundaries_html(["a", "b"])
    assert "data-id" not in page
    assert 'title="token 2 of 2"' in page


def test_ids_are_unique_per_output_and_deterministic_in_form() -> None:
    first = ex.token_boundaries_html(["a"])
    second = ex.token_boundaries_html(["a"])
    id1 = re.search(r'id="(gllm-tokens-[^"]+)"', first).group(1)
    id2 = re.search(r'id="(gllm-tokens-[^"]+)"', second).group(1)
    assert id1 != id2
    # the style rules and the script address the output's own id only
    assert f"#{id1} .gllm-t" in first and f'getElementById("{id1}")' in first
    assert id2 not in first
    assert re.fullmatch(r"gllm-tokens-\d+-[0-9a-f]{8}", id1)


def test_self_contained_no_external_files() -> None:
    page = ex.token_boundaries_html(["a"], [0])
    assert "http" not in page and "src=" not in page and "<link" not in page


@pytest.mark.parametrize(
    ("pieces", "ids", "error", "match"),
    [
        ("hello", None, TypeError, "list of token strings"),
        ([1, 2], None, TypeError, "not their ids"),
        (["a", "b"], [1], ValueError, "2 pieces but 1 ids"),
        (["a"], "1", TypeError, "ids must be a list"),
        (["a"], [1.5], TypeError, "ids must be ints"),
    ],
)
def test_bad_inputs_get_clear_errors(pieces, ids, error, match) -> None:
    with pytest.raises(error, match=match):
        ex.token_boundaries_html(pieces, ids)


def test_show_tokens_uses_the_tokenizer(char_tok: CharTokenizer) -> None:
    shown = ex.show_tokens(char_tok, "the cat")
    assert "7 tokens" in shown.data
    assert f"chars (vocabulary {char_tok.vocab_size:,})" in shown.data
    assert f'data-id="{char_tok.encode("t")[0]}"' in shown.data
    assert "my label" in ex.show_tokens(char_tok, "a", title="my label").data


def test_show_tokens_bad_inputs(char_tok: CharTokenizer) -> None:
    with pytest.raises(TypeError, match="gentle_llm tokenizer"):
        ex.show_tokens(object(), "text")
    with pytest.raises(TypeError, match="text must be a str"):
        ex.show_tokens(char_tok, ["not", "a", "str"])


def test_show_tokens_wraps_a_hugging_face_tokenizer() -> None:
    from tokenizers import Tokenizer as RawTokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace

    raw = RawTokenizer(WordLevel({"[UNK]": 0, "hello": 1, "world": 2}, unk_token="[UNK]"))
    raw.pre_tokenizer = Whitespace()

    class FakeFast:  # what transformers' fast tokenizers look like to the explorer
        backend_tokenizer = raw
        name_or_path = "fake-hf"

    shown = ex.show_tokens(FakeFast(), "hello world")
    assert "2 tokens" in shown.data and "fake-hf" in shown.data


def test_compare_tokenizers_stacks_blocks(char_tok, bpe_tok) -> None:
    text = "the cat sat"
    page = ex.compare_tokenizers_html([char_tok, bpe_tok], text)
    assert page.count('class="gllm-block"') == 2
    assert f"{len(char_tok.encode(text))} tokens" in page
    assert f"{len(bpe_tok.encode(text))} tokens" in page
    assert len(bpe_tok.encode(text)) < len(char_tok.encode(text))
    labelled = ex.compare_tokenizers({"Letters": char_tok}, text).data
    assert "<b>Letters</b>" in labelled


def test_compare_tokenizers_bad_inputs(char_tok) -> None:
    with pytest.raises(ValueError, match="at least one"):
        ex.compare_tokenizers_html([], "x")
    with pytest.raises(TypeError, match="list of tokenizers"):
        ex.compare_tokenizers_html(char_tok, "x")


def test_real_tokenizer_counts() -> None:
    from gentle_llm.tokenizers import TiktokenTokenizer

    gpt4 = TiktokenTokenizer("cl100k_base")
    page = ex.show_tokens(gpt4, "Hello world!").data
    assert "3 tokens" in page
    assert 'data-id="9906"' in page  # "Hello" in cl100k_base


# ---- in a real browser ----------------------------------------------------------------------


def test_explorer_responds_in_headless_chromium(tmp_path, char_tok, bpe_tok) -> None:
    from browser import chromium

    text = "the cat <script>alert(1)</script>"
    body = ex.compare_tokenizers_html([char_tok, bpe_tok], text)
    body += ex.token_boundaries_html(["second", " output"], [5, 6], title="another")
    page_file = tmp_path / "explorer.html"
    page_file.write_text(
        f'<!doctype html><html><head><meta charset="utf-8"><title>t</title></head>'
        f"<body>{body}</body></html>",
        encoding="utf-8",
    )
    errors: list[str] = []
    dialogs: list[str] = []
    with chromium() as browser:
        page = browser.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(page_file.as_uri())

        blocks = page.locator(".gllm-block")
        assert blocks.count() == 3
        # the text's <script> is shown as text and never runs
        assert "<script>alert(1)</script>" in page.inner_text("body").replace("·", " ")
        assert dialogs == []

        bpe_block = blocks.nth(1)
        status = bpe_block.locator(".gllm-status")
        third = bpe_block.locator(".gllm-t").nth(2)
        third.hover()
        assert re.match(r"token 3 of \d+, id \d+:", status.inner_text())

        second = bpe_block.locator(".gllm-t").nth(1)
        second.click()
        token_id = second.get_attribute("data-id")
        assert "token 2 of" in status.inner_text()
        assert f"id {token_id}:" in status.inner_text()
        assert "gllm-on" in (second.get_attribute("class") or "")
        assert status.get_attribute("data-pinned") == "1"

        # other blocks and the other output are untouched
        hint = "Point at or click a token to see its id."
        assert blocks.nth(0).locator(".gllm-status").inner_text() == hint
        last = blocks.nth(2)
        last.locator(".gllm-t").nth(1).click()
        assert last.locator(".gllm-status").inner_text() == "token 2 of 2, id 6: “·output”"
        assert "token 2 of" in status.inner_text()  # the first output's status is kept
    assert errors == []
