"""Token boundaries drawn as colour-coded HTML that works without a kernel (Chapter 2).

Each token becomes a box with a pastel background (neighbours always differ), whitespace is
made visible (``·`` for a space, ``↵`` for a newline, ``⇥`` for a tab), and pointing at or
clicking a token shows its position and id. A line may break between tokens, never inside one.

* :func:`show_tokens` and :func:`compare_tokenizers` draw the tokens of a fixed text.
* :func:`explore_tokens` adds a text box: the reader types and sees the text tokenized at
  once, in the page, with no kernel, so it also works in the built book. The tokenizers
  travel with the page as data (merges, or a vocabulary), and ``tokens.js`` re-implements
  their encoding in JavaScript with the same ids as Python's. It offers the character
  tokenizer, our byte-level BPE, and tiktoken's ``r50k_base`` (GPT-2) and ``cl100k_base``
  (GPT-4). Their vocabularies travel gzip-compressed (about 0.26 and 0.55 MB of the page,
  instead of 0.4 and 0.8 MB as plain text), and the browser unpacks them the first time the
  reader clicks into the box or types; the tokens of the starting text are drawn in advance.
  A browser too old to unpack them (before Chrome 80, Firefox 113, Safari 16.4) keeps those
  tokens and says that the box needs a newer browser.

Each output is one self-contained piece of HTML (the CSS and JavaScript of ``tokens.css``
and ``tokens.js`` inlined, nothing loaded from the network), so it renders the same in the
built book, in Colab and in JupyterLab. Where a viewer strips scripts (an untrusted
notebook), the colours and the hover tooltip still work, because they need no script.
The ``*_html`` functions return plain strings; the others return ``IPython.display.HTML``.
"""

from __future__ import annotations

import base64
import html
import struct
import zlib
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from gentle_llm import checks
from gentle_llm.explorers import bound_script, element_id, script_json, static_file
from gentle_llm.tokenizers import (
    GPT2_SPLIT_PATTERN,
    GPT4_SPLIT_PATTERN,
    BPETokenizer,
    CharTokenizer,
    HFTokenizer,
    TiktokenTokenizer,
    Tokenizer,
    byte_level_alphabet,
)

__all__ = [
    "compare_tokenizers",
    "compare_tokenizers_html",
    "explore_tokens",
    "explore_tokens_html",
    "show_tokens",
    "token_boundaries_html",
    "visible_whitespace",
]

# Soft colours that stay readable behind black text (the box itself stays white, also in a
# dark theme); consecutive tokens take consecutive colours, so two neighbours never share one.
PALETTE = ("#fde2e4", "#d7ecd9", "#dbe7f7", "#fff1c1", "#eadcf5", "#d5f0ee")

# How whitespace is drawn. The markers are greyed, so a real "·" in the text stays
# distinguishable from a drawn space.
_WHITESPACE = {" ": "·", "\n": "↵", "\t": "⇥", "\r": "␍", "\u00a0": "⍽"}

# Also inline, not only in tokens.css: some viewers (GitHub's notebook preview) drop <style>.
_GREY = 'style="color:#999"'

HINT = "Point at or click a token to see its id."

#: explore_tokens refuses to build a page whose tokenizer data, as stored in the page (the
#: tiktoken vocabularies compressed), is bigger than this. GPT-2's and GPT-4's take 0.81 MB.
MAX_BYTES = 1_000_000
MAX_TYPED = 5_000  # characters the text box accepts; keeps re-tokenizing instant

# The split patterns tokens.js knows; a BPE with any other pattern cannot run in the page.
_JS_PATTERNS = {GPT2_SPLIT_PATTERN: "gpt2", GPT4_SPLIT_PATTERN: "gpt4"}
_TIKTOKEN_PATTERNS = {"r50k_base": "gpt2", "cl100k_base": "gpt4"}


