"""gentle_llm.deploy: weight and key/value cache memory, checked against real tensors."""

from __future__ import annotations

import pytest
import torch

from gentle_llm.deploy import (
    DEVICES,
    PUBLISHED,
    PUBLISHED_VARIANTS,
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
    import transformers

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


def test_memory_table_leaves_room_to_run_the_model():
    # 13.5 GB of weights fill 84 % of a 16 GB laptop: on paper only, so the table says 24 GB.
    llama2 = [PUBLISHED["Llama 2 7B"]]
    assert "13.5 GB (24 GB GPU)" in memory_table(llama2, ("bf16",))
    assert "13.5 GB (16 GB laptop)" in memory_table(llama2, ("bf16",), headroom=0.0)
    # 73.3 GB in int8 would leave an 80 GB GPU 7 GB for everything else: none fits.
    assert "73.3 GB (none)" in memory_table([PUBLISHED["Llama 2 70B"]], ("int8",))
    for bad in (1.0, -0.1, float("nan")):
        with pytest.raises(ValueError, match="headroom"):
            memory_table(llama2, ("bf16",), headroom=bad)


def test_shape_checks():
    with pytest.raises(ValueError, match="must divide"):
        ModelShape("bad", 2, 30, 4, 4, 10, 10, 100, "test")
    with pytest.raises(ValueError, match="layers"):
        ModelShape("bad", 0, 32, 4, 4, 10, 10, 100, "test")


# -- mixtures of experts, latent and sliding-window attention ---------------------------------


def test_moe_total_and_active_parameters_match_the_published_counts():
    shapes = PUBLISHED_VARIANTS
    # Mistral AI, "Mixtral of experts" (Dec 2023): 46.7B total, 12.9B used per token.
    mixtral = shapes["Mixtral 8x7B"]
    assert round(mixtral.parameters / 1e9, 1) == 46.7 and round(mixtral.active / 1e9, 1) == 12.9
    assert (mixtral.experts, mixtral.experts_per_token) == (8, 2)
    # Qwen/Qwen3-30B-A3B model card: 30.5B in total, 3.3B activated ("A3B").
    qwen = shapes["Qwen3-30B-A3B"]
    assert round(qwen.parameters / 1e9, 1) == 30.5 and round(qwen.active / 1e9, 1) == 3.4
    assert round(qwen.active / 1e9, 2) == 3.35  # the card rounds 3.35 down to 3.3
    # OpenAI's gpt-oss model card (Aug 2025): 116.83B total, 5.13B active; like DeepSeek, it
    # leaves the input embedding (a lookup of one row) out of the active count.
    oss = shapes["gpt-oss-120b"]
    embedding = oss.vocab * oss.hidden
    assert round(oss.parameters / 1e9, 2) == 116.83
    assert round((oss.active - embedding) / 1e9, 2) == 5.13
    # DeepSeek-V3 report and README_WEIGHTS.md: 671B main model, 36.6B activated without the
    # input embedding (37B in the abstract).
    deepseek = shapes["DeepSeek-V3"]
    assert round(deepseek.parameters / 1e9) == 671
    assert round((deepseek.active - deepseek.vocab * deepseek.hidden) / 1e9, 1) == 36.6
    assert round(deepseek.active / 1e9) == 38  # with it: 37.6B
    # Mistral 7B is dense: all of its parameters are active (7,241,732,096 on its model page).
    assert shapes["Mistral 7B"].parameters == shapes["Mistral 7B"].active == 7_241_732_096
    assert all(s.source for s in shapes.values())
    assert "Mixtral 8x7B" not in PUBLISHED  # Lab 9's table of Llamas stays as it was


def test_moe_memory_counts_every_expert():
    mixtral = PUBLISHED_VARIANTS["Mixtral 8x7B"]
    # Every expert must be in memory: 46.7B numbers at 2 bytes, not 12.9B.
    assert total_bytes(mixtral, "bf16") == weight_bytes(46_702_792_704, "bf16") == 93_405_585_408
    table = memory_table([mixtral, PUBLISHED["Llama 2 13B"]], ("bf16",), active=True)
    lines = table.splitlines()
    assert lines[0] == "| Model | Parameters | Active | bf16 |"
    assert lines[1] == "| --- | --- | --- | --- |"
    assert lines[2] == "| Mixtral 8x7B | 46.70 B | 12.88 B | 93.4 GB (none) |"
    assert lines[3].startswith("| Llama 2 13B | 13.02 B | 13.02 B | 26.0 GB (80 GB GPU)")


def test_moe_gpt_shape_and_cache():
    from gentle_llm.moe import MoEGPT, active_parameters

    torch.manual_seed(0)
    model = MoEGPT(GPTConfig(vocab_size=50, block_size=32, n_layer=2, n_head=4, n_embd=32), 4, 2)
    shape = shape_of(model, "tiny MoE GPT")
    assert shape.parameters == sum(p.numel() for p in model.parameters())
    assert shape.active == active_parameters(model) < shape.parameters
    assert (shape.experts, shape.experts_per_token) == (4, 2)
    cache = KVCache(2)
    with torch.no_grad():
        model.eval()(torch.arange(7)[None], kv_cache=cache)
    assert _cache_bytes(cache) == kv_cache_bytes(shape, 7, bytes_per_number=4)


def test_multi_head_latent_attention_caches_the_latent():
    deepseek = PUBLISHED_VARIANTS["DeepSeek-V3"]
    # config.json of deepseek-ai/DeepSeek-V3: 61 layers, kv_lora_rank 512, qk_rope_head_dim 64.
    # Each layer caches 512 + 64 numbers per token: 61 x 576 x 2 bytes = 70,272 bytes.
    assert kv_bytes_per_token(deepseek) == 61 * (512 + 64) * 2 == 70_272
    # Standard multi-head attention with its 128 heads (keys of 128 + 64, values of 128) would
    # cache 61 x 128 x (192 + 128) x 2 bytes = 4,997,120 bytes: 71 times more.
    assert 61 * 128 * (192 + 128) * 2 // kv_bytes_per_token(deepseek) == 71
    assert kv_cache_bytes(deepseek, 128_000) == 128_000 * 70_272  # 9.0 GB for 128K tokens
    assert deepseek.attention == "multi-head latent"


def test_sliding_window_caps_the_cache():
    mistral = PUBLISHED_VARIANTS["Mistral 7B"]
    # config.json of mistralai/Mistral-7B-v0.1: 32 layers, 8 key/value heads of 128,
    # sliding_window 4096. Per token: 2 x 32 x 8 x 128 x 2 bytes = 131,072 bytes.
    assert kv_bytes_per_token(mistral) == 131_072
    assert kv_cache_bytes(mistral, 1000) == 1000 * 131_072
    # Past 4,096 tokens the cache stops growing: a rolling buffer (Jiang et al. 2023).
    assert kv_cache_bytes(mistral, 32_768) == kv_cache_bytes(mistral, 4096) == 4096 * 131_072
    oss = PUBLISHED_VARIANTS["gpt-oss-120b"]
    # config.json of openai/gpt-oss-120b: 36 layers, 8 key/value heads of head_dim 64 (not
    # 2880 / 64 = 45), sliding_window 128 in every other layer ("layer_types").
    per_layer = 2 * 8 * 64 * 2  # 2,048 bytes per token per layer
    assert kv_bytes_per_token(oss) == 36 * per_layer == 73_728
    assert kv_cache_bytes(oss, 100) == 100 * 73_728  # within the window: every layer caches
    assert kv_cache_bytes(oss, 131_072) == per_layer * (18 * 131_072 + 18 * 128)
    assert oss.attention == "grouped-query, sliding window of 128 in 18 layers"
    # Qwen3-30B-A3B: 48 layers, 4 key/value heads of head_dim 128 (config.json).
    qwen = PUBLISHED_VARIANTS["Qwen3-30B-A3B"]
    assert kv_bytes_per_token(qwen) == 2 * 48 * 4 * 128 * 2 == 98_304
    assert PUBLISHED["Llama 2 7B"].attention == "multi-head"
    assert PUBLISHED["Llama 3 8B"].attention == "grouped-query"


def test_shape_of_reads_an_explicit_head_dim():
    import transformers

    if not hasattr(transformers, "Qwen3Config"):
        pytest.skip("transformers older than Qwen3 (4.51)")
    config = transformers.Qwen3Config(
        vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, head_dim=16, max_position_embeddings=64,
    )  # fmt: skip
    model = transformers.Qwen3ForCausalLM(config)
    shape = shape_of(model, "tiny Qwen3")
    # 4 heads of 16 in a width of 32, as Qwen3's real models (16 heads of 128 in 1024 for 0.6B).
    assert shape.head_dim == 16 and kv_bytes_per_token(shape, 4) == 2 * 2 * 2 * 16 * 4
    with torch.no_grad():
        output = model(torch.arange(5)[None], use_cache=True)
    # transformers 5 names the cache "cache"; "past_key_values" before (and a warning after).
    cache = output["cache"] if "cache" in output else output.past_key_values
    if hasattr(cache, "layers"):  # the cache layout of recent transformers
        keys, values = cache.layers[0].keys, cache.layers[0].values
        cached = 2 * (keys.nbytes + values.nbytes)  # two layers
        assert cached == kv_cache_bytes(shape, 5, bytes_per_number=4)


def test_shape_of_reads_latent_attention():
    import transformers

    if not hasattr(transformers, "DeepseekV3Config"):
        pytest.skip("transformers older than DeepSeek-V3")
    config = transformers.DeepseekV3Config(
        vocab_size=64, hidden_size=32, intermediate_size=64, moe_intermediate_size=16,
        num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4, n_routed_experts=4,
        num_experts_per_tok=2, n_group=1, topk_group=1, kv_lora_rank=16, q_lora_rank=24,
        qk_rope_head_dim=8, qk_nope_head_dim=8, v_head_dim=8, first_k_dense_replace=1,
        max_position_embeddings=128,
    )  # fmt: skip
    shape = shape_of(transformers.DeepseekV3ForCausalLM(config), "tiny DeepSeek")
    assert (shape.kv_lora_rank, shape.rope_head_dim) == (16, 8)
    assert kv_bytes_per_token(shape, 4) == 2 * (16 + 8) * 4


def test_new_shape_checks():
    with pytest.raises(ValueError, match="active"):
        ModelShape("bad", 2, 32, 4, 4, 10, 10, 100, "test", active_parameters=101)
    with pytest.raises(ValueError, match="top_k"):
        ModelShape("bad", 2, 32, 4, 4, 10, 10, 100, "test", experts=8, experts_per_token=9)
    with pytest.raises(ValueError, match="sliding_layers"):
        ModelShape("bad", 2, 32, 4, 4, 10, 10, 100, "test", sliding_window=8, sliding_layers=3)
    with pytest.raises(ValueError, match="sliding_window"):
        ModelShape("bad", 2, 32, 4, 4, 10, 10, 100, "test", sliding_window=0)
    # An explicit head_dim need not divide the width (gpt-oss: 64 heads of 64 in 2880).
    assert ModelShape("ok", 2, 30, 4, 4, 10, 10, 100, "test", explicit_head_dim=8).head_dim == 8
