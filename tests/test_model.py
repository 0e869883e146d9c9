"""Tests of the tiny GPT (gentle_llm.model): shapes, counting, KV cache, GPT-2 exactness."""

from __future__ import annotations

import math

import pytest
import torch
from transformers import GPT2Config, GPT2LMHeadModel

from gentle_llm.gpt2_weights import gpt_from_hf_gpt2, to_hf_gpt2, to_hf_gpt2_state_dict
from gentle_llm.model import GPT, GPTConfig, KVCache

SMALL = GPTConfig(vocab_size=50, block_size=16, n_layer=2, n_head=2, n_embd=32)


def _hf_gpt2(activation: str = "gelu_new") -> GPT2LMHeadModel:
    """A random small GPT-2 built offline, with weights big enough that mistakes show."""
    torch.manual_seed(0)
    config = GPT2Config(
        n_layer=2,
        n_head=2,
        n_embd=32,
        vocab_size=100,
        n_positions=16,
        activation_function=activation,
        bos_token_id=None,
        eos_token_id=None,
    )
    model = GPT2LMHeadModel(config).eval()
    with torch.no_grad():
        for param in model.parameters():
            param.add_(0.3 * torch.randn_like(param))
    return model


def _tokens(vocab: int = 100, shape: tuple[int, int] = (3, 16)) -> torch.Tensor:
    return torch.randint(0, vocab, shape, generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize("activation", ["gelu_new", "gelu"])
def test_loads_hf_gpt2_with_same_logits(activation: str) -> None:
    hf = _hf_gpt2(activation)
    ours = gpt_from_hf_gpt2(hf).eval()
    idx = _tokens()
    with torch.no_grad():
        expected = hf(idx).logits
        logits, loss = ours(idx)
    assert loss is None
    assert logits.shape == (3, 16, 100)
    assert (logits - expected).abs().max().item() <= 1e-5


def test_loads_bare_hf_state_dict_given_heads() -> None:
    hf = _hf_gpt2()
    ours = gpt_from_hf_gpt2(hf.state_dict(), n_head=2).eval()
    idx = _tokens()
    with torch.no_grad():
        assert (ours(idx)[0] - hf(idx).logits).abs().max().item() <= 1e-5


def test_round_trip_to_hf_state_dict_gives_same_logits() -> None:
    torch.manual_seed(0)
    ours = GPT(GPTConfig(vocab_size=100, block_size=16, n_layer=2, n_head=2, n_embd=32)).eval()
    with torch.no_grad():
        for param in ours.parameters():
            param.add_(0.3 * torch.randn_like(param))
    fresh = GPT2LMHeadModel(
        GPT2Config(
            n_layer=2,
            n_head=2,
            n_embd=32,
            vocab_size=100,
            n_positions=16,
            bos_token_id=None,
            eos_token_id=None,
        )
    ).eval()
    missing, unexpected = fresh.load_state_dict(to_hf_gpt2_state_dict(ours), strict=False)
    assert not unexpected
    assert all(".attn.bias" in key or "masked_bias" in key for key in missing)
    idx = _tokens()
    with torch.no_grad():
        expected = ours(idx)[0]
        assert (fresh(idx).logits - expected).abs().max().item() <= 1e-5
        assert (to_hf_gpt2(ours)(idx).logits - expected).abs().max().item() <= 1e-5
        back = gpt_from_hf_gpt2(to_hf_gpt2_state_dict(ours), n_head=2).eval()
        assert torch.equal(back(idx)[0], expected)


def test_bare_state_dict_without_heads_is_refused() -> None:
    with pytest.raises(ValueError, match="n_head"):
        gpt_from_hf_gpt2(_hf_gpt2().state_dict())


def test_unsupported_gpt2_variant_is_refused() -> None:
    hf = _hf_gpt2()
    hf.config.activation_function = "relu"
    with pytest.raises(ValueError, match="activation_function"):
        gpt_from_hf_gpt2(hf)


def test_untied_lm_head_is_refused() -> None:
    state = _hf_gpt2().state_dict()
    state["lm_head.weight"] = state["lm_head.weight"] + 1.0
    with pytest.raises(ValueError, match="tie_word_embeddings"):
        gpt_from_hf_gpt2(state, n_head=2)


def test_not_a_gpt2_state_dict_is_refused() -> None:
    with pytest.raises(ValueError, match="GPT-2 state dict"):
        gpt_from_hf_gpt2({"foo.weight": torch.zeros(2, 2)}, n_head=1)


def test_forward_shapes_and_initial_loss() -> None:
    torch.manual_seed(0)
    model = GPT(SMALL)
    idx = torch.randint(0, SMALL.vocab_size, (4, SMALL.block_size))
    targets = torch.randint(0, SMALL.vocab_size, (4, SMALL.block_size))
    logits, loss = model(idx, targets)
    assert logits.shape == (4, SMALL.block_size, SMALL.vocab_size)
    assert loss is not None and loss.dim() == 0
    # Small initial weights give near-uniform predictions: loss close to ln(vocab).
    assert abs(loss.item() - math.log(SMALL.vocab_size)) < 0.1
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())


