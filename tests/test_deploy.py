"""gentle_llm.deploy: weight and key/value cache memory, checked against real tensors."""

from __future__ import annotations

import pytest
import torch

from gentle_llm.deploy import (
    DEVICES,
    PUBLISHED,
    ModelShape,
    kv_bytes_per_token,
    kv_cache_bytes,
    memory_table,
    shape_of,
    total_bytes,
    weight_bytes,
)
from gentle_llm.llama import Llama, LlamaConfig
from gentle_llm.model import GPT, GPTConfig, KVCache
from gentle_llm.quantize import quantize


def _cache_bytes(cache: KVCache) -> int:
    n = len(cache)
    return sum(
        k[:, :, :n].nbytes + v[:, :, :n].nbytes
        for k, v in zip(cache._keys, cache._values, strict=True)
    )


def test_published_parameter_counts():
    # Counts of the released checkpoints (Hugging Face model pages; Lab 5 derives the first two).
    assert PUBLISHED["Llama 2 7B"].parameters == 6_738_415_616
    assert PUBLISHED["Llama 3 8B"].parameters == 8_030_261_248
    assert PUBLISHED["Llama 2 70B"].parameters == 68_976_648_192
    assert PUBLISHED["Llama 3.1 405B"].parameters == 405_853_388_800
    assert all(s.source for s in PUBLISHED.values())


def test_weight_bytes_per_precision():
    n = 1_000_000
    assert weight_bytes(n, "fp32") == 4 * n
    assert weight_bytes(n, "fp16") == weight_bytes(n, "bf16") == 2 * n
    # int formats: the integer plus a 2-byte scale per 32 weights, as quantize() stores them.
    w = torch.randn(64, 128)
    assert weight_bytes(w.numel(), "int8") == quantize(w, 8, 32).nbytes
    assert weight_bytes(w.numel(), "int4") == quantize(w, 4, 32).nbytes
    with pytest.raises(ValueError, match="precision must be one of"):
        weight_bytes(n, "int3")


def test_kv_cache_matches_the_tensors_a_cache_stores():
    torch.manual_seed(0)
    llama = Llama(LlamaConfig(vocab_size=50, block_size=32, n_layer=3, n_head=4, n_kv_head=2,
                              n_embd=32, intermediate_size=64)).eval()  # fmt: skip
    gpt = GPT(GPTConfig(vocab_size=50, block_size=32, n_layer=2, n_head=4, n_embd=32)).eval()
    for model, name in [(llama, "tiny Llama"), (gpt, "tiny GPT")]:
        shape = shape_of(model, name)
        cache = KVCache(model.config.n_layer)
        with torch.no_grad():
            model(torch.arange(7)[None], kv_cache=cache)
        assert _cache_bytes(cache) == kv_cache_bytes(shape, 7, bytes_per_number=4)
        assert shape.parameters == sum(p.numel() for p in model.parameters())
    assert shape_of(llama, "x").kv_heads == 2  # grouped-query attention: half the cache
    assert kv_bytes_per_token(shape_of(llama, "x"), 4) == 2 * 3 * 2 * 8 * 4


def test_shape_of_a_transformers_model():
    transformers = pytest.importorskip("transformers")
    config = transformers.LlamaConfig(
        vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=1, max_position_embeddings=128,
    )  # fmt: skip
    model = transformers.LlamaForCausalLM(config)
    shape = shape_of(model, "hf")
    assert (shape.layers, shape.hidden, shape.heads, shape.kv_heads) == (2, 32, 4, 1)
    assert shape.context == 128 and shape.head_dim == 8
    assert shape.parameters == sum(p.numel() for p in model.parameters())
    with pytest.raises(TypeError, match="config"):
        shape_of(torch.nn.Linear(2, 2), "no config")


def test_kv_cache_scales_with_tokens_and_batch():
    llama2, llama3 = PUBLISHED["Llama 2 7B"], PUBLISHED["Llama 3 8B"]
    assert kv_bytes_per_token(llama2) == 2 * 32 * 32 * 128 * 2  # 512 KiB
    # Grouped-query attention: 8 key/value heads instead of 32 is 4 times less cache.
    assert kv_bytes_per_token(llama2) == 4 * kv_bytes_per_token(llama3)
    one = kv_cache_bytes(llama3, 1000)
    assert kv_cache_bytes(llama3, 1000, batch=8) == 8 * one
    assert kv_cache_bytes(llama3, 1000, bytes_per_number=4) == 2 * one
    assert kv_cache_bytes(llama3, 0) == 0
    assert total_bytes(llama3, "bf16", 1000, 8) == weight_bytes(llama3.parameters, "bf16") + 8 * one
    with pytest.raises(ValueError, match="at most 8,192"):
        kv_cache_bytes(llama3, 10_000)


def test_memory_table_names_the_smallest_device():
    table = memory_table([PUBLISHED["Llama 3 8B"], PUBLISHED["Llama 3.1 405B"]], ("bf16", "int4"))
    lines = table.splitlines()
    assert lines[0] == "| Model | Parameters | bf16 | int4 |"
    assert len(lines) == 4
    assert "16.1 GB (24 GB GPU)" in lines[2] and "4.5 GB (16 GB laptop)" in lines[2]
    assert lines[3].count("(none)") == 2  # 405B fits none of them, even at 4 bits
    assert set(DEVICES) == {"16 GB laptop", "24 GB GPU", "80 GB GPU"}


def test_shape_checks():
    with pytest.raises(ValueError, match="must divide"):
        ModelShape("bad", 2, 30, 4, 4, 10, 10, 100, "test")
    with pytest.raises(ValueError, match="layers"):
        ModelShape("bad", 0, 32, 4, 4, 10, 10, 100, "test")
