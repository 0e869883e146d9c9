"""Token boundaries drawn as colour-coded HTML that works without a kernel.

Chapter 2 explains tokens; this module shows them. Each token becomes a span with a pastel
background (neighbours always differ), whitespace is made visible (``·`` for a space, ``↵``
for a newline, ``⇥`` for a tab), and pointing at or clicking a token shows its position and
id. The output is one self-contained piece of HTML (inline CSS and a few lines of plain
JavaScript, nothing loaded from the network), so it renders the same in the built book, in
Colab and in JupyterLab. Where a viewer strips scripts (an untrusted notebook), the colours
and the hover tooltip still work, because they need no script.

Use :func:`show_tokens` and :func:`compare_tokenizers` in a notebook; they return
``IPython.display.HTML`` objects. The ``*_html`` functions return plain strings.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from gentle_llm.explorers import element_id
from gentle_llm.tokenizers import HFTokenizer, Tokenizer

__all__ = [
    "compare_tokenizers",
    "compare_tokenizers_html",
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

_STYLE = """<style>
#{uid} {{font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 14px; line-height: 1.9; margin: 0.4em 0; padding: 0.2em 0.5em;
  background: #fff; color: #111; border-radius: 4px;}}
#{uid} .gllm-head {{font-family: system-ui, sans-serif; font-size: 13px; color: #333;
  margin-bottom: 0.2em;}}
#{uid} .gllm-text {{white-space: pre-wrap; word-break: break-all; color: #111;}}
#{uid} .gllm-t {{border-radius: 3px; padding: 1px 0; cursor: pointer;
  box-shadow: inset -1px 0 0 rgba(0, 0, 0, 0.18);}}
#{uid} .gllm-t:hover, #{uid} .gllm-t.gllm-on {{outline: 2px solid #444;}}
#{uid} .gllm-ws {{color: #999;}}
#{uid} .gllm-status {{font-family: system-ui, sans-serif; font-size: 12px; color: #555;
  min-height: 1.4em;}}
#{uid} .gllm-bar {{display: inline-block; height: 0.7em; background: #9bb7d4;
  vertical-align: middle; margin-left: 0.5em; border-radius: 2px;}}
#{uid} .gllm-block + .gllm-block {{border-top: 1px solid #ddd; padding-top: 0.3em;}}
</style>"""

# Only our own generated id goes into the script: no text from the reader ever does.
_SCRIPT = """<script>
(function () {{
  var root = document.getElementById("{uid}");
  if (!root) return;
  function show(token, pin) {{
    var block = token.closest(".gllm-block");
    var status = block && block.querySelector(".gllm-status");
    if (!status) return;
    if (pin) {{
      var old = block.querySelectorAll(".gllm-on");
      for (var i = 0; i < old.length; i++) old[i].classList.remove("gllm-on");
      token.classList.add("gllm-on");
      status.setAttribute("data-pinned", token.getAttribute("data-i"));
    }}
    status.textContent = token.getAttribute("data-label");
  }}
  root.addEventListener("click", function (event) {{
    var token = event.target.closest(".gllm-t");
    if (token) show(token, true);
  }});
  root.addEventListener("mouseover", function (event) {{
    var token = event.target.closest(".gllm-t");
    if (token) show(token, false);
  }});
}})();
</script>"""


def visible_whitespace(piece: str) -> str:
    """``piece`` with each space, newline and tab replaced by its visible marker."""
    return "".join(_WHITESPACE.get(c, c) for c in piece)


def _piece_html(piece: str) -> str:
    """The inside of one token span: escaped text, greyed whitespace markers, line breaks."""
    if piece == "":
        return '<span class="gllm-ws" style="color:#999">∅</span>'
    out = []
    for char in piece:
        marker = _WHITESPACE.get(char)
        if marker is None:
            out.append(html.escape(char))
        else:
            out.append(f'<span class="gllm-ws" style="color:#999">{marker}</span>')
            if char == "\n":
                out.append("<br>")
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


def _tokens_block(pieces: list[str], ids: list[int] | None, title: str, bar: float) -> str:
    """One tokenizer's view: a heading with the count, the coloured tokens, a status line."""
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
    noun = "token" if n == 1 else "tokens"
    heading = f"<b>{html.escape(title)}</b> — " if title else ""
    bar_html = f'<span class="gllm-bar" style="width:{bar * 12:.2f}em"></span>' if bar else ""
    hint = "Point at or click a token to see its id." if ids is not None else ""
    return (
        '<div class="gllm-block">'
        f'<div class="gllm-head">{heading}<span class="gllm-count">{n} {noun}</span>'
        f"{bar_html}</div>"
        f'<div class="gllm-text">{"".join(spans)}</div>'
        f'<div class="gllm-status" aria-live="polite">{hint}</div>'
        "</div>"
    )


def _wrap(blocks: str, seed: str) -> str:
    uid = element_id("gllm-tokens", seed)
    return (
        f'<div class="gllm-tokens" id="{uid}">'
        f"{_STYLE.format(uid=uid)}{blocks}{_SCRIPT.format(uid=uid)}</div>"
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
    block = _tokens_block(pieces, ids, title, bar=0.0)
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
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}.")
    pieces, ids = tokenizer.pieces(text), tokenizer.encode(text)
    if len(pieces) != len(ids):  # a broken custom tokenizer; ours always agree
        raise ValueError(
            f"{tokenizer.name}: pieces() gave {len(pieces)} tokens but encode() gave "
            f"{len(ids)}; they must describe the same tokens."
        )
    return pieces, ids


def _label(tokenizer: Tokenizer) -> str:
    return f"{tokenizer.name} (vocabulary {tokenizer.vocab_size:,})"


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
    if isinstance(tokenizers, Mapping):
        labelled = [(str(k), _course_tokenizer(t)) for k, t in tokenizers.items()]
    elif isinstance(tokenizers, Sequence) and not isinstance(tokenizers, str):
        course = [_course_tokenizer(t) for t in tokenizers]
        labelled = [(_label(t), t) for t in course]
    else:
        raise TypeError(
            f"tokenizers must be a list of tokenizers or a dict of label -> tokenizer, "
            f"got {type(tokenizers).__name__}."
        )
    if not labelled:
        raise ValueError("Pass at least one tokenizer to compare.")
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
