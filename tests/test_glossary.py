"""Every term a chapter puts in bold can be looked up in the glossary.

The chapter pages (chapters/NN-*.md) and intro.md mark a new term by writing it in bold. Each
bold phrase must be a term of chapters/glossary.md (its ``{glossary}`` directive) or contain a
``{term}`` link, which the book build checks against the glossary itself.

Bold that is not a term is skipped by a few general rules, nothing else:

* a run-in label, ending in ``.``, ``:``, ``?`` or ``!`` ("**Cost.**", "**Time:**");
* a number ("**2 trillion tokens**", a best result in a table);
* inline code only ("**`zero_grad`**"): an API name, explained where it stands;
* a bold phrase that is the whole line: a small heading;
* the label that opens a numbered list item ("1. **Tokens** (Chapter 2)"): a map of chapters.

Matching ignores case, a leading "the", "a" or "an", hyphens versus spaces and a plural last
word ("Layers" is the term "Layer"). A glossary entry that names several terms ("Query, key and
value") covers each of them, and the word "model" in a term may be left out ("autoregressive"
is the term "Autoregressive model", "families" is "Model family"). A bold adjective also counts
with the word after it ("**sub-word** tokens" is the term "Sub-word token"). Each missing term
is reported with its file and line.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "chapters" / "glossary.md"
PAGES = [*sorted((ROOT / "chapters").glob("[0-9][0-9]-*.md")), ROOT / "intro.md"]

BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
TERM_ROLE = re.compile(r"\{term\}`[^`]*`")
# A number pasted from a lab ({glue:text}`lab.ipynb::key:s`) reads as a number, not a term.
GLUE_ROLE = re.compile(r"\{glue(?::\w+)?\}`[^`]*`")
OTHER_ROLE = re.compile(r"\{[a-z:-]+\}`([^`]*)`")
INLINE_CODE = re.compile(r"`+[^`]*`+")
CODE_FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*(\{[\w:-]+\})?")
CODE_DIRECTIVES = {None, "{code-block}", "{code-cell}", "{code}", "{sourcecode}"}
NUMBERED_ITEM = re.compile(r"^\s*\d+[.)]\s+$")
WORD_AFTER = re.compile(r"^\s+([A-Za-z][\w-]*)")
ARTICLE = re.compile(r"^(?:the|a|an)\s+")
LINKED, CODE = "\x00term\x00", "\x00code\x00"


def singular(word: str) -> str:
    """The singular of an English plural, good enough for glossary terms."""
    if len(word) <= 3 or word.endswith(("ss", "us", "is", "as")):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    return word[:-1] if word.endswith("s") else word


def normalise(phrase: str) -> str:
    """Lower case, no leading article, hyphens as spaces, last word singular."""
    text = ARTICLE.sub("", phrase.strip().lower().replace("’", "'"))
    words = re.sub(r"[\s-]+", " ", text).strip(" ,;").split(" ")
    return " ".join([*words[:-1], singular(words[-1])])


def glossary_terms(text: str) -> list[str]:
    """The terms of the {glossary} directive, in file order, as written."""
    terms, inside = [], False
    for line in text.splitlines():
        if line.startswith("```{glossary}"):
            inside = True
        elif inside and line.startswith("```"):
            inside = False
        elif inside and line.strip() and not line[0].isspace() and not line.startswith(":"):
            terms.append(line.strip())
    return terms


def term_keys(term: str) -> set[str]:
    """The normalised phrases one glossary term covers."""
    parts = [term, *re.split(r",\s*|\s+and\s+", term)] if "," in term else [term]
    keys = set()
    for part in parts:
        key = normalise(part)
        keys.add(key)
        without_model = " ".join(w for w in key.split(" ") if w != "model")
        if without_model:
            keys.add(without_model)
    return keys


def prose_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) for every line outside code blocks; directives' text is prose."""
    lines: list[tuple[int, str]] = []
    directives: list[str] = []  # fences of the directives open around this line
    code: str | None = None  # fence of the code block this line is in
    for number, line in enumerate(text.splitlines(), start=1):
        opened = CODE_FENCE.match(line)
        fence = opened.group(1) if opened else ""
        bare = bool(opened) and line.strip() == fence
        if code is not None:
            if bare and fence[0] == code[0] and len(fence) >= len(code):
                code = None
            continue
        if not opened:
            lines.append((number, line))
        elif bare and directives and fence[0] == directives[-1][0]:
            directives.pop()
        elif opened.group(2) in CODE_DIRECTIVES:
            code = fence
        else:
            directives.append(fence)
    return lines


