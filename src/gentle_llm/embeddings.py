"""From token ids to vectors, and what the vectors can tell us.

Chapter 3 explains the ideas this module puts into code:

* an embedding matrix is a table with one row of numbers per token id; "embedding a token" is
  just reading its row;
* two vectors point the same way when their **cosine similarity** is near 1, which lets us ask a
  model's embedding table which tokens it treats as neighbours (:func:`nearest_tokens`);
* hundreds of dimensions can be squeezed onto a page with a principal-component projection
  (:func:`project_2d`), losing most of the detail but keeping the broadest patterns;
* a **sentence embedding** model (all-MiniLM-L6-v2 here) turns a whole sentence into one vector,
  so that sentences with similar meanings land close together — the idea behind semantic search
  and retrieval (:class:`SentenceEncoder`, :func:`semantic_search`).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor

from gentle_llm import checks

__all__ = [
    "cosine_similarity",
    "word_vector",
    "nearest_tokens",
    "PCAResult",
    "pca",
    "project_2d",
    "mean_pool",
    "SentenceEncoder",
    "SearchHit",
    "semantic_search",
    "MINILM_ASSET",
]

MINILM_ASSET = "all-minilm-l6-v2"


# ---------------------------------------------------------------------------- similarity


def _as_matrix(x: Tensor, name: str) -> Tensor:
    checks.tensor(x, name, dims=(1, 2), shape="[dim] (one vector) or [n, dim] (a stack)")
    checks.not_empty(x, name, "there are no vectors to compare.")
    return x.float() if not x.is_floating_point() else x


def cosine_similarity(a: Tensor, b: Tensor, eps: float = 1e-8) -> Tensor:
    """How closely vectors point the same way: 1 same direction, 0 unrelated, -1 opposite.

    ``a`` and ``b`` are each one vector ``[dim]`` or a stack ``[n, dim]``; every vector of ``a``
    is compared with every vector of ``b``. Two single vectors give a number (0-D tensor), a
    vector and a stack give ``[n]``, two stacks give the ``[n_a, n_b]`` table. The length of the
    vectors plays no part; an all-zero vector has no direction and scores 0 against everything.
    """
    a2, b2 = _as_matrix(a, "a"), _as_matrix(b, "b")
    fix = "a and b need the same number of dimensions."
    checks.same(a2.shape[-1], b2.shape[-1], "The vector widths of a and b", fix)
    a_unit = F.normalize(a2.reshape(-1, a2.shape[-1]), dim=-1, eps=eps)
    b_unit = F.normalize(b2.reshape(-1, b2.shape[-1]), dim=-1, eps=eps)
    table = a_unit @ b_unit.T
    if a.dim() == 1 and b.dim() == 1:
        return table[0, 0]
    if a.dim() == 1:
        return table[0]
    if b.dim() == 1:
        return table[:, 0]
    return table


# ---------------------------------------------------------------------------- token neighbours


def _encode_word(tokenizer: Any, word: str) -> list[int]:
    try:  # Hugging Face tokenizers would otherwise add special tokens such as BERT's [CLS]
        ids = tokenizer.encode(word, add_special_tokens=False)
    except TypeError:  # gentle_llm's own tokenizers take just the text
        ids = tokenizer.encode(word)
    return list(ids)


def word_vector(embedding_matrix: Tensor, tokenizer: Any, word: str) -> tuple[Tensor, list[int]]:
    """The embedding of ``word`` and the token ids it was made from.

    The word is tokenized exactly as given, so the leading space matters: in most LLM
    vocabularies ``" king"`` (a word in the middle of a sentence) and ``"king"`` are different
    tokens. A word that is one token gets that token's row of the table. A word split into
    several tokens gets the average of their rows — a rough stand-in, since the model itself
    never sees such an average; prefer the single-token form where there is one.
    """
    checks.tensor(
        embedding_matrix,
        "embedding_matrix",
        dims=2,
        shape="[vocab_size, dim]",
        hint="Use e.g. model.get_input_embeddings().weight.",
    )
    checks.text(word, "word", example=" king")
    ids = _encode_word(tokenizer, word)
    if not ids:
        raise ValueError(f"The tokenizer turned {word!r} into no tokens at all; try another word.")
    unknown = getattr(tokenizer, "unk_token_id", None)
    if unknown is not None and unknown in ids:
        raise ValueError(
            f"{word!r} is not in this tokenizer's vocabulary: try another spelling or word."
        )
    vocab_size = embedding_matrix.shape[0]
    if max(ids) >= vocab_size or min(ids) < 0:
        raise ValueError(
            f"{word!r} needs row {max(ids)} but the matrix has {vocab_size} rows: different models?"
        )
    with torch.no_grad():
        vector = embedding_matrix[ids].float().mean(dim=0)
    return vector, ids


def nearest_tokens(
    embedding_matrix: Tensor,
    tokenizer: Any,
    word: str,
    k: int = 10,
    *,
    exclude_self: bool = True,
) -> list[tuple[str, float]]:
    """The ``k`` tokens whose embeddings are most cosine-similar to ``word``'s.

    Returns ``(token text, similarity)`` pairs, most similar first; the token text is what the
    tokenizer decodes the id to (with its leading space, if it has one). The tokens ``word``
    itself is made of are left out unless ``exclude_self=False``. See :func:`word_vector` for
    how words of several tokens are handled.
    """
    vector, ids = word_vector(embedding_matrix, tokenizer, word)
    vocab_size = embedding_matrix.shape[0]
    available = vocab_size - (len(set(ids)) if exclude_self else 0)
    checks.whole_number(k, "k", 1, available)
    with torch.no_grad():
        scores = cosine_similarity(vector, embedding_matrix.float())
        if exclude_self:
            scores[ids] = float("-inf")
        top = torch.topk(scores, k)
    return [
        (tokenizer.decode([int(i)]), float(s))
        for s, i in zip(top.values.tolist(), top.indices.tolist(), strict=True)
    ]


# ---------------------------------------------------------------------------- projections


class PCAResult(NamedTuple):
    """What :func:`pca` found: coordinates, the directions used, and how much they explain."""

    coords: Tensor  # [n, n_components]: each input vector's position along each direction
    components: Tensor  # [n_components, dim]: the directions (unit vectors), widest first
    explained_variance_ratio: Tensor  # [n_components]: share of the total spread each keeps


def pca(vectors: Tensor, n_components: int = 2) -> PCAResult:
    """Principal component analysis: the ``n_components`` directions along which the vectors
    spread out most, and each vector's coordinates along them.

    Computed exactly with an SVD of the centred data (no randomness). A direction and its
    opposite are equally good, so each direction's sign is fixed to make its largest
    coordinate positive: the same input always gives the same picture.
    """
    checks.tensor(vectors, "vectors", dims=2, shape="[n, dim] (one row per vector)")
    n, dim = vectors.shape
    if n < 2:
        raise ValueError(f"Need at least 2 vectors to find the directions they spread in, got {n}.")
    limit = min(n, dim)  # no more directions than vectors, nor than numbers per vector
    checks.whole_number(n_components, "n_components", 1, limit)
    with torch.no_grad():
        data = vectors.detach().to(torch.float64)  # float64: a stable picture on any machine
        centred = data - data.mean(dim=0, keepdim=True)
        _, singular_values, vh = torch.linalg.svd(centred, full_matrices=False)
        components = vh[:n_components]
        coords = centred @ components.T
        biggest = coords.abs().argmax(dim=0)
        signs = torch.sign(coords[biggest, torch.arange(n_components)])
        signs[signs == 0] = 1.0
        components = components * signs[:, None]
        coords = coords * signs[None, :]
        variance = singular_values**2
        total = variance.sum()
        ratio = variance[:n_components] / total if total > 0 else torch.zeros(n_components)
    return PCAResult(
        coords.to(torch.float32), components.to(torch.float32), ratio.to(torch.float32)
    )


def project_2d(vectors: Tensor) -> Tensor:
    """Flatten ``[n, dim]`` vectors to ``[n, 2]`` points for a scatter plot (PCA, see :func:`pca`).

    Chapter 3 explains what such a picture can and cannot show: distances along the two
    widest directions survive, everything in the other ``dim - 2`` directions is lost.
    """
    return pca(vectors, 2).coords


# ---------------------------------------------------------------------------- sentence embeddings


def mean_pool(token_embeddings: Tensor, attention_mask: Tensor) -> Tensor:
    """Average each sentence's token vectors, skipping padding: ``[b, t, d], [b, t] -> [b, d]``.

    This is how all-MiniLM-L6-v2 turns its per-token outputs into one sentence vector.
    """
    checks.tensor(token_embeddings, "token_embeddings", dims=3, shape="[batch, tokens, dim]")
    checks.tensor(attention_mask, "attention_mask", dims=2, shape="[batch, tokens]")
    shapes = tuple(attention_mask.shape), tuple(token_embeddings.shape[:2])
    fix = "attention_mask must have one entry per token of token_embeddings."
    checks.same(*shapes, "The [batch, tokens] shapes of attention_mask and the tokens", fix)
    mask = attention_mask.to(token_embeddings.dtype).unsqueeze(-1)
    counts = mask.sum(dim=1).clamp(min=1.0)  # a row of only padding would divide by zero
    return (token_embeddings * mask).sum(dim=1) / counts


@functools.lru_cache(maxsize=2)
def _load_sentence_model(asset_name: str) -> tuple[Any, Any]:
    from transformers import AutoModel, AutoTokenizer

    from gentle_llm import assets
    from gentle_llm.pretrained import dtype_argument, quiet_transformers

    folder = assets.fetch(asset_name)
    with quiet_transformers():
        tokenizer = AutoTokenizer.from_pretrained(folder)
        model = AutoModel.from_pretrained(folder, **dtype_argument(torch.float32))
    model.eval()
    return model, tokenizer


def _sentence_list(sentences: Sequence[str]) -> list[str]:
    if isinstance(sentences, str):
        raise TypeError("sentences must be a list of strings, not one string: wrap it as [text].")
    texts = [checks.text(s, f"sentences[{i}]") for i, s in enumerate(sentences)]
    return checks.not_empty(texts, "sentences", "give at least one sentence.")


class SentenceEncoder:
    """Turns sentences into unit-length vectors whose closeness reflects closeness of meaning.

    Uses all-MiniLM-L6-v2 (a 6-layer BERT model, 22.7 M parameters, 384-dimensional output)
    from the course's asset registry, loaded once per process. Each sentence is tokenized, run
    through the model, its token vectors averaged (:func:`mean_pool`) and the result scaled to
    length 1, so the dot product of two embeddings *is* their cosine similarity. Text longer
    than ``max_length`` tokens (256, what the model was trained with) is cut off.
    """

    def __init__(
        self, asset_name: str = MINILM_ASSET, *, device: str | torch.device = "cpu"
    ) -> None:
        self.model, self.tokenizer = _load_sentence_model(asset_name)
        self.device = torch.device(device)
        self.max_length = 256

    @property
    def dim(self) -> int:
        """The size of each sentence vector (384 for all-MiniLM-L6-v2)."""
        return int(self.model.config.hidden_size)

    def encode(self, sentences: Sequence[str], batch_size: int = 32) -> Tensor:
        """Embed each sentence: ``[len(sentences), dim]`` on the CPU, each row of length 1."""
        sentences = _sentence_list(sentences)
        checks.whole_number(batch_size, "batch_size")
        model = self.model.to(self.device)
        chunks = []
        with torch.no_grad():
            for start in range(0, len(sentences), batch_size):
                batch = self.tokenizer(
                    sentences[start : start + batch_size],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                ).to(self.device)
                tokens = model(**batch).last_hidden_state
                pooled = mean_pool(tokens, batch["attention_mask"])
                chunks.append(F.normalize(pooled, dim=-1).cpu())
        return torch.cat(chunks)

    def __repr__(self) -> str:
        return f"SentenceEncoder(all-MiniLM-L6-v2, dim={self.dim}, device={self.device.type})"


class SearchHit(NamedTuple):
    """One result of :func:`semantic_search`."""

    score: float  # cosine similarity between the query and this sentence
    index: int  # where the sentence is in the list searched
    sentence: str


def semantic_search(
    query: str,
    sentences: Sequence[str],
    encoder: SentenceEncoder | None = None,
    k: int = 3,
    *,
    sentence_embeddings: Tensor | None = None,
) -> list[SearchHit]:
    """The ``k`` sentences closest in meaning to ``query``, best first.

    This is the retrieval step of a search engine or of retrieval-augmented generation (RAG):
    embed the query, compare it with every stored sentence's embedding, keep the top ``k``.
    Pass ``sentence_embeddings`` (from ``encoder.encode(sentences)``) to skip re-embedding the
    same sentences for every query.
    """
    checks.text(query, "query", example="a cat on a mat")
    sentences = _sentence_list(sentences)
    checks.whole_number(k, "k", 1, len(sentences))
    encoder = encoder if encoder is not None else SentenceEncoder()
    expected = (len(sentences), encoder.dim)
    if sentence_embeddings is None:
        sentence_embeddings = encoder.encode(sentences)
    fix = "use encoder.encode(sentences)."
    checks.same(
        tuple(sentence_embeddings.shape),
        expected,
        "The shapes of sentence_embeddings and [sentences, dim]",
        fix,
    )
    scores = cosine_similarity(encoder.encode([query])[0], sentence_embeddings)
    top = torch.topk(scores, k)
    return [
        SearchHit(float(s), int(i), sentences[int(i)])
        for s, i in zip(top.values.tolist(), top.indices.tolist(), strict=True)
    ]
