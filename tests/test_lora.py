"""gentle_llm.lora: the same numbers as peft's LoRA, exact merging, only LoRA trains."""

from __future__ import annotations

import copy

import pytest
import torch
from peft import LoraConfig, get_peft_model
from torch import nn

from gentle_llm.llama import Llama, LlamaConfig
from gentle_llm.lora import (
    LoRALinear,
    add_lora,
    count_parameters,
    lora_layers,
    merge_lora,
    unload_lora,
)
from gentle_llm.model import GPT

SMOL_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
GPT_TARGETS = ["qkv", "proj", "fc"]


def _randomise_b(model: nn.Module, seed: int = 0) -> None:
    """B starts at zero, where every LoRA model equals its base; move it so the test can fail."""
    generator = torch.Generator().manual_seed(seed)
    for layer in lora_layers(model).values():
        with torch.no_grad():
            b = torch.randn(layer.lora_B.shape, generator=generator) * 0.02
            layer.lora_B.copy_(b.to(layer.lora_B))


def _peft_twin(base: nn.Module, ours: nn.Module, targets: list[str], r: int, alpha: float):
    """peft's LoRA on a copy of ``base``, holding our A and B matrices."""
    config = LoraConfig(r=r, lora_alpha=alpha, target_modules=targets, lora_dropout=0.0)
    theirs = get_peft_model(copy.deepcopy(base), config)
    inner = theirs.base_model.model
    mine = lora_layers(ours)
    peft_names = {n for n, m in inner.named_modules() if hasattr(m, "lora_A")}
    assert peft_names == set(mine), "peft and add_lora chose different layers"
    for name, layer in mine.items():
        target = inner.get_submodule(name)
        with torch.no_grad():
            target.lora_A["default"].weight.copy_(layer.lora_A)
            target.lora_B["default"].weight.copy_(layer.lora_B)
    return theirs.eval()


def _gpt(config) -> GPT:
    torch.manual_seed(0)
    return GPT(config).eval()


def test_tiny_gpt_equals_peft(tiny_gpt_config):
    base = _gpt(tiny_gpt_config)
    ours = add_lora(copy.deepcopy(base), r=4, alpha=8, target_modules=GPT_TARGETS).eval()
    _randomise_b(ours)
    theirs = _peft_twin(base, ours, GPT_TARGETS, r=4, alpha=8)
    idx = torch.randint(0, tiny_gpt_config.vocab_size, (3, tiny_gpt_config.block_size))
    with torch.no_grad():
        mine, peft_out, plain = ours(idx)[0], theirs(idx)[0], base(idx)[0]
    assert (mine - peft_out).abs().max().item() < 1e-5
    assert (mine - plain).abs().max().item() > 1e-3  # the update really changes the output


# peft (0.21) itself reads transformers 5's deprecated alias is_gradient_checkpointing when it
# wraps a model; nothing of ours calls it.
@pytest.mark.filterwarnings("ignore:`is_gradient_checkpointing` is deprecated:FutureWarning")
def test_smollm2_equals_peft_and_merges(smollm2):
    model, tokenizer = smollm2
    base = copy.deepcopy(model)
    ours = add_lora(base, r=8, alpha=16, target_modules=SMOL_TARGETS).eval()
    _randomise_b(ours)
    theirs = _peft_twin(model, ours, SMOL_TARGETS, r=8, alpha=16)
    ids = torch.tensor([tokenizer("LoRA trains two thin matrices per layer.")["input_ids"]])
    with torch.no_grad():
        mine = ours(ids).logits
        peft_logits = theirs(input_ids=ids).logits
        plain = model(ids).logits
    del theirs
    assert (mine - peft_logits).abs().max().item() < 1e-5
    assert (mine - plain).abs().max().item() > 1e-2
    merge_lora(ours)
    assert not lora_layers(ours)
    with torch.no_grad():
        merged = ours(ids).logits
    # Merging rounds W + BA once per layer, through 30 layers: compare relative to the size of
    # the logits (about 20 here; measured 6e-5 apart, 3e-6 relative).
    assert (merged - mine).abs().max().item() < 1e-5 * mine.abs().max().item()


