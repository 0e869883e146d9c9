"""Tests of gentle_llm.attention (Chapter 4): attention by hand, real maps, head scores.

The real SmolLM2 is not loaded here: a tiny randomly initialised Llama of the same family
(built from a config, no download) exercises the same code paths in well under a second. The
lab notebook runs the real model under nbval.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from gentle_llm.attention import (
    MultiHeadAttention,
    attention_maps,
    attention_maps_for_ids,
    cached_causal_mask,
    causal_mask,
    eager_attention,
    induction_scores,
    induction_scores_from_maps,
    previous_token_scores,
    repeated_random_tokens,
    scaled_dot_product_attention,
    top_heads,
)

# ---------------------------------------------------------------- attention by hand


def _qkv(*shape: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return tuple(torch.randn(*shape, generator=g) for _ in range(3))  # type: ignore[return-value]


@pytest.mark.parametrize("causal", [False, True])
def test_manual_attention_matches_torch_sdpa(causal: bool) -> None:
    q, k, v = _qkv(2, 3, 5, 8)
    ours, weights = scaled_dot_product_attention(q, k, v, causal=causal)
    ref = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    torch.testing.assert_close(ours, ref, atol=1e-5, rtol=1e-5)
    assert weights.shape == (2, 3, 5, 5)


def test_cached_causal_mask_lets_each_new_query_see_the_cache_and_itself() -> None:
    """The mask the GPT and the Llama pass to torch's fused attention (one home, Chapter 7)."""
    assert cached_causal_mask(0, 5) == (None, True)  # no cache: the kernel builds it
    assert cached_causal_mask(3, 1) == (None, False)  # one new token sees every key
    assert cached_causal_mask(0, 1) == (None, False)
    mask, is_causal = cached_causal_mask(2, 3)
    assert not is_causal
    assert mask.tolist() == [
        [True, True, True, False, False],
        [True, True, True, True, False],
        [True, True, True, True, True],
    ]
    # Query i of the new ones attends like row past + i of the full causal mask.
    torch.testing.assert_close(mask, causal_mask(5)[2:])
    q, k, v = _qkv(1, 2, 5, 4, seed=3)
    full = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    shifted = F.scaled_dot_product_attention(q[:, :, 2:], k, v, attn_mask=mask)
    torch.testing.assert_close(shifted, full[:, :, 2:])


def test_manual_attention_with_mask_and_scale_matches_torch() -> None:
    q, k, v = _qkv(4, 6, seed=1)
    k, v = k[:3], v[:3]  # 4 queries, 3 keys: cross-attention shapes
    mask = torch.tensor([[1, 0, 1], [1, 1, 1], [0, 1, 0], [1, 1, 0]], dtype=torch.bool)
    ours, _ = scaled_dot_product_attention(q, k, v, mask=mask, scale=0.3)
    ref = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=0.3)
    torch.testing.assert_close(ours, ref, atol=1e-5, rtol=1e-5)


def test_weights_rows_sum_to_one_and_causal_zeros_above_diagonal() -> None:
    q, k, v = _qkv(3, 7, 4, seed=2)
    _, weights = scaled_dot_product_attention(q, k, v, causal=True)
    torch.testing.assert_close(weights.sum(-1), torch.ones(3, 7))
    assert torch.all(weights.triu(diagonal=1) == 0)
    assert torch.all(weights >= 0)
    # The first token can only look at itself.
    assert torch.all(weights[:, 0, 0] == 1)


def test_output_is_weighted_average_of_values_by_hand() -> None:
    # Two keys; the query matches the first far better, so the output leans to the first value.
    q = torch.tensor([[2.0, 0.0]])
    k = torch.tensor([[2.0, 0.0], [0.0, 2.0]])
    v = torch.tensor([[10.0, 0.0], [0.0, 10.0]])
    out, weights = scaled_dot_product_attention(q, k, v)
    scores = torch.tensor([4.0, 0.0]) / 2**0.5
    expected = torch.softmax(scores, dim=0)
    torch.testing.assert_close(weights[0], expected)
    torch.testing.assert_close(out[0], expected * 10)


def test_causal_mask() -> None:
    expected = torch.tensor([[1, 0, 0], [1, 1, 0], [1, 1, 1]], dtype=torch.bool)
    assert torch.equal(causal_mask(3), expected)
    assert causal_mask(1).tolist() == [[True]]