def bold_terms(text: str) -> list[tuple[int, str, str]]:
    """(line, bold phrase, word after it) for each bold phrase that the rules treat as a term."""
    found = []
    for number, line in prose_lines(text):
        plain = TERM_ROLE.sub(LINKED, line)
        plain = GLUE_ROLE.sub("0", plain)
        plain = OTHER_ROLE.sub(r"\1", plain)
        plain = INLINE_CODE.sub(CODE, plain)
        for match in BOLD.finditer(plain):
            phrase = match.group(1).strip()
            if LINKED in phrase or phrase.replace(CODE, "").strip() == "":
                continue
            if phrase[-1] in ".:?!" or phrase[0].isdigit():
                continue
            if plain.strip() == match.group(0):
                continue
            if NUMBERED_ITEM.match(plain[: match.start()]):
                continue
            after = WORD_AFTER.match(plain[match.end() :])
            found.append((number, phrase, after.group(1) if after else ""))
    return found


def missing_terms(pages: dict[str, str], glossary: str) -> list[str]:
    """'file:line: **phrase**' for each bold term the glossary does not cover."""
    known = set().union(*(term_keys(term) for term in glossary_terms(glossary)))
    missing = []
    for name, text in pages.items():
        for number, phrase, after in bold_terms(text):
            candidates = {normalise(phrase)}
            if after:
                candidates.add(normalise(f"{phrase} {after}"))
            if not candidates & known:
                missing.append(f"{name}:{number}: **{phrase}**")
    return missing


def test_every_bold_term_is_in_the_glossary() -> None:
    pages = {p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8") for p in PAGES}
    missing = missing_terms(pages, GLOSSARY.read_text(encoding="utf-8"))
    assert not missing, (
        f"{len(missing)} bold phrases are not glossary terms (add the term to "
        "chapters/glossary.md, or link it with {term}):\n" + "\n".join(missing)
    )


def test_glossary_terms_are_unique() -> None:
    # Sphinx warns on a duplicate term (case does not matter), and the book builds with -W.
    terms = glossary_terms(GLOSSARY.read_text(encoding="utf-8"))
    counts = Counter(term.lower() for term in terms)
    assert len(terms) > 50
    assert [term for term, n in counts.items() if n > 1] == []


TOY_GLOSSARY = """# Glossary

```{glossary}
:sorted:

Layer
  One block of a stack.

Query, key and value
  Three vectors per token.

Autoregressive model
  Writes one token at a time.

Sub-word token
  A piece of a word.
```
"""


def test_checker_reports_missing_terms_with_file_and_line() -> None:
    page = "\n".join(
        [
            "The model has 30 **layers** and is **autoregressive**; each token has a **query**.",
            "Almost every model uses **sub-word** tokens and a **context window**.",
            "* **Cost.** Labels are not terms, nor is **2 trillion tokens** or **`zero_grad`**.",
            "**A line that is all bold**",
            "1. **Tokens** (Chapter 2).",
            "A {term}`head <Attention head>` in bold: **{term}`heads <Attention head>`**.",
            "```python",
            "f(**kwargs, **more)",
            "```",
            "Then **the attention sink** appears.",
            "A pasted number: **{glue:text}`../notebooks/lab.ipynb::ratio:s` times as many**.",
        ]
    )
    assert missing_terms({"toy.md": page}, TOY_GLOSSARY) == [
        "toy.md:2: **context window**",
        "toy.md:10: **the attention sink**",
    ]


def test_normalise_handles_case_articles_hyphens_and_plurals() -> None:
    assert normalise("The Families") == "family"
    assert normalise("Open-source licences") == "open source licence"
    assert normalise("Attention heads") == "attention head"
    assert normalise("bias") == "bias"
    assert term_keys("Query, key and value") == {"query, key and value", "query", "key", "value"}
    assert "family" in term_keys("Model family")
