"""Tests of the kernel-free token-boundary explorer (gentle_llm.explorers.tokens)."""

from __future__ import annotations

import base64
import gzip
import json
import re
from pathlib import Path

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


def _data_json(page: str) -> str:
    """The tokenizer data an explore_tokens page carries, as stored in it."""
    found = re.search(r'<script type="application/json" class="gllm-data">(.*?)</script>', page)
    assert found, "no tokenizer data in the page"
    return found.group(1)


def _unpacked_vocab(spec: dict) -> list[str]:
    """A tiktoken spec's vocabulary as tokens.js unpacks it: base64, then gzip, then UTF-8."""
    return gzip.decompress(base64.b64decode(spec["vocab_gzip"])).decode("utf-8").split(" ")


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
def lab2_pair() -> dict[str, object]:
    """The two tiktoken tokenizers of Lab 2's explorer."""
    from gentle_llm.tokenizers import TiktokenTokenizer

    return {
        "GPT-2/3 (r50k)": TiktokenTokenizer("r50k_base"),
        "GPT-4 (cl100k)": TiktokenTokenizer("cl100k_base"),
    }


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
    payload = json.loads(_data_json(page))
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


def test_tiktoken_vocabularies_travel_whole(lab2_pair) -> None:
    alphabet = ex._alphabet()
    payload = json.loads(_data_json(ex.explore_tokens_html(lab2_pair, "x")))
    counts = {"r50k_base": 50_256, "cl100k_base": 100_256}
    for spec, tokenizer in zip(payload["tokenizers"], lab2_pair.values(), strict=True):
        assert spec["kind"] == "tiktoken" and "vocab" not in spec  # only the packed list
        vocab = _unpacked_vocab(spec)
        count = counts[tokenizer.name]
        assert len(vocab) == count
        assert vocab == ex._tiktoken_vocab(tokenizer.name).split(" ")
        for token_id in (0, 255, 256, 1000, count - 1):
            stand_in = vocab[token_id]
            assert bytes(alphabet.index(c) for c in stand_in) == (
                tokenizer.encoding.decode_single_token_bytes(token_id)
            )
    # what the page pays for each, in bytes (the docstrings quote 0.26 and 0.55 MB)
    sizes = {n: len(ex._tiktoken_vocab_gzip(n)) for n in counts}
    assert 200_000 < sizes["r50k_base"] < 300_000
    assert 500_000 < sizes["cl100k_base"] < 600_000


def test_packed_vocabulary_is_the_same_on_every_machine() -> None:
    # A fixed gzip header (time 0, operating system "unknown"), where gzip.compress writes the
    # time of day, or on Python 3.11 zlib's code for the system: the stored notebook outputs
    # must not depend on when or where they ran.
    packed = base64.b64decode(ex._tiktoken_vocab_gzip("r50k_base"))
    assert packed[:10] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    assert gzip.decompress(ex._gzip(b"abc " * 1000)) == b"abc " * 1000


def test_lab2_explorer_data_is_compressed(lab2_pair) -> None:
    # Lab 2's explorer carries GPT-2's and GPT-4's vocabularies. As plain text they took 1.22
    # MB of the page; packed they take 0.81 MB, and the size limit lets them through.
    bound = 900_000
    plain = sum(len(ex._tiktoken_vocab(t.name).encode("utf-8")) for t in lab2_pair.values())
    assert plain > bound  # the old format fails this bound
    data = _data_json(ex.explore_tokens_html(lab2_pair, "To be, or not to be"))
    assert len(data.encode("utf-8")) < bound
    assert len(data.encode("utf-8")) < ex.MAX_BYTES


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
    gpt2 = [typing_tokenizers["GPT-2 (r50k_base)"]]
    carried = len(_data_json(ex.explore_tokens_html(gpt2, "x")).encode("utf-8"))
    # the limit applies to exactly what the page carries: the packed vocabulary
    monkeypatch.setattr(ex, "MAX_BYTES", carried)
    ex.explore_tokens_html(gpt2, "x")
    monkeypatch.setattr(ex, "MAX_BYTES", carried - 1)
    with pytest.raises(ValueError, match=r"would add 0\.26 MB .*pick fewer"):
        ex.explore_tokens_html(gpt2, "x")


def _write_page(folder: Path, body: str) -> Path:
    """A page file holding ``body``, to open in the browser; returns its path."""
    page_file = folder / "explore.html"
    page_file.write_text(
        f'<!doctype html><html><head><meta charset="utf-8"><title>t</title></head>'
        f"<body>{body}</body></html>",
        encoding="utf-8",
    )
    return page_file


