"""Loading SmolLM2-135M-Instruct offline from the GGUF mirror, and its conversion cache."""

from __future__ import annotations

import pytest
import torch

from gentle_llm import pretrained


@pytest.fixture(scope="module")
def smollm2():
    return pretrained.load_smollm2()


def test_loads_the_real_model(smollm2):
    model, tokenizer = smollm2
    config = model.config
    assert config.model_type == "llama"
    assert (config.num_hidden_layers, config.num_attention_heads) == (30, 9)
    assert len(tokenizer) == 49152
    assert sum(p.numel() for p in model.parameters()) == pytest.approx(134.5e6, rel=0.01)
    assert not model.training
    assert next(model.parameters()).dtype == torch.float32


def test_second_load_is_shared_in_process(smollm2):
    assert pretrained.load_smollm2()[0] is smollm2[0]


def test_chat_template_and_answer(smollm2):
    model, tokenizer = smollm2
    messages = [{"role": "user", "content": "What is the capital of France?"}]
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert text.startswith("<|im_start|>system\n")
    assert text.endswith("<|im_start|>assistant\n")
    inputs = tokenizer(text, return_tensors="pt")
    output = model.generate(**inputs, max_new_tokens=12, do_sample=False)
    answer = tokenizer.decode(output[0, inputs.input_ids.shape[1] :], skip_special_tokens=True)
    assert "Paris" in answer


def test_conversion_cache_holds_the_dequantised_weights(smollm2, tmp_path, monkeypatch):
    """A fresh conversion gives bit-identical weights to the cached one the loader used."""
    model, _ = smollm2
    fresh = tmp_path / "converted"
    pretrained._convert_gguf(fresh)
    assert (fresh / "model.safetensors").exists()
    assert (fresh / "chat_template.jinja").exists() or "chat_template" in (
        fresh / "tokenizer_config.json"
    ).read_text()
    from safetensors.torch import load_file

    saved = load_file(fresh / "model.safetensors")
    reference = model.state_dict()
    for name, tensor in saved.items():
        assert torch.equal(tensor, reference[name]), name
