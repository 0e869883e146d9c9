"""Retrieval-augmented generation: chunk documents, find the relevant ones, answer from them.

Chapter 14 explains every step.

A model answers from what it read in training. To answer from documents it never saw (a
company's handbook, this week's timetable), a program first *retrieves* the passages most
likely to hold the answer and puts them into the prompt; the model then reads instead of
remembering. Every step here is one Chapter 14 explains:

1. :func:`chunk_documents` cuts each document into passages short enough to embed and to quote;
2. two ways to rank chunks for a question: by meaning (:class:`SemanticIndex`: MiniLM sentence
   embeddings and cosine similarity, :func:`cosine_top_k`) and by shared words
   (:class:`KeywordIndex`: BM25 from the ``bm25s`` package), and the two fused by
   :func:`reciprocal_rank_fusion` (:class:`HybridIndex`);
3. :func:`recall_at_k` measures the retriever alone: is the right document among the top ``k``?
4. :func:`rag_messages` writes the numbered sources and the question into a chat, and
   :func:`cited_sources` reads which sources the reply cites;
5. :func:`is_correct` grades a reply against an exact answer, and :func:`judge_prompt` asks a
   model to grade it instead, so the two graders can be compared.

At a few hundred chunks a brute-force search over every embedding takes microseconds. At
millions, one uses an approximate nearest-neighbour library such as FAISS or a vector database;
the idea is the same.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, NamedTuple

import torch
from torch import Tensor

from gentle_llm import checks

__all__ = [
    "Chunk",
    "Hit",
    "HybridIndex",
    "KeywordIndex",
    "RRF_K",
    "SemanticIndex",
    "chunk_documents",
    "cited_sources",
    "cosine_top_k",
    "is_correct",
    "judge_prompt",
    "judge_verdicts",
    "load_handbook",
    "rag_messages",
    "recall_at_k",
    "reciprocal_rank_fusion",
]

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_CITATION = re.compile(r"\[(\d{1,3})\]")


@dataclass(frozen=True)
class Chunk:
    """One passage of a document: what is searched, shown to the model and cited."""

    document: str  # the id of the document it comes from
    title: str
    text: str

    @property
    def searchable(self) -> str:
        """The text an index sees: the title gives a short passage its topic."""
        return f"{self.title}. {self.text}"


class Hit(NamedTuple):
    """One search result, best first in a list of hits."""

    score: float
    index: int  # the chunk's position in the list the index was built from
    chunk: Chunk


def load_handbook() -> dict[str, Any]:
    """The Ferrybridge handbook Chapter 14 searches: documents, labelled questions, a poisoned page.

    Ferrybridge is an invented town, so no model can answer the questions from memory: what a
    model gets right, it read in the retrieved text. Written for the course (CC0-1.0).
    """
    text = resources.files("gentle_llm").joinpath("texts/ferrybridge.json").read_text("utf-8")
    return json.loads(text)


def _split_long(paragraph: str, max_words: int) -> list[str]:
    """Whole sentences packed into pieces of at most ``max_words`` words."""
    pieces: list[str] = []
    current: list[str] = []
    for sentence in _SENTENCE_END.split(paragraph):
        words = len(sentence.split())
        if current and len(" ".join(current).split()) + words > max_words:
            pieces.append(" ".join(current))
            current = []
        current.append(sentence)
    if current:
        pieces.append(" ".join(current))
    return pieces


def chunk_documents(documents: Sequence[dict[str, str]], max_words: int = 80) -> list[Chunk]:
    """Cut each document into chunks of at most ``max_words`` words, whole paragraphs or sentences.

    ``documents`` are dicts with ``"id"``, ``"title"`` and ``"text"``; paragraphs are separated
    by a blank line. Short paragraphs next to each other share a chunk, and a paragraph longer
    than ``max_words`` is cut between sentences, so no chunk starts or ends mid-sentence.
    """
    if isinstance(documents, (str, dict)):
        raise TypeError("documents must be a list of dicts with 'id', 'title' and 'text'.")
    checks.whole_number(max_words, "max_words", 10)
    chunks: list[Chunk] = []
    for i, document in enumerate(documents):
        missing = {"id", "title", "text"} - set(document)
        if missing:
            raise ValueError(
                f"documents[{i}] has no {sorted(missing)}: give each one an id, a title and a text."
            )
        paragraphs = [
            p.strip()
            for p in checks.text(document["text"], f"documents[{i}]['text']").split("\n\n")
        ]
        pieces = [piece for p in paragraphs if p for piece in _split_long(p, max_words)]
        current = ""
        for piece in pieces:
            if current and len(current.split()) + len(piece.split()) > max_words:
                chunks.append(Chunk(document["id"], document["title"], current))
                current = ""
            current = f"{current}\n\n{piece}" if current else piece
        if current:
            chunks.append(Chunk(document["id"], document["title"], current))
    return chunks


def cosine_top_k(query: Tensor, embeddings: Tensor, k: int) -> tuple[Tensor, Tensor]:
    """The ``k`` rows of ``embeddings`` closest to ``query``: ``(scores, indices)``, best first.

    Both are normalised to length 1 first, so each score is a cosine similarity.
    """
    checks.tensor(query, "query", dims=1, shape="[dim]")
    checks.tensor(embeddings, "embeddings", dims=2, shape="[chunks, dim]")
    checks.whole_number(k, "k", 1, embeddings.shape[0])
    query = query / query.norm().clamp(min=1e-12)
    embeddings = embeddings / embeddings.norm(dim=1, keepdim=True).clamp(min=1e-12)
    return torch.topk(embeddings @ query, k)


def _chunk_list(chunks: Sequence[Chunk]) -> list[Chunk]:
    chunks = list(chunks)
    checks.not_empty(chunks, "chunks", "build an index from chunk_documents(documents).")
    for i, chunk in enumerate(chunks):
        checks.instance(chunk, f"chunks[{i}]", Chunk, "a Chunk from chunk_documents")
    return chunks


class SemanticIndex:
    """Search by meaning: each chunk embedded once with MiniLM, each query compared by cosine."""

    def __init__(self, chunks: Sequence[Chunk], encoder: Any = None) -> None:
        from gentle_llm.embeddings import SentenceEncoder

        self.chunks = _chunk_list(chunks)
        self.encoder = encoder if encoder is not None else SentenceEncoder()
        self.embeddings = self.encoder.encode([c.searchable for c in self.chunks])

    def search(self, query: str, k: int = 3) -> list[Hit]:
        """The ``k`` chunks closest in meaning to ``query``, best first."""
        checks.text(query, "query", example="When does the last ferry leave?")
        checks.whole_number(k, "k", 1, len(self.chunks))
        scores, indices = cosine_top_k(self.encoder.encode([query])[0], self.embeddings, k)
        return [
            Hit(float(s), int(i), self.chunks[int(i)]) for s, i in zip(scores, indices, strict=True)
        ]


class KeywordIndex:
    """Search by shared words: BM25 (Robertson and Zaragoza 2009), scored by ``bm25s``.

    A chunk scores high when it contains the query's words, more so for words that are rare in
    the collection (a name, a code) and less for a chunk that is long. English stop words such
    as "the" are ignored.
    """

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        import bm25s

        self._bm25s = bm25s
        self.chunks = _chunk_list(chunks)
        self.model = bm25s.BM25()
        self.model.index(self._tokens([c.searchable for c in self.chunks]), show_progress=False)

    def _tokens(self, texts: list[str]) -> Any:
        return self._bm25s.tokenize(texts, stopwords="en", show_progress=False)

    def search(self, query: str, k: int = 3) -> list[Hit]:
        """The ``k`` chunks sharing the most (and rarest) words with ``query``, best first."""
        checks.text(query, "query", example="When does the last ferry leave?")
        checks.whole_number(k, "k", 1, len(self.chunks))
        tokens = self._tokens([query])
        if not tokens.vocab:  # only stop words: no chunk shares a word, all score 0
            return [Hit(0.0, i, self.chunks[i]) for i in range(k)]
        indices, scores = self.model.retrieve(tokens, k=k, show_progress=False)
        return [
            Hit(float(s), int(i), self.chunks[int(i)])
            for s, i in zip(scores[0], indices[0], strict=True)
        ]


# Cormack, Clarke and Büttcher's constant: one first place cannot outweigh everything else.
RRF_K = 60


def reciprocal_rank_fusion(rankings: Sequence[Sequence[int]], k: int = RRF_K) -> list[int]:
    """Merge several rankings of the same items: each item scores ``sum(1 / (k + rank))``.

    Rank 1 is the best. Items found by both rankings near the top rise; the constant ``k = 60``
    (Cormack, Clarke and Büttcher 2009) keeps one first place from outweighing everything else.
    Ties keep the order of first appearance.
    """
    checks.whole_number(k, "k", 0)
    scores = _fused_scores(rankings, k)
    return sorted(scores, key=lambda item: -scores[item])


def _fused_scores(rankings: Sequence[Sequence[int]], k: int) -> dict[int, float]:
    """Each item's ``sum(1 / (k + rank))`` over the rankings, in order of first appearance."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return scores