def _collect_errors(page) -> list[str]:
    """A list that fills with the page's console errors, uncaught errors and dialogs."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (errors.append("dialog " + d.message), d.dismiss()))
    return errors


def _wait_until_ready(explorer) -> None:
    """Wait until the explorer's tokenizers are unpacked; it draws what was typed at once."""
    explorer.page.wait_for_function(
        "root => root.dataset.tokenizers === 'ready'", arg=explorer.element_handle()
    )


@pytest.fixture(scope="module")
def typing_page(tmp_path_factory, typing_tokenizers):
    """One explorer with all five tokenizers, open in headless Chromium."""
    from browser import chromium

    body = ex.explore_tokens_html(typing_tokenizers, "Hello")
    page_file = _write_page(tmp_path_factory.mktemp("typing"), body)
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1000, "height": 800})
        errors = _collect_errors(page)
        page.goto(page_file.as_uri())
        yield page, errors


def _type(page, text: str) -> None:
    """Type ``text`` into the page's one box and wait until its tokens are drawn."""
    page.fill("textarea.gllm-input", text)
    _wait_until_ready(page.locator(".gllm-tokens"))


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
    _type(page, text)  # the first text typed also unpacks GPT-2's and GPT-4's vocabularies
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
            "async (root, texts) => { const out = [];"
            " for (const t of JSON.parse(texts)) {"
            " out.push((await root.gllmTokenize(t)).map(r => r.ids || null)); }"
            " return JSON.stringify(out); }",
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
    _type(page, " ".join(["internationalisation", "🍓🍓", "   x"] * 12))
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


def _shown_ids(explorer) -> list[list[int]]:
    return [block["ids"] for block in explorer.evaluate(_BLOCKS_JS)]


def test_vocabularies_are_unpacked_only_when_the_box_is_used(tmp_path, lab2_pair) -> None:
    from browser import chromium

    start, typed = "Hello", "Unpacked once typed: 12345 🍓 don't"
    body = ex.explore_tokens_html(lab2_pair, start) + ex.explore_tokens_html(lab2_pair, start)
    drawn_first = [tok.encode(start) for tok in lab2_pair.values()]
    with chromium() as browser:
        page = browser.new_page()
        errors = _collect_errors(page)
        page.goto(_write_page(tmp_path, body).as_uri())
        first, second = page.locator(".gllm-tokens").all()
        # loaded and drawn, nothing unpacked yet
        assert [e.get_attribute("data-tokenizers") for e in (first, second)] == ["packed"] * 2
        assert first.locator("textarea.gllm-input").is_visible()
        assert _shown_ids(first) == drawn_first

        # typing alone (an input event, the box never focused) unpacks, then draws the text
        first.locator("textarea.gllm-input").evaluate(
            "(box, text) => { box.value = text;"
            " box.dispatchEvent(new Event('input', { bubbles: true })); }",
            typed,
        )
        _wait_until_ready(first)
        assert _shown_ids(first) == [tok.encode(typed) for tok in lab2_pair.values()]
        assert second.get_attribute("data-tokenizers") == "packed"  # each box on its own

        # clicking into a box unpacks too, and keeps the tokens drawn until the reader types
        second.locator("textarea.gllm-input").focus()
        _wait_until_ready(second)
        assert _shown_ids(second) == drawn_first
    assert errors == []


def test_an_old_browser_keeps_the_drawn_tokens_and_says_why(tmp_path, lab2_pair, char_tok) -> None:
    from browser import chromium

    body = ex.explore_tokens_html(lab2_pair, "Hello") + ex.explore_tokens_html([char_tok], "cat")
    with chromium() as browser:
        page = browser.new_page()
        errors = _collect_errors(page)
        page.add_init_script("delete window.DecompressionStream;")  # as before Safari 16.4
        page.goto(_write_page(tmp_path, body).as_uri())
        packed, plain = page.locator(".gllm-tokens").all()
        assert packed.get_attribute("data-tokenizers") == "unsupported"
        assert not packed.locator("textarea.gllm-input").is_visible()
        note = packed.locator(".gllm-fallback")
        assert note.is_visible() and "needs a newer browser" in note.inner_text()
        assert _shown_ids(packed) == [tok.encode("Hello") for tok in lab2_pair.values()]
        # an explorer with nothing to unpack still works in such a browser
        assert not plain.locator(".gllm-fallback").is_visible()
        plain.locator("textarea.gllm-input").fill("the hat")
        _wait_until_ready(plain)
        assert _shown_ids(plain) == [char_tok.encode("the hat")]
    assert errors == []