@pytest.mark.parametrize("bad", [0, -2, 2.5, True, "3"])
def test_causal_mask_rejects_bad_sizes(bad: object) -> None:
    with pytest.raises(ValueError, match=r"T \(the number of tokens\) must be a whole number >= 1"):
        causal_mask(bad)  # type: ignore[arg-type]


def test_attention_input_errors_say_what_to_do() -> None:
    q, k, v = _qkv(4, 8)
    with pytest.raises(ValueError, match="same width"):
        scaled_dot_product_attention(q, k[:, :6], v)
    with pytest.raises(ValueError, match="every key needs its value"):
        scaled_dot_product_attention(q, k, v[:3])
    with pytest.raises(ValueError, match="causal=True needs as many queries as keys"):
        scaled_dot_product_attention(q[:2], k, v, causal=True)
    with pytest.raises(TypeError, match="boolean"):
        scaled_dot_product_attention(q, k, v, mask=torch.ones(4, 4))
    with pytest.raises(TypeError, match="floats"):
        scaled_dot_product_attention(q.long(), k, v)
    with pytest.raises(TypeError, match="torch.tensor"):
        scaled_dot_product_attention([[1.0]], k, v)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        scaled_dot_product_attention(q[0], k, v)


# ---------------------------------------------------------------- multi-head attention


def _reference_mha(mha: MultiHeadAttention, x: torch.Tensor, causal: bool) -> torch.Tensor:
    """The same computation through torch's fused kernel, heads handled by hand."""
    batch, seq, _ = x.shape
    hd = mha.head_dim

    def split(t: torch.Tensor, heads: int) -> torch.Tensor:
        return t.view(batch, seq, heads, hd).transpose(1, 2)

    q = split(mha.q_proj(x), mha.n_heads)
    k = split(mha.k_proj(x), mha.n_kv_heads)
    v = split(mha.v_proj(x), mha.n_kv_heads)
    group = mha.n_heads // mha.n_kv_heads
    k, v = k.repeat_interleave(group, 1), v.repeat_interleave(group, 1)
    y = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    return mha.o_proj(y.transpose(1, 2).reshape(batch, seq, -1))


@pytest.mark.parametrize("n_kv_heads", [None, 2, 1])
@pytest.mark.parametrize("causal", [False, True])
def test_multi_head_attention_matches_reference(n_kv_heads: int | None, causal: bool) -> None:
    torch.manual_seed(0)
    mha = MultiHeadAttention(d_model=24, n_heads=4, n_kv_heads=n_kv_heads)
    x = torch.randn(2, 5, 24)
    out, weights = mha(x, causal=causal)
    assert out.shape == x.shape
    assert weights.shape == (2, 4, 5, 5)
    torch.testing.assert_close(out, _reference_mha(mha, x, causal), atol=1e-5, rtol=1e-5)


def test_grouped_query_heads_share_keys_and_values() -> None:
    torch.manual_seed(0)
    gqa = MultiHeadAttention(d_model=12, n_heads=6, n_kv_heads=2)
    assert gqa.k_proj.out_features == 2 * gqa.head_dim  # a third of the key width of full MHA
    # The same weights spelled out as full multi-head attention give the same output.
    full = MultiHeadAttention(d_model=12, n_heads=6)
    with torch.no_grad():
        full.q_proj.weight.copy_(gqa.q_proj.weight)
        full.o_proj.weight.copy_(gqa.o_proj.weight)
        for src, dst in ((gqa.k_proj, full.k_proj), (gqa.v_proj, full.v_proj)):
            heads = src.weight.view(2, gqa.head_dim, 12).repeat_interleave(3, dim=0)
            dst.weight.copy_(heads.reshape(12, 12))
    x = torch.randn(1, 4, 12)
    torch.testing.assert_close(gqa(x)[0], full(x)[0], atol=1e-5, rtol=1e-5)


def test_causal_multi_head_attention_does_not_peek_at_the_future() -> None:
    torch.manual_seed(0)
    mha = MultiHeadAttention(d_model=16, n_heads=2)
    x = torch.randn(1, 6, 16)
    changed = x.clone()
    changed[:, -1] += 5.0  # change only the last token
    before, _ = mha(x)
    after, _ = mha(changed)
    torch.testing.assert_close(before[:, :-1], after[:, :-1])
    assert not torch.allclose(before[:, -1], after[:, -1])