class HybridIndex:
    """Keyword and meaning search together, merged by reciprocal rank fusion.

    Each ranks ``depth`` chunks; :func:`reciprocal_rank_fusion` merges the two rankings.
    """

    def __init__(self, keyword: KeywordIndex, semantic: SemanticIndex, depth: int = 10) -> None:
        if keyword.chunks != semantic.chunks:
            raise ValueError("keyword and semantic must index the same chunks, in the same order.")
        self.keyword, self.semantic, self.chunks = keyword, semantic, keyword.chunks
        self.depth = checks.whole_number(depth, "depth", 1)

    def search(self, query: str, k: int = 3) -> list[Hit]:
        """The ``k`` best chunks by fused rank; a hit's score is its fused score."""
        checks.whole_number(k, "k", 1, len(self.chunks))
        depth = min(max(self.depth, k), len(self.chunks))
        rankings = [
            [h.index for h in index.search(query, depth)] for index in (self.keyword, self.semantic)
        ]
        fused = reciprocal_rank_fusion(rankings)[:k]
        score = _fused_scores(rankings, RRF_K)
        return [Hit(score[i], i, self.chunks[i]) for i in fused]


def recall_at_k(hits: Sequence[Sequence[Hit]], documents: Sequence[str]) -> float:
    """The fraction of questions whose right document is among their hits.

    ``documents[i]`` is the id of the document that answers the question of ``hits[i]``.
    """
    checks.same(
        len(hits),
        len(documents),
        "The numbers of hit lists and of documents",
        "give one document id per question.",
    )
    checks.not_empty(hits, "hits", "search for at least one question.")
    found = sum(
        any(h.chunk.document == d for h in row) for row, d in zip(hits, documents, strict=True)
    )
    return found / len(hits)