def visible_whitespace(piece: str) -> str:
    """``piece`` with each space, newline and tab replaced by its visible marker."""
    return "".join(_WHITESPACE.get(c, c) for c in piece)


def _piece_html(piece: str) -> str:
    """The inside of one token box: escaped text and greyed whitespace markers."""
    if piece == "":
        return f'<span class="gllm-ws" {_GREY}>∅</span>'
    out = []
    for char in piece:
        marker = _WHITESPACE.get(char)
        out.append(
            html.escape(char)
            if marker is None
            else f'<span class="gllm-ws" {_GREY}>{marker}</span>'
        )
    return "".join(out)


def _check_pieces(pieces: Any, ids: Any) -> tuple[list[str], list[int] | None]:
    if isinstance(pieces, str) or not isinstance(pieces, Sequence):
        raise TypeError(
            f"pieces must be a list of token strings, got {type(pieces).__name__}. "
            f"Pass tokenizer.pieces(text), or use show_tokens(tokenizer, text)."
        )
    bad = [p for p in pieces if not isinstance(p, str)]
    if bad:
        raise TypeError(
            f"Every piece must be a str, but got {bad[0]!r} ({type(bad[0]).__name__}). "
            f"Pieces are the texts of the tokens (tokenizer.pieces(text)), not their ids."
        )
    if ids is None:
        return list(pieces), None
    if isinstance(ids, str) or not isinstance(ids, Sequence):
        raise TypeError(f"ids must be a list of ints or None, got {type(ids).__name__}.")
    if len(ids) != len(pieces):
        raise ValueError(
            f"Got {len(pieces)} pieces but {len(ids)} ids: pass the pieces and the ids of "
            f"the same text from the same tokenizer (tokenizer.pieces(text), "
            f"tokenizer.encode(text))."
        )
    if not all(isinstance(i, int) for i in ids):
        raise TypeError("ids must be ints (the token ids from tokenizer.encode(text)).")
    return list(pieces), [int(i) for i in ids]


def _tokens_block(
    pieces: list[str], ids: list[int] | None, title: str, bar: float | None, error: str = ""
) -> str:
    """One tokenizer's view: a heading with the count, the coloured tokens, a status line.

    ``bar`` is the length of the comparison bar beside the count (1 for the longest), or
    None for no bar. tokens.js draws the same HTML when the reader types, so the two must
    change together.
    """
    n = len(pieces)
    spans = []
    for i, piece in enumerate(pieces):
        shown = visible_whitespace(piece) if piece else "∅"
        where = f"token {i + 1} of {n}"
        tooltip = f"{where}, id {ids[i]}" if ids is not None else where
        label = f"{tooltip}: “{shown}”"
        spans.append(
            f'<span class="gllm-t" data-i="{i}"'
            + (f' data-id="{ids[i]}"' if ids is not None else "")
            + f' title="{html.escape(tooltip)}" data-label="{html.escape(label)}"'
            f' style="background:{PALETTE[i % len(PALETTE)]}">{_piece_html(piece)}</span>'
        )
        # A newline ends its line after the token that holds it: no token is split in two.
        spans.append("<br>" * piece.count("\n"))
    noun = "token" if n == 1 else "tokens"
    count = "cannot encode this text" if error else f"{n} {noun}"
    heading = f"<b>{html.escape(title)}</b> — " if title else ""
    bar_html = (
        "" if bar is None else f'<span class="gllm-bar" style="width:{bar * 12:.2f}em"></span>'
    )
    status_class = "gllm-status gllm-error" if error else "gllm-status"
    status = html.escape(error) if error else (HINT if ids is not None else "")
    return (
        '<div class="gllm-block">'
        f'<div class="gllm-head">{heading}<span class="gllm-count">{count}</span>'
        f"{bar_html}</div>"
        f'<div class="gllm-text">{"".join(spans)}</div>'
        f'<div class="{status_class}" aria-live="polite">{status}</div>'
        "</div>"
    )