def test_targets_of_minus_100_are_ignored() -> None:
    torch.manual_seed(0)
    model = GPT(SMALL)
    idx = torch.randint(0, SMALL.vocab_size, (1, 8))
    targets = idx.clone()
    targets[0, :4] = -100
    logits, loss = model(idx, targets)
    expected = torch.nn.functional.cross_entropy(logits[0, 4:], idx[0, 4:])
    assert torch.allclose(loss, expected)


def test_weights_are_tied_and_counted_once() -> None:
    model = GPT(SMALL)
    assert model.lm_head.weight is model.tok_emb.weight
    counts = model.parameter_counts()
    c = SMALL
    assert counts["token_embedding"] == c.vocab_size * c.n_embd
    assert counts["position_embedding"] == c.block_size * c.n_embd
    assert counts["attention"] == c.n_layer * (4 * c.n_embd * c.n_embd + 4 * c.n_embd)
    assert counts["mlp"] == c.n_layer * (8 * c.n_embd * c.n_embd + 5 * c.n_embd)
    assert counts["layer_norms"] == (2 * c.n_layer + 1) * 2 * c.n_embd
    assert counts["lm_head"] == 0
    parts = sum(v for k, v in counts.items() if k != "total")
    assert counts["total"] == parts == model.num_parameters()


def test_gpt2_style_initialisation() -> None:
    torch.manual_seed(0)
    config = GPTConfig(n_layer=8, n_embd=256, n_head=4)
    model = GPT(config)
    assert abs(model.blocks[0].mlp.fc.weight.std().item() - 0.02) < 0.002
    residual = 0.02 / math.sqrt(2 * config.n_layer)
    assert abs(model.blocks[0].mlp.proj.weight.std().item() - residual) < 0.001
    assert abs(model.blocks[0].attn.proj.weight.std().item() - residual) < 0.001
    assert torch.count_nonzero(model.blocks[0].attn.qkv.bias) == 0
    assert torch.all(model.ln_f.weight == 1)


def test_input_longer_than_context_is_refused_clearly() -> None:
    model = GPT(SMALL)
    idx = torch.zeros(1, SMALL.block_size + 1, dtype=torch.long)
    with pytest.raises(ValueError, match="context is 16 tokens"):
        model(idx)


def test_one_dimensional_input_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="unsqueeze"):
        GPT(SMALL)(torch.zeros(5, dtype=torch.long))


def test_bad_config_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="divisible by n_head"):
        GPTConfig(n_embd=30, n_head=4)
    with pytest.raises(ValueError, match="vocab_size"):
        GPTConfig(vocab_size=0)
    with pytest.raises(ValueError, match="gelu_approximate"):
        GPTConfig(gelu_approximate="fast")


def test_kv_cache_gives_the_same_logits_as_full_forward() -> None:
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=50, block_size=40, n_layer=2, n_head=2, n_embd=32)).eval()
    idx = torch.randint(0, 50, (2, 40))
    with torch.no_grad():
        full, _ = model(idx)
        cache = KVCache(2)
        # A prefill of 5 tokens, a chunk of 3 (needs the offset mask), then one at a time;
        # 40 tokens make the cache's storage grow twice (16 -> 32 -> 64 slots).
        pieces = [model(idx[:, :5], kv_cache=cache)[0], model(idx[:, 5:8], kv_cache=cache)[0]]
        pieces += [model(idx[:, t : t + 1], kv_cache=cache)[0] for t in range(8, 40)]
    assert len(cache) == 40
    assert torch.allclose(torch.cat(pieces, dim=1), full, atol=1e-5)


def test_kv_cache_refuses_to_overflow_and_wrong_depth() -> None:
    model = GPT(SMALL).eval()
    cache = KVCache(SMALL.n_layer)
    with torch.no_grad():
        model(torch.zeros(1, SMALL.block_size, dtype=torch.long), kv_cache=cache)
        with pytest.raises(ValueError, match="16 cached"):
            model(torch.zeros(1, 1, dtype=torch.long), kv_cache=cache)
        with pytest.raises(ValueError, match="KVCache"):
            model(torch.zeros(1, 1, dtype=torch.long), kv_cache=KVCache(5))
    cache.reset()
    assert len(cache) == 0
