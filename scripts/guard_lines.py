"""Count each module's lines and its argument-check lines (a maintainer's size report).

A guard is an ``if`` whose body only raises (with any ``elif``/``else`` that only raise), or a
whole function whose name starts with ``_check``. A one-line call of a
:mod:`gentle_llm.checks` helper is not counted; the helpers' own guards in ``checks.py`` are.
``raise NotYet(...)`` in ``gentle_llm.exercises`` is not a guard either: it is how an exercise
check gives its verdict on a learner's answer, the check's result rather than a test of its
arguments (``--with-verdicts`` counts them too, for comparison).
The last line gives the share of guard lines in all lines. Usage::

    python scripts/guard_lines.py [--with-verdicts] [src/gentle_llm]
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

COUNT_VERDICTS = False


def _is_verdict(statement: ast.Raise) -> bool:
    """``raise NotYet(...)``: an exercise check's answer to the learner, not a guard."""
    call = statement.exc
    return (
        not COUNT_VERDICTS
        and isinstance(call, ast.Call)
        and isinstance(call.func, ast.Name)
        and call.func.id == "NotYet"
    )


def _only_raises(body: list[ast.stmt]) -> bool:
    return bool(body) and all(
        (isinstance(s, ast.Raise) and not _is_verdict(s))
        or (isinstance(s, ast.If) and _is_guard(s))
        for s in body
    )


def _is_guard(node: ast.If) -> bool:
    return _only_raises(node.body) and (not node.orelse or _only_raises(node.orelse))


def guard_lines(source: str) -> int:
    lines: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        is_check_fn = isinstance(node, ast.FunctionDef) and node.name.startswith("_check")
        if (isinstance(node, ast.If) and _is_guard(node)) or is_check_fn:
            lines.update(range(node.lineno, node.end_lineno + 1))
    return len(lines)


def main(root: str) -> None:
    total_lines = total_guards = 0
    print(f"{'module':40} {'lines':>6} {'guard lines':>12}")
    for path in sorted(Path(root).rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        n, g = len(text.splitlines()), guard_lines(text)
        total_lines, total_guards = total_lines + n, total_guards + g
        print(f"{str(path.relative_to(root)):40} {n:6} {g:12}")
    share = 100 * total_guards / max(total_lines, 1)
    print(f"{'total':40} {total_lines:6} {total_guards:12}  ({share:.1f} % guard lines)")


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if "--with-verdicts" in arguments:
        arguments.remove("--with-verdicts")
        COUNT_VERDICTS = True
    main(arguments[0] if arguments else "src/gentle_llm")
