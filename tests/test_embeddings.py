"""Tests of gentle_llm.embeddings: similarity, neighbours, projections, sentence search (Ch. 3)."""

from __future__ import annotations

import math

import pytest
import torch

from gentle_llm.embeddings import (
    SentenceEncoder,
    cosine_similarity,
    mean_pool,
    nearest_tokens,
    pca,
    project_2d,
    semantic_search,
    word_vector,
)

# ---------------------------------------------------------------- cosine similarity


def test_cosine_similarity_known_values():
    a = torch.tensor([1.0, 0.0])
    assert float(cosine_similarity(a, torch.tensor([3.0, 0.0]))) == pytest.approx(1.0)
    assert float(cosine_similarity(a, torch.tensor([0.0, 2.0]))) == pytest.approx(0.0)
    assert float(cosine_similarity(a, torch.tensor([-5.0, 0.0]))) == pytest.approx(-1.0)
    assert float(cosine_similarity(a, torch.tensor([1.0, 1.0]))) == pytest.approx(1 / math.sqrt(2))


def test_cosine_similarity_shapes_and_table():
    gen = torch.Generator().manual_seed(0)
    x, y = torch.randn(4, 6, generator=gen), torch.randn(3, 6, generator=gen)
    table = cosine_similarity(x, y)
    assert table.shape == (4, 3)
    torch.testing.assert_close(
        table[2, 1], torch.nn.functional.cosine_similarity(x[2], y[1], dim=0)
    )
    assert cosine_similarity(x[0], y).shape == (3,)
    assert cosine_similarity(x, y[0]).shape == (4,)
    assert cosine_similarity(x[0], y[0]).shape == ()
    torch.testing.assert_close(torch.diagonal(cosine_similarity(x, x)), torch.ones(4))


def test_cosine_similarity_ignores_length_and_zero_vector_scores_zero():
    v = torch.tensor([1.0, 2.0, 3.0])
    assert float(cosine_similarity(v, 10 * v)) == pytest.approx(1.0)
    assert float(cosine_similarity(v, torch.zeros(3))) == 0.0
    assert float(cosine_similarity(torch.tensor([1, 2]), torch.tensor([2, 4]))) == pytest.approx(1)


def test_cosine_similarity_bad_inputs():
    with pytest.raises(ValueError, match="same number of dimensions"):
        cosine_similarity(torch.ones(3), torch.ones(4))
    with pytest.raises(ValueError, match="empty"):
        cosine_similarity(torch.ones(0), torch.ones(0))
    with pytest.raises(ValueError, match="shape"):
        cosine_similarity(torch.ones(2, 2, 2), torch.ones(2))
    with pytest.raises(TypeError, match="tensor"):
        cosine_similarity([1.0, 0.0], torch.ones(2))  # type: ignore[arg-type]


# ---------------------------------------------------------------- nearest tokens (no real model)


class StubTokenizer:
    """A word-level tokenizer over a fixed list; words it does not know become <unk>."""

    def __init__(self, words: list[str]) -> None:
        self.words = words
        self.unk_token_id = words.index("<unk>")

    def encode(self, text: str) -> list[int]:
        return [self.words.index(w) if w in self.words else self.unk_token_id for w in text.split()]

    def decode(self, ids: list[int]) -> str:
        return " ".join(self.words[i] for i in ids)


WORDS = ["<unk>", "cat", "dog", "kitten", "car", "truck", "red"]
TABLE = torch.tensor(
    [
        [0.0, 0.0, 0.0],  # <unk>
        [1.0, 0.1, 0.0],  # cat
        [0.9, 0.3, 0.0],  # dog
        [1.0, 0.0, 0.1],  # kitten: closest to cat
        [0.0, 1.0, 0.1],  # car
        [0.1, 0.9, 0.2],  # truck
        [0.0, 0.0, 1.0],  # red
    ]
)


def test_nearest_tokens_on_a_tiny_table():
    tok = StubTokenizer(WORDS)
    result = nearest_tokens(TABLE, tok, "cat", k=2)
    assert [w for w, _ in result] == ["kitten", "dog"]
    expected = float(cosine_similarity(TABLE[1], TABLE[3]))
    assert result[0][1] == pytest.approx(expected)
    assert result[0][1] >= result[1][1]
    assert [w for w, _ in nearest_tokens(TABLE, tok, "car", k=1)] == ["truck"]