def _wrap(body: str, seed: str) -> str:
    """The outer box: the shared stylesheet, the content, and the script bound to this box."""
    uid = element_id("gllm-tokens", seed)
    return (
        f'<div class="gllm-tokens tex2jax_ignore mathjax_ignore" id="{uid}">'
        f"<style>{static_file('tokens.css')}</style>{body}"
        f"{bound_script(uid, 'tokens.js')}</div>"
    )


def token_boundaries_html(
    pieces: list[str], ids: list[int] | None = None, *, title: str = ""
) -> str:
    """Self-contained HTML that shows ``pieces`` as colour-coded tokens, with a token count.

    ``ids`` (the token ids, same length as ``pieces``) are shown when a token is pointed at
    or clicked. ``title`` is shown above the tokens, e.g. the tokenizer's name.
    """
    pieces, ids = _check_pieces(pieces, ids)
    title = str(title)
    block = _tokens_block(pieces, ids, title, bar=None)
    return _wrap(block, title + "\x00" + "\x00".join(pieces))


def _course_tokenizer(tokenizer: Any) -> Tokenizer:
    """Accept the course's tokenizers, and wrap a Hugging Face one so that it fits too."""
    if isinstance(tokenizer, Tokenizer):
        return tokenizer
    if hasattr(tokenizer, "backend_tokenizer"):  # a transformers fast tokenizer
        return HFTokenizer(tokenizer)
    raise TypeError(
        f"Expected a gentle_llm tokenizer (with name, encode and pieces), got "
        f"{type(tokenizer).__name__}. Use one from gentle_llm.tokenizers, e.g. "
        f"TiktokenTokenizer('cl100k_base') or HFTokenizer(hf_tokenizer)."
    )


def _encode_for_display(tokenizer: Tokenizer, text: str) -> tuple[list[str], list[int]]:
    checks.instance(text, "text", str)
    pieces, ids = tokenizer.pieces(text), tokenizer.encode(text)
    what = f"{tokenizer.name}: the numbers of tokens from pieces() and encode()"
    checks.same(len(pieces), len(ids), what, "they must describe the same tokens.")  # ours do
    return pieces, ids


def _label(tokenizer: Tokenizer) -> str:
    return f"{tokenizer.name} (vocabulary {tokenizer.vocab_size:,})"


def _labelled(tokenizers: Sequence[Any] | Mapping[str, Any]) -> list[tuple[str, Tokenizer]]:
    if isinstance(tokenizers, Mapping):
        labelled = [(str(k), _course_tokenizer(t)) for k, t in tokenizers.items()]
    elif isinstance(tokenizers, Sequence) and not isinstance(tokenizers, str):
        labelled = [(_label(t), t) for t in map(_course_tokenizer, tokenizers)]
    else:
        raise TypeError(
            f"tokenizers must be a list of tokenizers or a dict of label -> tokenizer, "
            f"got {type(tokenizers).__name__}."
        )
    return checks.not_empty(labelled, "tokenizers", "pass at least one tokenizer to compare.")


def show_tokens(tokenizer: Any, text: str, *, title: str | None = None) -> Any:
    """Colour-coded tokens of ``text`` as an ``IPython.display.HTML`` object for a notebook."""
    from IPython.display import HTML

    tokenizer = _course_tokenizer(tokenizer)
    pieces, ids = _encode_for_display(tokenizer, text)
    return HTML(
        token_boundaries_html(pieces, ids, title=_label(tokenizer) if title is None else title)
    )


def compare_tokenizers_html(tokenizers: Sequence[Any] | Mapping[str, Any], text: str) -> str:
    """HTML with one block per tokenizer for the same ``text``, stacked, each with its count.

    ``tokenizers`` is a list of tokenizers (labelled by name and vocabulary size) or a
    mapping from your own labels to tokenizers. A bar beside each count compares lengths.
    """
    labelled = _labelled(tokenizers)
    encoded = [(label, *_encode_for_display(t, text)) for label, t in labelled]
    longest = max(len(pieces) for _, pieces, _ in encoded) or 1
    blocks = "".join(
        _tokens_block(pieces, ids, label, bar=max(len(pieces) / longest, 0.01))
        for label, pieces, ids in encoded
    )
    return _wrap(blocks, text + "\x00" + "\x00".join(label for label, _, _ in encoded))


