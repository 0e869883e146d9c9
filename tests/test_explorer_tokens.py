"""Tests of the kernel-free token-boundary explorer (gentle_llm.explorers.tokens)."""

from __future__ import annotations

import json
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
    # our own two script blocks (dom.js, then the explorer's code) are the only ones
    assert page.count("<script>") == 2


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
    # the line break comes after the newline's token, so the token stays on one line
    assert "↵</span></span><br>" in page
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
    assert ' data-id="' not in page
    assert 'title="token 2 of 2"' in page


def test_ids_are_unique_per_output_and_deterministic_in_form() -> None:
    first = ex.token_boundaries_html(["a"])
    second = ex.token_boundaries_html(["a"])
    id1 = re.search(r'id="(gllm-tokens-[^"]+)"', first).group(1)
    id2 = re.search(r'id="(gllm-tokens-[^"]+)"', second).group(1)
    assert id1 != id2
    # the script addresses the output's own id only
    assert f'getElementById("{id1}")' in first
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


# ---- typing your own text: explore_tokens ---------------------------------------------------

# What a reader might type: English, accents, emoji (with a joiner and a variation selector),
# digits, runs of whitespace, contractions in both cases, code, other scripts, rare spaces.
TYPED = [
    "Hello world! The cat sat on the mat.",
    "Café naïve résumé — déjà vu, señor Müller",
    "I love 🍓🍓 and ☀️! 👩‍👩‍👧 family",
    "In 2024 the total was 12,345.67 EUR; 1234567 and 3.14159",
    "a  b   c    d\n\n\n  x\t\ty   \n    end   ",
    "don't DON'T we're I'M you'll THEY'VE it'S ſ 'sup",
    "I'ſt we'REx DON'TS you'LLy they'Ve'd",  # where the case rules decide the split
    "x \u0085y z \ufeffw",  # spaces that JavaScript's \s and Python's \s disagree on
    "def f(x):\n    return x ** 2\n",
    "中文 日本語 العربية हिन्दी",
    "\u00a0nbsp\u2003em\u3000ideo\u0085nel\ufeffbom  \u2028x",
    "x<script>alert(1)</script>&amp; <b>",
    "",
]
# Texts that some tokenizers must refuse, exactly as their Python encode() does.
REFUSED = ["<|endoftext|> starts here", "unknown: ✓ Ω"]


@pytest.fixture(scope="module")
def typing_tokenizers() -> dict[str, object]:
    from gentle_llm.tokenizers import TiktokenTokenizer

    corpus = "\n".join(TYPED) * 6  # merges inside accents, emoji, digits and spaces too
    return {
        "characters": CharTokenizer.from_text("".join(TYPED)),
        "BPE, GPT-4 split": BPETokenizer.train(corpus, 420, name="bpe-gpt4"),
        "BPE, GPT-2 split": BPETokenizer.train(
            corpus, 400, pattern="gpt2", special_tokens=["<|endoftext|>"], name="bpe-gpt2"
        ),
        "GPT-2 (r50k_base)": TiktokenTokenizer("r50k_base"),
        "GPT-4 (cl100k_base)": TiktokenTokenizer("cl100k_base"),
    }


def _python_ids(tokenizer, text: str) -> list[int] | None:
    try:
        return tokenizer.encode(text)
    except ValueError:
        return None


def _python_view(tokenizer, text: str) -> tuple[list[int], list[str]] | None:
    """What Python gives for ``text``: ids and visible pieces, or None where it refuses."""
    try:
        ids = tokenizer.encode(text)
    except ValueError:
        return None
    return ids, [ex.visible_whitespace(p) for p in tokenizer.pieces(text)]


def test_explore_tokens_prerenders_the_python_tokens(typing_tokenizers) -> None:
    text = "Café 🍓 don't"
    page = ex.explore_tokens_html(typing_tokenizers, text, note="a note")
    assert page.count('class="gllm-block"') == len(typing_tokenizers)
    blocks = page.split('class="gllm-block"')[1:]
    for tok, block in zip(typing_tokenizers.values(), blocks, strict=True):
        assert [int(i) for i in re.findall(r'data-id="(\d+)"', block)] == tok.encode(text)
    # the box holds the text (escaped), hidden until the script shows it
    assert '<textarea class="gllm-input"' in page and 'style="display:none">Café' in page
    assert "a note" in page
    data = re.search(r'<script type="application/json" class="gllm-data">(.*?)</script>', page)
    payload = json.loads(data.group(1))
    bpe = typing_tokenizers["BPE, GPT-4 split"]
    spec = payload["tokenizers"][1]
    assert spec["kind"] == "bpe" and spec["pattern"] == "gpt4"
    assert list(zip(spec["merges"][::2], spec["merges"][1::2], strict=True)) == bpe.merges
    assert payload["tokenizers"][2]["special"] == ["<|endoftext|>"]
    assert len(payload["alphabet"]) == 256