def test_nearest_tokens_can_include_the_word_itself():
    result = nearest_tokens(TABLE, StubTokenizer(WORDS), "cat", k=1, exclude_self=False)
    assert result[0][0] == "cat" and result[0][1] == pytest.approx(1.0)


def test_word_of_several_tokens_is_the_average():
    tok = StubTokenizer(WORDS)
    vector, ids = word_vector(TABLE, tok, "red car")
    assert ids == [6, 4]
    torch.testing.assert_close(vector, (TABLE[6] + TABLE[4]) / 2)
    neighbours = [w for w, _ in nearest_tokens(TABLE, tok, "red car", k=5)]
    assert "red" not in neighbours and "car" not in neighbours  # its own pieces are left out
    assert neighbours[0] == "truck"


def test_nearest_tokens_with_a_hugging_face_tokenizer_skips_special_tokens():
    class HFStyle(StubTokenizer):
        def encode(self, text: str, add_special_tokens: bool = True) -> list[int]:
            ids = super().encode(text)
            return [0, *ids] if add_special_tokens else ids  # pretend 0 is a [CLS] token

    _, ids = word_vector(TABLE, HFStyle(WORDS), "dog")
    assert ids == [2]


def test_nearest_tokens_bad_inputs():
    tok = StubTokenizer(WORDS)
    with pytest.raises(ValueError, match="not in this tokenizer's vocabulary"):
        nearest_tokens(TABLE, tok, "zebra")
    with pytest.raises(ValueError, match="word is empty"):
        nearest_tokens(TABLE, tok, "   ")
    with pytest.raises(ValueError, match="word is empty"):
        nearest_tokens(TABLE, tok, "")
    with pytest.raises(ValueError, match="k must be"):
        nearest_tokens(TABLE, tok, "cat", k=0)
    with pytest.raises(ValueError, match="k must be"):
        nearest_tokens(TABLE, tok, "cat", k=7)  # only 6 other tokens exist
    with pytest.raises(ValueError, match="different models"):
        nearest_tokens(TABLE[:3], tok, "truck")
    with pytest.raises(ValueError, match=r"embedding_matrix must be shaped \[vocab_size, dim\]"):
        nearest_tokens(TABLE[0], tok, "cat")


def test_word_that_becomes_no_tokens():
    class Empty(StubTokenizer):
        def encode(self, text: str) -> list[int]:
            return []

    with pytest.raises(ValueError, match="no tokens"):
        word_vector(TABLE, Empty(WORDS), "cat")


# ---------------------------------------------------------------- projections


def _distances(points: torch.Tensor) -> torch.Tensor:
    return (points[:, None, :] - points[None, :, :]).norm(dim=-1)


def test_project_2d_recovers_a_plane_and_is_deterministic():
    gen = torch.Generator().manual_seed(0)
    plane = torch.randn(30, 2, generator=gen) * torch.tensor([5.0, 2.0])
    basis = torch.linalg.qr(torch.randn(10, 2, generator=gen)).Q.T  # 2 orthonormal rows in 10-D
    points = plane @ basis + 3.0  # a tilted, shifted 2-D sheet in 10-D space
    result = pca(points, 2)
    assert result.explained_variance_ratio.sum() == pytest.approx(1.0, abs=1e-5)
    assert result.explained_variance_ratio[0] > result.explained_variance_ratio[1]
    # Distances between points survive a projection of data that really is 2-D.
    coords = project_2d(points)
    torch.testing.assert_close(_distances(coords), _distances(points), atol=1e-3, rtol=1e-4)
    # Sign convention: each axis's largest coordinate is positive, so flipping the input's
    # axes gives the identical picture.
    for axis in range(2):
        column = coords[:, axis]
        assert column[column.abs().argmax()] > 0
    torch.testing.assert_close(project_2d(-points), coords)
    torch.testing.assert_close(project_2d(points), coords)


def test_pca_components_are_orthonormal():
    points = torch.randn(20, 8, generator=torch.Generator().manual_seed(3))
    comps = pca(points, 3).components
    torch.testing.assert_close(comps @ comps.T, torch.eye(3), atol=1e-5, rtol=0)