def test_multi_head_attention_errors() -> None:
    with pytest.raises(ValueError, match="divisible by n_heads"):
        MultiHeadAttention(d_model=10, n_heads=3)
    with pytest.raises(ValueError, match="multiple of n_kv_heads"):
        MultiHeadAttention(d_model=12, n_heads=6, n_kv_heads=4)
    with pytest.raises(ValueError, match="n_heads must be a whole number >= 1"):
        MultiHeadAttention(d_model=12, n_heads=0)
    mha = MultiHeadAttention(d_model=8, n_heads=2)
    with pytest.raises(ValueError, match="unsqueeze"):
        mha(torch.randn(5, 8))
    with pytest.raises(ValueError, match=r"\[batch, tokens, 8\]"):
        mha(torch.randn(1, 5, 7))


# ---------------------------------------------------------------- head scores on hand-made maps


def _previous_token_map(T: int) -> torch.Tensor:
    """Each token looks only at the token before it (the first token at itself)."""
    m = torch.zeros(T, T)
    m[0, 0] = 1.0
    m[torch.arange(1, T), torch.arange(0, T - 1)] = 1.0
    return m


def _uniform_causal_map(T: int) -> torch.Tensor:
    m = causal_mask(T).float()
    return m / m.sum(-1, keepdim=True)


def test_previous_token_scores_on_hand_made_maps() -> None:
    T = 6
    maps = torch.stack(
        [
            torch.stack([_previous_token_map(T), torch.eye(T)]),
            torch.stack([_uniform_causal_map(T), _previous_token_map(T)]),
        ]
    )  # [layers=2, heads=2, T, T]
    scores = previous_token_scores(maps)
    assert scores.shape == (2, 2)
    assert scores[0, 0].item() == pytest.approx(1.0)
    assert scores[0, 1].item() == pytest.approx(0.0)
    # Uniform attention: row i gives 1/(i+1) to the previous token.
    expected = sum(1 / (i + 1) for i in range(1, T)) / (T - 1)
    assert scores[1, 0].item() == pytest.approx(expected)
    assert scores[1, 1].item() == pytest.approx(1.0)


def test_previous_token_scores_errors() -> None:
    with pytest.raises(ValueError, match="two equal token axes"):
        previous_token_scores(torch.zeros(2, 3, 4))
    with pytest.raises(ValueError, match="at least 2"):
        previous_token_scores(torch.ones(1, 1, 1, 1))
    with pytest.raises(TypeError):
        previous_token_scores([[0.0]])  # type: ignore[arg-type]


def _induction_map(seq_len: int, offset: int, n_repeats: int) -> torch.Tensor:
    """A perfect induction head: in later copies, look at the token after the last match."""
    T = offset + seq_len * n_repeats
    m = torch.eye(T)
    for i in range(offset + seq_len, T):
        m[i] = 0.0
        m[i, i - seq_len + 1] = 1.0
    return m


@pytest.mark.parametrize("offset", [0, 1])
@pytest.mark.parametrize("n_repeats", [2, 3])
def test_induction_scores_on_hand_made_stack(offset: int, n_repeats: int) -> None:
    seq_len = 4
    T = offset + seq_len * n_repeats
    maps = torch.stack(
        [
            torch.stack([_induction_map(seq_len, offset, n_repeats), _previous_token_map(T)]),
            torch.stack([torch.eye(T), _uniform_causal_map(T)]),
        ]
    )
    scores = induction_scores_from_maps(maps, seq_len, offset=offset)
    assert scores.shape == (2, 2)
    assert scores[0, 0].item() == pytest.approx(1.0)
    assert scores[0, 1].item() == pytest.approx(0.0)  # looks one step back, not L-1 steps back
    assert scores[1, 0].item() == pytest.approx(0.0)
    rows = range(offset + seq_len, T)
    assert scores[1, 1].item() == pytest.approx(sum(1 / (i + 1) for i in rows) / len(rows))
    # A batch of identical stacks averages to the same scores.
    batched = induction_scores_from_maps(maps.expand(3, -1, -1, -1, -1), seq_len, offset)
    torch.testing.assert_close(batched, scores)


def test_induction_scores_errors() -> None:
    maps = torch.stack([torch.stack([torch.eye(6)])])
    with pytest.raises(ValueError, match="at least 8"):
        induction_scores_from_maps(maps, seq_len=4)
    with pytest.raises(ValueError, match="seq_len"):
        induction_scores_from_maps(maps, seq_len=1)
    with pytest.raises(ValueError, match="offset"):
        induction_scores_from_maps(maps, seq_len=2, offset=-1)
    with pytest.raises(ValueError, match=r"\[layers, heads, T, T\]"):
        induction_scores_from_maps(torch.eye(6), seq_len=2)


