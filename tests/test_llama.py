"""Tests of the Llama from scratch (gentle_llm.llama): SmolLM2 exactness, KV cache, counting."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from transformers import GPT2Config, GPT2LMHeadModel, LlamaForCausalLM
from transformers import LlamaConfig as HFLlamaConfig

from gentle_llm.generate import SamplingConfig, generate
from gentle_llm.llama import KVCache, Llama, LlamaConfig, llama_from_hf, parameter_count

TINY = LlamaConfig(
    vocab_size=97,
    block_size=32,
    n_layer=2,
    n_head=4,
    n_kv_head=2,
    n_embd=32,
    intermediate_size=48,
    rope_theta=10000.0,
)
PROMPT = "Gravity is the force that"


def _greedy_with_cache(model: Llama, prompt: list[int], n: int) -> list[int]:
    """Greedy decoding that feeds the prompt once, then one new token per step."""
    cache = KVCache(model.config.n_layer)
    pending, out = prompt, []
    with torch.inference_mode():
        for _ in range(n):
            logits, _ = model(torch.tensor([pending]), kv_cache=cache)
            pending = [int(logits[0, -1].argmax())]
            out.extend(pending)
    return out


@pytest.fixture(scope="module")
def ours(smollm2: tuple[Any, Any]) -> Llama:
    return Llama.from_hf(smollm2[0])


@pytest.fixture(scope="module")
def prompt_ids(smollm2: tuple[Any, Any]) -> list[int]:
    tokenizer = smollm2[1]
    chat = [{"role": "user", "content": "Explain in two sentences why the sky is blue."}]
    text = tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
    return tokenizer(text)["input_ids"]


def test_smollm2_logits_match_transformers(smollm2: tuple[Any, Any], ours: Llama, prompt_ids):
    hf = smollm2[0]
    ids = torch.tensor([prompt_ids])
    with torch.inference_mode():
        theirs = hf(ids).logits
        mine, loss = ours(ids)
    assert loss is None
    assert mine.shape == theirs.shape == (1, len(prompt_ids), hf.config.vocab_size)
    assert (mine - theirs).abs().max().item() <= 1e-4


def test_smollm2_greedy_matches_transformers_with_and_without_cache(
    smollm2: tuple[Any, Any], ours: Llama, prompt_ids: list[int]
) -> None:
    hf, n = smollm2[0], 20
    ids = torch.tensor([prompt_ids])
    with torch.inference_mode():
        out = hf.generate(
            ids, attention_mask=torch.ones_like(ids), do_sample=False, max_new_tokens=n
        )
    theirs = out[0, len(prompt_ids) :].tolist()
    assert len(theirs) == n  # no end-of-text inside the first 20 tokens of this answer
    cached = _greedy_with_cache(ours, prompt_ids, n)
    greedy = SamplingConfig(max_new_tokens=n, temperature=0)
    uncached = generate(ours, prompt_ids, greedy, use_cache=False)
    assert cached == theirs
    assert uncached == theirs
    assert generate(ours, prompt_ids, greedy) == theirs  # gentle_llm.generate with our cache


def test_parameter_count_matches_loaded_and_transformers(smollm2: tuple[Any, Any], ours: Llama):
    hf = smollm2[0]
    expected = sum(p.numel() for p in hf.parameters())
    assert parameter_count(ours.config) == ours.num_parameters() == expected
    assert ours.config.n_head == 9 and ours.config.n_kv_head == 3 and ours.config.tie_embeddings


def _random_hf_llama(tie: bool) -> LlamaForCausalLM:
    """A random tiny transformers Llama, built offline, with weights big enough to matter."""
    torch.manual_seed(0)
    config = HFLlamaConfig(
        vocab_size=TINY.vocab_size,
        hidden_size=TINY.n_embd,
        intermediate_size=TINY.intermediate_size,
        num_hidden_layers=TINY.n_layer,
        num_attention_heads=TINY.n_head,
        num_key_value_heads=TINY.n_kv_head,
        max_position_embeddings=TINY.block_size,
        tie_word_embeddings=tie,
        bos_token_id=None,
        eos_token_id=None,
        pad_token_id=None,
    )
    model = LlamaForCausalLM(config).eval()
    with torch.no_grad():
        for param in model.parameters():
            param.add_(0.2 * torch.randn_like(param))
    return model


@pytest.mark.parametrize("tie", [True, False])
def test_tiny_random_llama_matches_transformers(tie: bool) -> None:
    hf = _random_hf_llama(tie)
    ours = llama_from_hf(hf)
    assert ours.config.tie_embeddings is tie
    assert parameter_count(ours.config) == ours.num_parameters()
    assert ours.num_parameters() == sum(p.numel() for p in hf.parameters())
    ids = torch.randint(0, TINY.vocab_size, (2, 20), generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        theirs = hf(ids).logits
        mine, _ = ours(ids)
    torch.testing.assert_close(mine, theirs, atol=1e-5, rtol=1e-5)


def test_tiny_kv_cache_equals_full_forward() -> None:
    torch.manual_seed(0)
    model = Llama(TINY).eval()
    ids = torch.randint(0, TINY.vocab_size, (2, 24), generator=torch.Generator().manual_seed(2))
    with torch.inference_mode():
        full, _ = model(ids)
        cache = KVCache(TINY.n_layer)
        # A prompt of 10, single tokens, then a chunk of 4 (the masked path), then the rest.
        pieces = [ids[:, :10], ids[:, 10:11], ids[:, 11:12], ids[:, 12:16], ids[:, 16:]]
        stepped = torch.cat([model(piece, kv_cache=cache)[0] for piece in pieces], dim=1)
    assert len(cache) == 24
    torch.testing.assert_close(stepped, full, atol=1e-5, rtol=1e-5)
    prompt = ids[0, :5].tolist()
    sampling = SamplingConfig(max_new_tokens=12, temperature=0)
    assert _greedy_with_cache(model, prompt, 12) == generate(model, prompt, sampling)


def test_tiny_loss_is_cross_entropy() -> None:
    torch.manual_seed(0)
    model = Llama(TINY)
    ids = torch.randint(0, TINY.vocab_size, (2, 8))
    targets = ids.roll(-1, dims=1)
    targets[:, -1] = -100  # the last position has no next token: ignored
    logits, loss = model(ids, targets)
    manual = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, 97), ids[:, 1:].flatten())
    assert loss is not None
    torch.testing.assert_close(loss, manual)
    loss.backward()
    assert model.blocks[0].attn.q_proj.weight.grad is not None


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"n_head": 4, "n_kv_head": 3}, "multiple of n_kv_head"),
        ({"n_embd": 36, "n_head": 4, "n_kv_head": 2}, "must be even"),
        ({"n_embd": 30, "n_head": 4, "n_kv_head": 2}, "divisible by n_head"),
        ({"n_kv_head": 0}, "n_kv_head must be a whole number"),
        ({"rms_norm_eps": 0.0}, "rms_norm_eps"),
    ],
)
def test_bad_configs_are_refused(changes: dict[str, Any], match: str) -> None:
    settings = {**TINY.__dict__, **changes}
    with pytest.raises(ValueError, match=match):
        LlamaConfig(**settings)


def test_bad_inputs_are_refused() -> None:
    model = Llama(TINY).eval()
    with pytest.raises(ValueError, match="context is 32 tokens but got 33"):
        model(torch.zeros(1, 33, dtype=torch.long))
    cache = KVCache(TINY.n_layer)
    model(torch.zeros(1, 30, dtype=torch.long), kv_cache=cache)
    with pytest.raises(ValueError, match=r"\(30 cached \+ 3 new\)"):
        model(torch.zeros(1, 3, dtype=torch.long), kv_cache=cache)
    with pytest.raises(ValueError, match="KVCache\\(model.config.n_layer\\)"):
        model(torch.zeros(1, 3, dtype=torch.long), kv_cache=KVCache(5))
    with pytest.raises(ValueError, match=r"\[batch, time\]"):
        model(torch.zeros(5, dtype=torch.long))
    with pytest.raises(TypeError, match="LlamaForCausalLM"):
        Llama.from_hf(object())
    gpt2 = GPT2LMHeadModel(GPT2Config(n_layer=1, n_head=2, n_embd=8, vocab_size=10))
    with pytest.raises(ValueError, match="model_type 'llama'"):
        Llama.from_hf(gpt2)