def compare_tokenizers(tokenizers: Sequence[Any] | Mapping[str, Any], text: str) -> Any:
    """:func:`compare_tokenizers_html` as an ``IPython.display.HTML`` object for a notebook."""
    from IPython.display import HTML

    return HTML(compare_tokenizers_html(tokenizers, text))


# ---- typing your own text: the tokenizers as data for tokens.js ---------------------------


@cache
def _alphabet() -> str:
    """GPT-2's printable stand-in for each byte value, in byte order (256 characters)."""
    by_byte = {byte: char for char, byte in byte_level_alphabet().items()}
    return "".join(by_byte[b] for b in range(256))


@cache
def _tiktoken_vocab(name: str) -> str:
    """Every ordinary token of a tiktoken encoding in id order, bytes as stand-in characters.

    Tokens are separated by a space, which never occurs inside one: the byte 0x20 has the
    stand-in "Ġ". Ids must run 0, 1, 2, ... with no gap, since tokens.js takes a token's
    position in this list as its id.
    """
    encoding = TiktokenTokenizer(name).encoding
    special = {encoding.encode_single_token(s) for s in encoding.special_tokens_set}
    alphabet = _alphabet()
    tokens = []
    for token_id in range(encoding.n_vocab):
        if token_id in special:
            continue
        try:
            data = encoding.decode_single_token_bytes(token_id)
        except KeyError:  # an unused id (cl100k_base has a few between its special tokens)
            continue
        if token_id != len(tokens):
            raise RuntimeError(f"{name}: token ids are not consecutive at {token_id}.")
        tokens.append("".join(alphabet[b] for b in data))
    return " ".join(tokens)