def test_repeated_random_tokens() -> None:
    ids = repeated_random_tokens(5, 3, seed=7, vocab_size=50, batch=2, low=10)
    assert ids.shape == (2, 15)
    assert torch.equal(ids[:, :5], ids[:, 5:10]) and torch.equal(ids[:, :5], ids[:, 10:])
    assert ids.min() >= 10 and ids.max() < 50
    assert torch.equal(ids, repeated_random_tokens(5, 3, seed=7, vocab_size=50, batch=2, low=10))
    assert not torch.equal(ids, repeated_random_tokens(5, 3, seed=8, vocab_size=50, batch=2))
    with pytest.raises(ValueError, match="n_repeats"):
        repeated_random_tokens(5, 1, vocab_size=50)
    with pytest.raises(ValueError, match="low"):
        repeated_random_tokens(5, 2, vocab_size=50, low=50)


def test_top_heads() -> None:
    scores = torch.tensor([[0.1, 0.9, 0.2], [0.8, 0.05, 0.3]])
    assert top_heads(scores, 2) == [(0, 1, 0.9), (1, 0, 0.8)]
    assert len(top_heads(scores, 99)) == 6
    with pytest.raises(ValueError, match=r"\[layers, heads\]"):
        top_heads(torch.zeros(3))
    with pytest.raises(ValueError, match="k must be a whole number >= 1"):
        top_heads(scores, 0)


# ---------------------------------------------------------------- a tiny real transformers model


@pytest.fixture(scope="module")
def tiny_llama():
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=64,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=128,
        bos_token_id=1,
        eos_token_id=2,
        pad_token_id=0,
        attn_implementation="sdpa",
    )
    return LlamaForCausalLM(config).eval()


class _LetterTokenizer:
    """One token per lower-case letter or space, enough to drive attention_maps."""

    alphabet = " abcdefghijklmnopqrstuvwxyz"

    def __call__(self, text: str, return_tensors: str = "pt") -> dict[str, torch.Tensor]:
        return {"input_ids": torch.tensor([[3 + self.alphabet.index(c) for c in text]])}

    def decode(self, ids: list[int]) -> str:
        return "".join(self.alphabet[i - 3] for i in ids)


def test_attention_maps_from_a_transformers_model(tiny_llama) -> None:
    tokens, maps = attention_maps(tiny_llama, _LetterTokenizer(), "a cat")
    assert tokens == ["a", " ", "c", "a", "t"]
    assert maps.shape == (2, 4, 5, 5)
    assert maps.dtype == torch.float32
    torch.testing.assert_close(maps.sum(-1), torch.ones(2, 4, 5))
    assert torch.all(maps.triu(diagonal=1) == 0)
    # The fast attention implementation is back afterwards.
    assert tiny_llama.config._attn_implementation == "sdpa"


def test_eager_attention_restores_setting_after_an_error(tiny_llama) -> None:
    with pytest.raises(RuntimeError, match="boom"), eager_attention(tiny_llama):
        assert tiny_llama.config._attn_implementation == "eager"
        raise RuntimeError("boom")
    assert tiny_llama.config._attn_implementation == "sdpa"
    with pytest.raises(TypeError, match="transformers model"):
        with eager_attention(object()):
            pass


def test_attention_maps_input_errors(tiny_llama) -> None:
    with pytest.raises(ValueError, match="text is empty"):
        attention_maps(tiny_llama, _LetterTokenizer(), "   ")
    with pytest.raises(TypeError, match="string"):
        attention_maps(tiny_llama, _LetterTokenizer(), 42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="longer than the model's context of 128"):
        attention_maps_for_ids(tiny_llama, torch.zeros(200, dtype=torch.long))
    with pytest.raises(ValueError, match="empty"):
        attention_maps_for_ids(tiny_llama, torch.zeros(0, dtype=torch.long))


def test_induction_scores_on_a_tiny_model(tiny_llama) -> None:
    scores, maps = induction_scores(
        tiny_llama, seq_len=6, n_repeats=2, seed=0, batch=2, return_maps=True
    )
    assert scores.shape == (2, 4)
    assert maps.shape == (2, 2, 4, 13, 13)  # batch, layers, heads, 1 start token + 12
    assert torch.all((scores >= 0) & (scores <= 1))
    torch.testing.assert_close(scores, induction_scores_from_maps(maps, 6, offset=1))
    again = induction_scores(tiny_llama, seq_len=6, n_repeats=2, seed=0, batch=2)
    torch.testing.assert_close(scores, again)