def test_project_2d_bad_inputs():
    with pytest.raises(ValueError, match="at least 2 vectors"):
        project_2d(torch.ones(1, 5))
    with pytest.raises(ValueError, match=r"vectors must be shaped \[n, dim\]"):
        project_2d(torch.ones(5))
    with pytest.raises(ValueError, match="n_components"):
        project_2d(torch.ones(5, 1))
    with pytest.raises(ValueError, match="n_components"):
        pca(torch.ones(5, 4), 0)


# ---------------------------------------------------------------- sentence embeddings


def test_mean_pool_skips_padding():
    tokens = torch.tensor([[[1.0, 1.0], [3.0, 5.0], [100.0, 100.0]]])
    mask = torch.tensor([[1, 1, 0]])
    torch.testing.assert_close(mean_pool(tokens, mask), torch.tensor([[2.0, 3.0]]))
    with pytest.raises(ValueError, match="attention_mask"):
        mean_pool(tokens, torch.ones(1, 2))


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return SentenceEncoder()


SENTENCES = [
    "The cat is sleeping on the sofa.",
    "A kitten naps on the couch.",
    "Interest rates rose again this quarter.",
    "The central bank raised the cost of borrowing.",
]


def test_sentence_encoder_matches_hand_computed_mean_pooling(encoder):
    got = encoder.encode(SENTENCES)
    assert got.shape == (4, 384) and encoder.dim == 384
    torch.testing.assert_close(got.norm(dim=-1), torch.ones(4))
    # The same thing by hand, one sentence at a time, so no padding is involved at all.
    for i, sentence in enumerate(SENTENCES):
        batch = encoder.tokenizer(sentence, return_tensors="pt")
        with torch.no_grad():
            hidden = encoder.model(**batch).last_hidden_state[0]  # [tokens, 384]
        by_hand = hidden.mean(dim=0)
        by_hand = by_hand / by_hand.norm()
        torch.testing.assert_close(got[i], by_hand, atol=1e-5, rtol=1e-4)
    # Batch size must not change the answer (padding is masked out).
    torch.testing.assert_close(encoder.encode(SENTENCES, batch_size=1), got, atol=1e-5, rtol=1e-4)


def test_sentence_embeddings_reflect_meaning(encoder):
    sims = cosine_similarity(encoder.encode(SENTENCES), encoder.encode(SENTENCES))
    assert sims[0, 1] > sims[0, 2] + 0.3 and sims[0, 1] > sims[0, 3] + 0.3
    assert sims[2, 3] > sims[2, 0] + 0.3 and sims[2, 3] > sims[2, 1] + 0.3


def test_semantic_search(encoder):
    hits = semantic_search("my pet cat is asleep", SENTENCES, encoder, k=2)
    assert {h.index for h in hits} == {0, 1}
    assert hits[0].sentence == SENTENCES[hits[0].index] and hits[0].score >= hits[1].score
    stored = encoder.encode(SENTENCES)
    again = semantic_search("monetary policy", SENTENCES, encoder, k=4, sentence_embeddings=stored)
    assert {h.index for h in again[:2]} == {2, 3}
    assert len(again) == 4


def test_sentence_encoder_bad_inputs(encoder):
    with pytest.raises(TypeError, match=r"wrap it as \[text\]"):
        encoder.encode("just one string")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="empty"):
        encoder.encode([])
    with pytest.raises(ValueError, match=r"sentences\[1\] is empty"):
        encoder.encode(["fine", "  "])
    with pytest.raises(TypeError, match=r"sentences\[1\] must be a string"):
        encoder.encode(["fine", 3])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="batch_size"):
        encoder.encode(["fine"], batch_size=0)
    with pytest.raises(ValueError, match="query"):
        semantic_search("", SENTENCES, encoder)
    with pytest.raises(ValueError, match="k must be"):
        semantic_search("cats", SENTENCES, encoder, k=5)
    with pytest.raises(ValueError, match="empty"):
        semantic_search("cats", [], encoder)
    with pytest.raises(ValueError, match="encoder.encode"):
        semantic_search("cats", SENTENCES, encoder, sentence_embeddings=torch.zeros(3, 384))