def test_new_lora_starts_identical_and_merge_is_exact(tiny_gpt_config):
    base = _gpt(tiny_gpt_config)
    ours = add_lora(copy.deepcopy(base), r=2, alpha=4)
    idx = torch.randint(0, tiny_gpt_config.vocab_size, (2, 8))
    with torch.no_grad():
        assert torch.equal(ours(idx)[0], base(idx)[0])  # B = 0: not one number changes
        _randomise_b(ours, seed=1)
        unmerged = ours(idx)[0]
        merged = merge_lora(ours)(idx)[0]
    assert (merged - unmerged).abs().max().item() < 1e-5
    assert all(type(m) is not LoRALinear for m in ours.modules())


def test_unload_gives_the_base_model_back_for_a_new_adapter(tiny_gpt_config):
    base = _gpt(tiny_gpt_config)
    model = add_lora(copy.deepcopy(base), r=2, alpha=4)
    idx = torch.randint(0, tiny_gpt_config.vocab_size, (2, 8))
    with torch.no_grad():
        _randomise_b(model, seed=1)
        adapted = model(idx)[0]
        unload_lora(model)
        after = model(idx)[0]
    assert not torch.equal(adapted, base(idx)[0])  # the adapter did change the outputs
    assert torch.equal(after, base(idx)[0])
    assert not lora_layers(model)
    assert count_parameters(model)["trainable"] == 0  # still frozen
    second = add_lora(model, r=2, alpha=4)  # a fresh adapter on the same weights
    assert len(lora_layers(second)) == len(lora_layers(add_lora(copy.deepcopy(base), r=2)))


def test_llama_default_targets_skip_the_tied_head():
    config = LlamaConfig(
        vocab_size=50,
        block_size=16,
        n_layer=2,
        n_head=4,
        n_kv_head=2,
        n_embd=32,
        intermediate_size=64,
    )
    model = add_lora(Llama(config), r=4, alpha=4)
    names = {name.rsplit(".", 1)[-1] for name in lora_layers(model)}
    assert names == {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}
    assert type(model.lm_head) is nn.Linear
    # Merging does not touch the embedding the head shares its weight with.
    embedding = model.tok_emb.weight.clone()
    merge_lora(model)
    assert torch.equal(model.tok_emb.weight, embedding)


def test_only_lora_parameters_get_gradients(tiny_gpt_config):
    model = add_lora(_gpt(tiny_gpt_config).train(), r=4, alpha=8, target_modules=["qkv"])
    idx = torch.randint(0, tiny_gpt_config.vocab_size, (2, 8))
    _, loss = model(idx, idx)
    loss.backward()
    with_grad = {n for n, p in model.named_parameters() if p.grad is not None}
    lora_names = {n for n, p in model.named_parameters() if "lora_" in n}
    assert with_grad == lora_names and len(lora_names) == 2 * tiny_gpt_config.n_layer
    # B is zero, so A's gradient is zero at the first step; B's is not.
    assert all(model.get_parameter(n).grad.abs().sum() > 0 for n in lora_names if "lora_B" in n)
    counts = count_parameters(model)
    width = tiny_gpt_config.n_embd
    assert counts["trainable"] == tiny_gpt_config.n_layer * 4 * (width + 3 * width)
    assert counts["total"] == GPT(tiny_gpt_config).num_parameters() + counts["trainable"]
    assert counts["frozen"] == counts["total"] - counts["trainable"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"r": 0}, "r must be a whole number >= 1"),
        ({"r": 2.5}, "r must be a whole number"),
        ({"r": 1000}, "larger than this layer's smaller side"),
        ({"alpha": 0}, "alpha must be a number > 0"),
        ({"alpha": float("nan")}, "alpha must be"),
        ({"dropout": 1.0}, "dropout must be in"),
        ({"target_modules": ["attention"]}, "No nn.Linear layer of this model matches"),
    ],
)
def test_bad_arguments_get_one_clear_error(tiny_gpt_config, kwargs, message):
    with pytest.raises(ValueError, match=message):
        add_lora(_gpt(tiny_gpt_config), **kwargs)


def test_twice_and_nothing_to_merge(tiny_gpt_config):
    model = add_lora(_gpt(tiny_gpt_config))
    with pytest.raises(ValueError, match="already has LoRA layers"):
        add_lora(model)
    with pytest.raises(ValueError, match="no LoRA layers to merge"):
        merge_lora(_gpt(tiny_gpt_config))
    with pytest.raises(ValueError, match="no LoRA layers to unload"):
        unload_lora(_gpt(tiny_gpt_config))
    with pytest.raises(TypeError, match="wraps an nn.Linear"):
        LoRALinear(nn.Conv1d(2, 2, 1), r=1, alpha=1)