def test_explore_tokens_shows_python_refusals(typing_tokenizers) -> None:
    page = ex.explore_tokens_html({"characters": typing_tokenizers["characters"]}, REFUSED[1])
    assert "cannot encode this text" in page and "gllm-status gllm-error" in page
    assert "Characters not in the vocabulary" in page


def test_tiktoken_vocabularies_travel_whole() -> None:
    from gentle_llm.tokenizers import TiktokenTokenizer

    alphabet = ex._alphabet()
    for name, count in [("r50k_base", 50_256), ("cl100k_base", 100_256)]:
        encoding = TiktokenTokenizer(name).encoding
        vocab = ex._tiktoken_vocab(name).split(" ")
        assert len(vocab) == count
        for token_id in (0, 255, 256, 1000, count - 1):
            stand_in = vocab[token_id]
            assert bytes(alphabet.index(c) for c in stand_in) == (
                encoding.decode_single_token_bytes(token_id)
            )
    # the size the page pays for each, in UTF-8 bytes (the docstring quotes 0.4 and 0.8 MB)
    sizes = {n: len(ex._tiktoken_vocab(n).encode("utf-8")) for n in ("r50k_base", "cl100k_base")}
    assert 300_000 < sizes["r50k_base"] < 500_000
    assert 600_000 < sizes["cl100k_base"] < 900_000


def test_explore_tokens_refuses_what_cannot_run_in_the_page(typing_tokenizers) -> None:
    from tokenizers import Tokenizer as RawTokenizer
    from tokenizers.models import WordLevel

    from gentle_llm.tokenizers import HFTokenizer

    hf = HFTokenizer(RawTokenizer(WordLevel({"[UNK]": 0}, unk_token="[UNK]")), name="hf")
    with pytest.raises(ValueError, match="cannot run inside the page"):
        ex.explore_tokens_html([hf], "x")
    own_regex = BPETokenizer.train("ab ab ab abc", 258, pattern=r"\w+|\s+")
    with pytest.raises(ValueError, match="your own regex"):
        ex.explore_tokens_html([own_regex], "x")
    with pytest.raises(TypeError, match="text must be a str"):
        ex.explore_tokens_html([typing_tokenizers["characters"]], 42)
    with pytest.raises(ValueError, match="the box holds"):
        ex.explore_tokens_html([typing_tokenizers["characters"]], "a" * (ex.MAX_TYPED + 1))
    with pytest.raises(ValueError, match="at least one"):
        ex.explore_tokens_html([], "x")


def test_explore_tokens_refuses_a_page_too_big(typing_tokenizers, monkeypatch) -> None:
    monkeypatch.setattr(ex, "MAX_BYTES", 10_000)
    with pytest.raises(ValueError, match="pick fewer"):
        ex.explore_tokens_html([typing_tokenizers["GPT-2 (r50k_base)"]], "x")


@pytest.fixture(scope="module")
def typing_page(tmp_path_factory, typing_tokenizers):
    """One explorer with all five tokenizers, open in headless Chromium."""
    from browser import chromium

    body = ex.explore_tokens_html(typing_tokenizers, "Hello")
    page_file = tmp_path_factory.mktemp("typing") / "explore.html"
    page_file.write_text(
        f'<!doctype html><html><head><meta charset="utf-8"><title>t</title></head>'
        f"<body>{body}</body></html>",
        encoding="utf-8",
    )
    errors: list[str] = []
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1000, "height": 800})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("dialog", lambda d: (errors.append("dialog " + d.message), d.dismiss()))
        page.goto(page_file.as_uri())
        yield page, errors


_BLOCKS_JS = """
root => Array.from(root.querySelectorAll(".gllm-block")).map(block => ({
  error: block.querySelector(".gllm-status").classList.contains("gllm-error"),
  count: block.querySelector(".gllm-count").textContent,
  ids: Array.from(block.querySelectorAll(".gllm-t")).map(t => Number(t.dataset.id)),
  pieces: Array.from(block.querySelectorAll(".gllm-t")).map(t => t.textContent),
}))
"""