_RAG_SYSTEM = (
    "Answer the question using only the numbered sources. Reply with a short answer, then the "
    "number of the source you used in brackets, like [1]. If the sources do not say, reply: "
    "I don't know."
)


def rag_messages(
    question: str, hits: Sequence[Hit], system: str = _RAG_SYSTEM
) -> list[dict[str, str]]:
    """A chat asking ``question`` with ``hits`` given as numbered sources ``[1]``, ``[2]``, ...

    With no hits, the question is asked alone: the model can only answer from memory.
    """
    checks.text(question, "question", example="When does the last ferry leave?")
    if not hits:
        return [{"role": "user", "content": question}]
    sources = "\n\n".join(
        f"[{n}] {h.chunk.title}: {h.chunk.text}" for n, h in enumerate(hits, start=1)
    )
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": f"Sources:\n{sources}\n\nQuestion: {question}"},
    ]


def cited_sources(reply: str, n_sources: int) -> list[int]:
    """The source numbers ``[n]`` a reply cites, in order, ignoring numbers with no such source."""
    checks.instance(reply, "reply", str, "a string (the model's reply)")
    cited = [int(n) for n in _CITATION.findall(reply)]
    return list(dict.fromkeys(n for n in cited if 1 <= n <= n_sources))


def _normalise(text: str) -> str:
    text = text.lower().replace("’", "'")
    return " ".join(re.sub(r"[^\w£:.']+", " ", text).split())


def is_correct(reply: str, answer: str, aliases: Sequence[str] = ()) -> bool:
    """Whether ``reply`` holds ``answer`` or one of its ``aliases`` as whole words (any case)."""
    checks.instance(reply, "reply", str, "a string (the model's reply)")
    reply = f" {_normalise(reply).rstrip('.')} "
    for expected in [answer, *aliases]:
        expected = _normalise(expected).rstrip(".")
        if expected and re.search(rf"(?<![\w£]){re.escape(expected)}(?![\w]|\.\d)", reply):
            return True
    return False


def judge_prompt(question: str, reference: str, reply: str) -> list[dict[str, str]]:
    """A chat asking a model to grade ``reply`` against ``reference``, answering Yes or No."""
    for value, name in ((question, "question"), (reference, "reference"), (reply, "reply")):
        checks.instance(value, name, str, "a string")
    return [
        {
            "role": "user",
            "content": (
                f"Question: {question}\nCorrect answer: {reference}\nStudent's answer: {reply}\n\n"
                "Does the student's answer give the correct answer? Reply Yes or No."
            ),
        }
    ]


def judge_verdicts(
    model: Any, tokenizer: Any, chats: Sequence[list[dict[str, str]]]
) -> list[float]:
    """The judge's probability of "Yes" (against "No") as its first word, for each chat.

    ``chats`` come from :func:`judge_prompt`. Reading the two probabilities, instead of
    generating a reply, gives every verdict a confidence and never an answer that is neither.
    Each chat is read on its own, without padding, so a verdict never depends on its neighbours.
    """
    from gentle_llm.common import eval_mode, logits_of

    yes, no = (tokenizer.encode(word, add_special_tokens=False)[0] for word in ("Yes", "No"))
    verdicts = []
    for chat in chats:
        text = tokenizer.apply_chat_template(chat, add_generation_prompt=True, tokenize=False)
        ids = torch.tensor([tokenizer.encode(text, add_special_tokens=False)])
        with eval_mode(model), torch.no_grad():
            last = logits_of(model, ids)[0, -1]
        verdicts.append(float(torch.softmax(last[[yes, no]], dim=-1)[0]))
    return verdicts
