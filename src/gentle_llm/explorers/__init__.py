"""Kernel-free explorers: self-contained HTML/JS that works in the static book and in Colab."""

from __future__ import annotations

import hashlib
import itertools
import json
from functools import cache
from importlib import resources

_counters: dict[str, itertools.count] = {}


def element_id(prefix: str, content: str) -> str:
    """An HTML id for one explorer output: unique on a page, yet the same on every run.

    A per-kind counter (not a random number) plus a hash of the content keeps the ids, and so
    the stored notebook outputs that nbval compares, identical each time a notebook runs top
    to bottom, while several explorers on one page never clash.
    """
    counter = _counters.setdefault(prefix, itertools.count(1))
    digest = hashlib.sha1(content.encode("utf-8", errors="replace")).hexdigest()[:8]
    return f"{prefix}-{next(counter)}-{digest}"


@cache
def static_file(name: str) -> str:
    """The text of one of the explorers' CSS or JavaScript files, to inline in a page."""
    return resources.files("gentle_llm.explorers").joinpath(name).read_text(encoding="utf-8")


def script_json(payload: object, *, ascii_only: bool = True) -> str:
    """JSON safe inside a ``<script>`` element: no ``</script>`` (or ``<!--``) can appear in it.

    ``ascii_only=False`` keeps non-ASCII characters as they are (the token explorers show
    them, and escaping them would make the stored outputs longer for nothing).
    """
    text = json.dumps(payload, ensure_ascii=ascii_only, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def bound_script(uid: str, name: str) -> str:
    """The ``<script>`` elements that run the explorer file ``name`` on the box ``uid`` only.

    ``dom.js`` (what every explorer does with the page) comes first; the explorer's own code
    runs inside a function that receives its box as ``root``, so several explorers on one page
    never touch each other.
    """
    return (
        f"<script>{static_file('dom.js')}</script>"
        f'<script>(function () {{ var root = document.getElementById("{uid}"); '
        f"if (!root) {{ return; }}\n{static_file(name)}\n}})();</script>"
    )