@pytest.mark.parametrize("text", TYPED + REFUSED, ids=range(len(TYPED + REFUSED)))
def test_typed_text_gets_the_ids_python_gives(typing_page, typing_tokenizers, text) -> None:
    page, errors = typing_page
    assert page.locator("textarea.gllm-input").is_visible()  # the script has shown the box
    page.fill("textarea.gllm-input", text)
    typed = page.input_value("textarea.gllm-input")
    assert typed == text  # nothing was lost on the way in (a text box turns \r\n into \n)
    shown = page.locator(".gllm-tokens").evaluate(_BLOCKS_JS)
    assert len(shown) == len(typing_tokenizers)
    for (label, tok), block in zip(typing_tokenizers.items(), shown, strict=True):
        expected = _python_view(tok, typed)
        if expected is None:
            assert block["error"], f"{label}: Python refuses {typed!r}, the page did not"
            continue
        ids, pieces = expected
        assert not block["error"], f"{label}: the page refused {typed!r}"
        assert block["ids"] == ids, f"{label} on {typed!r}"
        assert block["pieces"] == pieces, f"{label} on {typed!r}"
        assert block["count"] == f"{len(ids)} token{'' if len(ids) == 1 else 's'}"
    assert errors == []


def test_typed_text_with_characters_only_python_knows_as_letters(
    typing_page, typing_tokenizers
) -> None:
    """Python's regex module may know newer Unicode letters and digits than the browser.

    tokens.js uses the browser's tables, so such a character is split as punctuation there.
    This checks, for every code point where the two disagree, that the ids still agree.
    """
    import regex

    page, errors = typing_page
    in_browser = page.evaluate(
        """() => { const L = /^\\p{L}$/u, N = /^\\p{N}$/u, out = [];
          for (let cp = 0; cp < 0x110000; cp++) {
            if (cp >= 0xD800 && cp < 0xE000) continue;
            const c = String.fromCodePoint(cp);
            if (L.test(c) || N.test(c)) out.push(cp);
          } return out; }"""
    )
    letter_or_digit = regex.compile(r"[\p{L}\p{N}]")
    in_python = {
        cp for cp in range(0x110000) if not 0xD800 <= cp < 0xE000 and letter_or_digit.match(chr(cp))
    }
    differ = sorted(in_python.symmetric_difference(in_browser))
    texts = [t.format(chr(cp)) for cp in differ for t in ("a{}b", "1{}2", " {}.", "{}'s")]
    # Encoded in the page without drawing (drawing 50,000 small texts would take minutes),
    # and sent as one JSON string each way, which Playwright passes far faster than a list.
    results = json.loads(
        page.locator(".gllm-tokens").evaluate(
            "(root, texts) => JSON.stringify(JSON.parse(texts).map("
            "t => root.gllmTokenize(t).map(r => r.ids || null)))",
            json.dumps(texts),
        )
    )
    for k, (label, tok) in enumerate(typing_tokenizers.items()):
        wrong = [
            text
            for text, got in zip(texts, results, strict=True)
            if got[k] != _python_ids(tok, text)
        ]
        assert wrong == [], f"{label}: {len(wrong)} texts differ, e.g. {wrong[:3]!r}"
    assert errors == []


def test_no_token_is_split_across_two_lines(typing_page) -> None:
    page, errors = typing_page
    page.set_viewport_size({"width": 320, "height": 800})
    page.fill("textarea.gllm-input", " ".join(["internationalisation", "🍓🍓", "   x"] * 12))
    split_js = """() => Array.from(document.querySelectorAll(".gllm-t"))
        .filter(t => t.getClientRects().length > 1).length"""
    lines_js = """() => new Set(Array.from(document.querySelectorAll(".gllm-block")[4]
        .querySelectorAll(".gllm-t")).map(t => Math.round(t.getBoundingClientRect().top))).size"""
    assert page.evaluate(lines_js) > 3  # the text did wrap onto several lines
    assert page.evaluate(split_js) == 0
    # the check can fail: tokens as plain inline text that may break anywhere do get split
    broken = page.add_style_tag(
        content=".gllm-tokens .gllm-t { display: inline !important;"
        " white-space: pre-wrap !important; } .gllm-tokens .gllm-text { word-break: break-all; }"
    )
    assert page.evaluate(split_js) > 0
    broken.evaluate("node => node.remove()")
    page.set_viewport_size({"width": 1000, "height": 800})
    assert errors == []
