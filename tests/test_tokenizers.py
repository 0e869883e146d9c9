"""Tests of gentle_llm.tokenizers: the fast BPE agrees with the naive one, text round-trips,
files round-trip, bad inputs get clear errors, and the wrappers work offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gentle_llm.assets import fetch
from gentle_llm.tokenizers import (
    GPT2_SPLIT_PATTERN,
    GPT4_SPLIT_PATTERN,
    BPETokenizer,
    CharTokenizer,
    HFTokenizer,
    MergeRecord,
    TiktokenTokenizer,
    Tokenizer,
    count_chunks,
    encode_naive,
    join_pieces,
    readable_bytes,
    train_merges,
    train_merges_naive,
)

PATTERNS = {"gpt4": GPT4_SPLIT_PATTERN, "gpt2": GPT2_SPLIT_PATTERN}
EOT = "<|endoftext|>"
UNICODE_TEXT = (
    "Café déjà vu, naïve coöperation. 東京は晴れ、北京は雨。 Emoji: 🙂🙂👍🏽 and 👨‍👩‍👧! "
    "Combining: e\u0301 a\u0308 n\u0303. Numbers 1234567 and 3.14159; DON'T we'll they're.\r\n"
) * 3


@pytest.fixture(scope="module")
def shakespeare() -> str:
    return fetch("tinyshakespeare").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def bpe(shakespeare: str) -> BPETokenizer:
    """A small tokenizer with a special token, trained once for the tests below."""
    return BPETokenizer.train(shakespeare[:20_000] + UNICODE_TEXT, 400, special_tokens=[EOT])


# ---- the fast trainer agrees with the naive reference ----------------------------------------


@pytest.mark.parametrize("pattern", ["gpt4", "gpt2"])
@pytest.mark.parametrize(
    "text",
    [
        "aaabdaaabac",
        "abcd abcd dcba",  # every pair ties: the tie rule decides everything
        "aaaa aaaaa aaa",  # overlapping pairs
        UNICODE_TEXT,
        "hello world " * 50 + "the quick brown fox jumps over the lazy dog" * 7,
    ],
    ids=["classic", "ties", "overlaps", "unicode", "repeats"],
)
def test_merges_equal_naive_until_exhausted(text: str, pattern: str) -> None:
    """Small texts: merge until no pair is left, so the stopping point is checked too."""
    expected = train_merges_naive(text, 10_000, PATTERNS[pattern])
    assert train_merges(count_chunks(text, pattern), 10_000) == expected


@settings(max_examples=100, deadline=None)
@given(text=st.text(alphabet="ab c\n🙂é", min_size=1, max_size=80))
def test_merges_equal_naive_on_random_texts(text: str) -> None:
    """A tiny alphabet makes many ties and overlapping pairs: the cases that go wrong."""
    expected = train_merges_naive(text, 10_000, GPT4_SPLIT_PATTERN)
    assert train_merges(count_chunks(text, "gpt4"), 10_000) == expected


@pytest.mark.parametrize("pattern", ["gpt4", "gpt2"])
def test_merges_equal_naive_on_shakespeare(shakespeare: str, pattern: str) -> None:
    text = shakespeare[:12_000]
    tok = BPETokenizer.train(text, 256 + 100, pattern=pattern)
    assert tok.merges == train_merges_naive(text, 100, PATTERNS[pattern])
    held_out = shakespeare[50_000:53_000]
    assert tok.encode(held_out) == encode_naive(held_out, tok.merges, PATTERNS[pattern])


def test_vocab_size_counts_bytes_merges_and_special_tokens(bpe: BPETokenizer) -> None:
    assert bpe.vocab_size == 400
    assert len(bpe.merges) == 400 - 256 - 1
    assert bpe.special_tokens == {EOT: 399}
    assert bpe.name == "bpe-400"


def test_on_merge_reports_each_merge_readably() -> None:
    records: list[MergeRecord] = []
    tok = BPETokenizer.train("low lower lowest " * 20, 260, on_merge=records.append)
    assert [(r.left, r.right) for r in records] == tok.merges
    assert [r.new_id for r in records] == [256, 257, 258, 259]
    first = records[0]
    assert first.rank == 0 and first.count == 60
    assert first.text == first.left_text + first.right_text
    assert str(first) == (
        f"merge 1: {first.left_text!r} + {first.right_text!r} -> {first.text!r} "
        f"(id 256, seen 60 times)"
    )


def test_training_never_merges_into_special_tokens() -> None:
    text = f"ab{EOT}ab{EOT}ab{EOT}" * 10
    tok = BPETokenizer.train(text, 258, special_tokens=[EOT])
    assert tok.merges == [(ord("a"), ord("b"))]
    assert tok.encode(text, allowed_special="all")[:2] == [256, 257]


# ---- round trips -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["", " ", "\n\n", "🙂", "👨‍👩‍👧", "東京", "e\u0301", "\x00\x7f", "   spaces  ", UNICODE_TEXT],
)
def test_round_trip_examples(bpe: BPETokenizer, text: str) -> None:
    assert bpe.decode(bpe.encode(text)) == text


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=60))
def test_round_trip_any_unicode(bpe: BPETokenizer, text: str) -> None:
    assert bpe.decode(bpe.encode(text)) == text


@settings(max_examples=50, deadline=None)
@given(parts=st.lists(st.one_of(st.text(max_size=15), st.just(EOT)), max_size=6))
def test_round_trip_with_special_tokens(bpe: BPETokenizer, parts: list[str]) -> None:
    text = "".join(parts)
    for mode in ("all", "none"):
        assert bpe.decode(bpe.encode(text, allowed_special=mode)) == text


def test_pieces_join_back_and_show_partial_bytes(bpe: BPETokenizer) -> None:
    text = "To be, or not to be: that is the question."
    assert "".join(bpe.pieces(text)) == text
    assert join_pieces(bpe, "To be") == "|".join(bpe.pieces("To be"))
    # A four-byte emoji seen rarely is split into byte tokens, shown as <0x..>.
    pieces = bpe.pieces("𝄞")
    assert pieces == ["<0xF0>", "<0x9D>", "<0x84>", "<0x9E>"]


def test_readable_bytes() -> None:
    assert readable_bytes("héllo".encode()) == "héllo"
    assert readable_bytes(b"a\xe2\x82") == "a<0xE2><0x82>"
    assert readable_bytes(b"\xa9b") == "<0xA9>b"
    assert readable_bytes(b"") == ""


# ---- special tokens ------------------------------------------------------------------------


def test_special_tokens_modes(bpe: BPETokenizer) -> None:
    text = f"Hello{EOT}world"
    ids = bpe.encode(text, allowed_special="all")
    assert ids.count(399) == 1
    assert bpe.encode(text, allowed_special={EOT}) == ids
    plain = bpe.encode(text, allowed_special="none")
    assert 399 not in plain and bpe.decode(plain) == text
    assert bpe.decode([399]) == EOT
    assert EOT in bpe.pieces(text, allowed_special="all")
    with pytest.raises(ValueError, match="allowed_special='all'"):
        bpe.encode(text)
    with pytest.raises(ValueError, match="not special tokens"):
        bpe.encode(text, allowed_special={"<|nope|>"})


# ---- saving and loading ------------------------------------------------------------------


def test_save_load_round_trip(bpe: BPETokenizer, tmp_path: Path) -> None:
    path = tmp_path / "bpe.json"
    bpe.save(path)
    data = json.loads(path.read_text(encoding="utf-8"))  # valid JSON, readable
    assert data["merges"][0][:3] == [*bpe.merges[0], 256]
    assert isinstance(data["merges"][0][3], str)
    assert len(path.read_text(encoding="utf-8").splitlines()) > len(bpe.merges)  # one per line
    loaded = BPETokenizer.load(path)
    assert loaded.merges == bpe.merges
    assert loaded.pattern == bpe.pattern
    assert loaded.special_tokens == bpe.special_tokens
    assert loaded.vocab == bpe.vocab
    text = UNICODE_TEXT + EOT
    assert loaded.encode(text, allowed_special="all") == bpe.encode(text, allowed_special="all")


def test_gpt2_pattern_is_kept_and_splits_differently(tmp_path: Path) -> None:
    text = "I'VE 1234567 lines\n\nhere"
    assert count_chunks(text, "gpt4") != count_chunks(text, "gpt2")
    assert b"123" in count_chunks(text, "gpt4") and b" 1234567" in count_chunks(text, "gpt2")
    tok = BPETokenizer.train(text * 5, 270, pattern="gpt2")
    tok.save(tmp_path / "t.json")
    assert BPETokenizer.load(tmp_path / "t.json").pattern == GPT2_SPLIT_PATTERN


def test_load_errors(bpe: BPETokenizer, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="check the path"):
        BPETokenizer.load(tmp_path / "missing.json")
    (tmp_path / "junk.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="not a valid JSON"):
        BPETokenizer.load(tmp_path / "junk.json")
    CharTokenizer.from_text("abc").save(tmp_path / "char.json")
    with pytest.raises(ValueError, match="not a gentle_llm.BPETokenizer file"):
        BPETokenizer.load(tmp_path / "char.json")
    bpe.save(tmp_path / "bpe.json")
    data = json.loads((tmp_path / "bpe.json").read_text(encoding="utf-8"))
    data["merges"][0] = [9999, 1, 256, "?"]
    (tmp_path / "bad.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="damaged BPE tokenizer file"):
        BPETokenizer.load(tmp_path / "bad.json")


# ---- bad inputs --------------------------------------------------------------------------


def test_training_errors() -> None:
    with pytest.raises(ValueError, match="empty text"):
        BPETokenizer.train("", 300)
    with pytest.raises(ValueError, match="too small"):
        BPETokenizer.train("hello", 100)
    with pytest.raises(ValueError, match="no room for merges"):
        BPETokenizer.train("hello", 256)
    with pytest.raises(ValueError, match="no room for merges"):
        BPETokenizer.train("hello", 257, special_tokens=[EOT])
    with pytest.raises(ValueError, match="allows only 3 merges"):
        BPETokenizer.train("abcd", 300)
    with pytest.raises(ValueError, match="distinct"):
        BPETokenizer.train("hello hello", 258, special_tokens=[EOT, EOT])
    with pytest.raises(TypeError, match="as a list"):
        BPETokenizer.train("hello hello", 258, special_tokens=EOT)


def test_decode_errors(bpe: BPETokenizer) -> None:
    with pytest.raises(ValueError, match="not in this tokenizer's vocabulary"):
        bpe.decode([400])
    with pytest.raises(ValueError, match="ids 0 to 399"):
        bpe.decode([-1])


def test_merges_must_be_in_training_order() -> None:
    with pytest.raises(ValueError, match="training order"):
        BPETokenizer([(256, 97)])


# ---- the character tokenizer --------------------------------------------------------------


def test_char_tokenizer(tmp_path: Path) -> None:
    tok = CharTokenizer.from_text("hello world")
    assert tok.chars == sorted(set("hello world"))
    assert tok.vocab_size == 8
    assert tok.decode(tok.encode("hold low")) == "hold low"
    assert tok.pieces("low") == ["l", "o", "w"]
    assert join_pieces(tok, "low", sep="/") == "l/o/w"
    tok.save(tmp_path / "char.json")
    loaded = CharTokenizer.load(tmp_path / "char.json")
    assert loaded.chars == tok.chars and loaded.encode("hello") == tok.encode("hello")


def test_char_tokenizer_errors(tmp_path: Path) -> None:
    tok = CharTokenizer.from_text("hello")
    with pytest.raises(ValueError, match=r"'H', 'x'.*CharTokenizer.from_text"):
        tok.encode("Hex")
    with pytest.raises(ValueError, match="ids 0 to 3"):
        tok.decode([4])
    with pytest.raises(ValueError, match="empty text"):
        CharTokenizer.from_text("")
    with pytest.raises(ValueError, match="twice"):
        CharTokenizer(["a", "a"])
    with pytest.raises(ValueError, match="single characters"):
        CharTokenizer(["ab"])
    with pytest.raises(FileNotFoundError):
        CharTokenizer.load(tmp_path / "nothing.json")


# ---- tiktoken, offline -------------------------------------------------------------------


@pytest.fixture(scope="module")
def gpt2_tok() -> TiktokenTokenizer:
    return TiktokenTokenizer("r50k_base")


@pytest.fixture(scope="module")
def gpt4_tok() -> TiktokenTokenizer:
    return TiktokenTokenizer("cl100k_base")


def test_tiktoken_known_ids(gpt2_tok: TiktokenTokenizer, gpt4_tok: TiktokenTokenizer) -> None:
    assert gpt2_tok.encode("hello world") == [31373, 995]
    assert gpt4_tok.encode("hello world") == [15339, 1917]
    assert gpt2_tok.vocab_size == 50257 and gpt4_tok.vocab_size == 100277
    assert gpt2_tok.decode([31373, 995]) == "hello world"
    assert gpt4_tok.pieces("hello world") == ["hello", " world"]


def test_tiktoken_special_tokens_and_bytes(gpt2_tok: TiktokenTokenizer) -> None:
    assert gpt2_tok.encode(EOT, allowed_special="all") == [50256]
    assert gpt2_tok.encode(EOT, allowed_special={EOT}) == [50256]
    assert len(gpt2_tok.encode(EOT, allowed_special="none")) > 1
    with pytest.raises(ValueError, match="allowed_special='all'"):
        gpt2_tok.encode(EOT)
    assert gpt2_tok.decode(gpt2_tok.encode(UNICODE_TEXT)) == UNICODE_TEXT
    assert any(piece.startswith("<0x") for piece in gpt2_tok.pieces("🙂"))


def test_tiktoken_errors(gpt4_tok: TiktokenTokenizer) -> None:
    with pytest.raises(ValueError, match="r50k_base"):
        TiktokenTokenizer("gpt5_base")
    with pytest.raises(ValueError, match="not in this tokenizer's vocabulary"):
        gpt4_tok.decode([100277])


# ---- Hugging Face tokenizers -------------------------------------------------------------


@pytest.fixture(scope="module")
def minilm() -> HFTokenizer:
    from tokenizers import Tokenizer as RawTokenizer

    return HFTokenizer(RawTokenizer.from_file(str(fetch("all-minilm-l6-v2") / "tokenizer.json")))


def test_hf_wordpiece(minilm: HFTokenizer) -> None:
    # The file pads to 128 tokens; the wrapper must not.
    assert minilm.encode("hello world") == [7592, 2088]
    assert minilm.vocab_size == 30522
    assert minilm.decode([7592, 2088]) == "hello world"
    assert minilm.pieces("Hello tokenization!") == ["Hello", "token", "ization", "!"]
    with pytest.raises(ValueError, match="ids 0 to 30521"):
        minilm.decode([30522])


def test_hf_byte_level_pieces_and_round_trip() -> None:
    from tokenizers import Tokenizer as RawTokenizer
    from tokenizers import decoders, models, pre_tokenizers, trainers

    raw = RawTokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False
    )
    raw.train_from_iterator(["hello world, hello there " * 20], trainer=trainer)
    tok = HFTokenizer(raw, name="tiny-byte-bpe")
    assert tok.name == "tiny-byte-bpe"
    text = "hello world 🙂"
    assert tok.decode(tok.encode(text)) == text
    pieces = tok.pieces(text)
    assert pieces[:2] == ["hello", " world"]
    assert pieces[-4:] == ["<0xF0>", "<0x9F>", "<0x99>", "<0x82>"]


def test_hf_rejects_other_objects() -> None:
    with pytest.raises(TypeError, match="fast tokenizer"):
        HFTokenizer("gpt2")


def test_hf_accepts_a_transformers_tokenizer() -> None:
    from transformers import PreTrainedTokenizerFast

    path = fetch("all-minilm-l6-v2") / "tokenizer.json"
    fast = PreTrainedTokenizerFast(
        tokenizer_file=str(path), name_or_path="/some/folder/all-MiniLM-L6-v2"
    )
    tok = HFTokenizer(fast)
    assert tok.encode("hello world") == [7592, 2088]
    assert tok.name == "all-MiniLM-L6-v2"


# ---- one interface -----------------------------------------------------------------------


def test_all_tokenizers_share_the_interface(
    bpe: BPETokenizer, gpt2_tok: TiktokenTokenizer, minilm: HFTokenizer
) -> None:
    for tok in (CharTokenizer.from_text("hello world"), bpe, gpt2_tok, minilm):
        assert isinstance(tok, Tokenizer)
        ids = tok.encode("hello world")
        assert all(isinstance(i, int) and 0 <= i < tok.vocab_size for i in ids)
        assert len(tok.pieces("hello world")) == len(ids)
        assert tok.decode(ids) == "hello world"
        assert isinstance(tok.name, str) and tok.name