def _gzip(data: bytes) -> bytes:
    """``data`` in the gzip format, with the same header on every machine and Python version.

    ``gzip.compress`` writes 255 ("unknown") as the operating system on Python 3.10 but the
    zlib library's own code on 3.11 (3 on Linux), which would change the stored notebook
    outputs from one Python to another.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)  # raw deflate, no header
    deflated = compressor.compress(data) + compressor.flush()
    # magic, deflate, no flags, time 0, "best compression", operating system unknown
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + deflated + struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)


@cache
def _tiktoken_vocab_gzip(name: str) -> str:
    """:func:`_tiktoken_vocab` as UTF-8, gzip-compressed, in base64: what the page carries.

    Two thirds of the plain list's size in the page and in the notebook file. (A server that
    compresses pages sends about as many bytes either way.) tokens.js unpacks it with the
    browser's DecompressionStream.
    """
    packed = _gzip(_tiktoken_vocab(name).encode("utf-8"))
    return base64.b64encode(packed).decode("ascii")


def _unsupported(label: str, why: str) -> ValueError:
    return ValueError(
        f"{label!r} cannot run inside the page: {why} explore_tokens offers CharTokenizer, "
        f"BPETokenizer (with the 'gpt2' or 'gpt4' split pattern) and TiktokenTokenizer; use "
        f"compare_tokenizers for the others (it needs a live kernel for new text)."
    )


def _js_spec(label: str, tokenizer: Tokenizer) -> dict[str, Any]:
    """What tokens.js needs to encode text exactly as ``tokenizer`` does."""
    if isinstance(tokenizer, CharTokenizer):
        return {"kind": "char", "chars": list(tokenizer.chars)}
    if isinstance(tokenizer, BPETokenizer):
        pattern = _JS_PATTERNS.get(tokenizer.pattern)
        if pattern is None:
            raise _unsupported(label, "its split pattern is your own regex.")
        flat = [i for pair in tokenizer.merges for i in pair]  # left, right, left, right, ...
        return {
            "kind": "bpe",
            "pattern": pattern,
            "merges": flat,
            "special": list(tokenizer.special_tokens),
        }
    if isinstance(tokenizer, TiktokenTokenizer):
        return {
            "kind": "tiktoken",
            "pattern": _TIKTOKEN_PATTERNS[tokenizer.name],
            "vocab_gzip": _tiktoken_vocab_gzip(tokenizer.name),
            "special": sorted(tokenizer.encoding.special_tokens_set),
        }
    raise _unsupported(label, f"the page has no JavaScript version of {type(tokenizer).__name__}.")


def _block_for(label: str, tokenizer: Tokenizer, text: str, longest: int) -> str:
    try:
        pieces, ids = _encode_for_display(tokenizer, text)
    except ValueError as error:  # e.g. a character the character tokenizer does not know
        return _tokens_block([], [], label, bar=0.0, error=str(error))
    return _tokens_block(pieces, ids, label, bar=max(len(pieces) / longest, 0.01))


def explore_tokens_html(
    tokenizers: Sequence[Any] | Mapping[str, Any], text: str = "", *, note: str = ""
) -> str:
    """HTML with a text box and one block per tokenizer, re-tokenized as the reader types.

    ``tokenizers`` is a list of tokenizers or a mapping from your labels to tokenizers, as
    for :func:`compare_tokenizers`; ``text`` is what the box holds at first. ``note`` is a
    line shown under the box. The tokenizers travel in the page (GPT-4's vocabulary adds about
    0.55 MB even compressed), so pick only the ones you need.
    """
    checks.instance(text, "text", str)
    if len(text) > MAX_TYPED:
        raise ValueError(f"text has {len(text):,} characters; the box holds {MAX_TYPED:,}.")
    labelled = _labelled(tokenizers)
    specs = [_js_spec(label, tok) for label, tok in labelled]
    payload = {
        "tokenizers": specs,
        "alphabet": _alphabet(),
        "palette": list(PALETTE),
        "ws": _WHITESPACE,
        "hint": HINT,
    }
    data = script_json(payload, ascii_only=False)
    data_bytes = len(data.encode("utf-8"))  # exactly what the page carries
    if data_bytes > MAX_BYTES:
        raise ValueError(
            f"These tokenizers would add {data_bytes / 1e6:.2f} MB to the page "
            f"(the limit is {MAX_BYTES / 1e6:.1f} MB): pick fewer of them."
        )
    counts = []
    for _, tok in labelled:
        try:
            counts.append(len(tok.encode(text)))
        except ValueError:
            counts.append(0)
    longest = max(counts, default=0) or 1
    blocks = "".join(_block_for(label, tok, text, longest) for label, tok in labelled)
    note_html = f'<div class="gllm-note">{html.escape(note)}</div>' if note else ""
    body = (
        '<div class="gllm-fallback">Typing your own text needs JavaScript (in JupyterLab, '
        "trust the notebook); the tokens of the text below are shown without it.</div>"
        f'<textarea class="gllm-input" rows="3" maxlength="{MAX_TYPED}" spellcheck="false" '
        f'aria-label="Text to tokenize" style="display:none">{html.escape(text)}</textarea>'
        f"{note_html}{blocks}"
        f'<script type="application/json" class="gllm-data">{data}</script>'
    )
    seed = text + "\x00" + "\x00".join(label for label, _ in labelled)
    return _wrap(body, seed)


def explore_tokens(
    tokenizers: Sequence[Any] | Mapping[str, Any], text: str = "", *, note: str = ""
) -> Any:
    """:func:`explore_tokens_html` as an ``IPython.display.HTML`` object for a notebook."""
    from IPython.display import HTML

    return HTML(explore_tokens_html(tokenizers, text, note=note))
