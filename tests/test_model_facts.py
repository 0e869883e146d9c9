"""Chapter 1's helpers (gentle_llm.model_facts) on the real SmolLM2-135M-Instruct, loaded once."""

from __future__ import annotations

import math

import pytest
import torch

from gentle_llm import assets
from gentle_llm.model_facts import (
    TokenProbability,
    facts_table,
    generation_trace,
    human_bytes,
    model_facts,
    next_token_table,
)
from gentle_llm.pretrained import SMOLLM2_ASSET, load_smollm2

PROMPT = "The best thing about AI is its ability to"


@pytest.fixture(scope="module")
def smollm2():
    return load_smollm2()


# --- model_facts and its table ---------------------------------------------------------------


def test_facts_match_the_config(smollm2):
    model, tokenizer = smollm2
    facts = model_facts(model, tokenizer)
    assert facts["architecture"] == "LlamaForCausalLM"
    assert facts["vocab_size"] == 49152
    assert facts["layers"] == 30
    assert facts["attention_heads"] == 9
    assert facts["kv_heads"] == 3
    assert facts["hidden_size"] == 576
    assert facts["context_length"] == 8192
    # The embedding table and the output layer share one weight matrix, counted once.
    assert facts["parameters"] == 134_515_008
    assert facts["dtype"] == "float32"
    assert facts["bytes_in_memory"] == 4 * facts["parameters"]
    assert "bytes_on_disk" not in facts


def test_size_on_disk_is_the_gguf_file(smollm2):
    model, tokenizer = smollm2
    gguf = assets.fetch(SMOLLM2_ASSET)
    facts = model_facts(model, tokenizer, weights_file=gguf)
    assert facts["bytes_on_disk"] == assets.get_asset(SMOLLM2_ASSET).size == 98_362_432
    # 4-bit numbers on disk, 32-bit numbers in memory: between 5 and 6 times larger.
    assert 5 < facts["bytes_in_memory"] / facts["bytes_on_disk"] < 6


def test_missing_weights_file_says_what_to_pass(smollm2, tmp_path):
    model, tokenizer = smollm2
    with pytest.raises(FileNotFoundError, match="fetch"):
        model_facts(model, tokenizer, weights_file=tmp_path / "nope.gguf")


def test_facts_table_is_readable():
    facts = {
        "layers": 30,
        "parameters": 134_515_008,
        "bytes_in_memory": 538_060_032,
        "dtype": "float32",
        "something_new": "kept",
    }
    table = facts_table(facts).splitlines()
    assert table[:2] == ["| Fact | Value |", "| --- | --- |"]
    assert "| Layers (transformer blocks) | 30 |" in table
    assert "| Parameters | 134,515,008 (134.5 million) |" in table
    assert "| Weights in memory | 538.1 MB |" in table
    assert "| something_new | kept |" in table


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 B"),
        (999, "999 B"),
        (1_500, "1.5 kB"),
        (98_362_432, "98.4 MB"),
        (14e9, "14.0 GB"),
        (1.62e12, "1.6 TB"),
    ],
)
def test_human_bytes(size, text):
    assert human_bytes(size) == text


def test_human_bytes_refuses_negative_sizes():
    with pytest.raises(ValueError, match=r"n \(a size in bytes\) must be a number >= 0"):
        human_bytes(-1)


# --- next_token_table --------------------------------------------------------------------------


def test_next_token_table_for_the_seed_prompt(smollm2):
    model, tokenizer = smollm2
    table = next_token_table(model, tokenizer, PROMPT, k=5)
    assert [row.token for row in table] == [" make", " automate", " augment", " create", " adapt"]
    assert [round(row.probability, 3) for row in table] == [0.167, 0.163, 0.111, 0.043, 0.036]
    for row in table:
        assert isinstance(row, TokenProbability)
        assert tokenizer.decode([row.token_id]) == row.token


def test_next_token_probabilities_are_sorted_and_sum_to_one(smollm2):
    model, tokenizer = smollm2
    top = next_token_table(model, tokenizer, PROMPT, k=10)
    probabilities = [row.probability for row in top]
    assert probabilities == sorted(probabilities, reverse=True)
    assert 0 < sum(probabilities) <= 1
    # Asking for more tokens than the vocabulary has lists every token once; together they
    # hold all the probability.
    everything = next_token_table(model, tokenizer, PROMPT, k=10**6)
    assert len(everything) == len({row.token_id for row in everything}) == 49152
    assert math.fsum(row.probability for row in everything) == pytest.approx(1.0, abs=1e-4)
    assert everything[:10] == top


@pytest.mark.parametrize("k", [0, -3, 2.5, True, "10"])
def test_next_token_table_rejects_bad_k(smollm2, k):
    model, tokenizer = smollm2
    with pytest.raises(ValueError, match="k must be a whole number >= 1"):
        next_token_table(model, tokenizer, PROMPT, k=k)


# --- generation_trace --------------------------------------------------------------------------


def test_first_greedy_step_is_the_top_token(smollm2):
    model, tokenizer = smollm2
    top = next_token_table(model, tokenizer, PROMPT, k=1)[0]
    first = generation_trace(model, tokenizer, PROMPT, 1)[0]
    assert first.token_id == top.token_id
    assert first.probability == pytest.approx(top.probability, abs=1e-6)


def test_greedy_trace_matches_transformers_generate(smollm2):
    """The plain loop picks exactly the tokens that transformers' own greedy search picks."""
    model, tokenizer = smollm2
    trace = generation_trace(model, tokenizer, PROMPT, 6)
    inputs = tokenizer(PROMPT, return_tensors="pt")
    with torch.inference_mode():
        output = model.generate(**inputs, max_new_tokens=6, do_sample=False)
    assert [step.token_id for step in trace] == output[0, inputs.input_ids.shape[1] :].tolist()
    assert all(0 < step.probability <= 1 for step in trace)


def test_chat_trace_stops_at_the_end_token(smollm2):
    model, tokenizer = smollm2
    messages = [{"role": "user", "content": "What is the capital of France?"}]
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    trace = generation_trace(model, tokenizer, text, 30)
    assert trace[-1].token_id == tokenizer.eos_token_id
    assert len(trace) < 30
    assert "".join(step.token for step in trace[:-1]) == "The capital of France is Paris."
    longer = generation_trace(model, tokenizer, text, len(trace) + 1, stop_at_end=False)
    assert longer[: len(trace)] == trace
    assert len(longer) == len(trace) + 1


def test_sampling_is_reproducible_with_a_seed(smollm2):
    model, tokenizer = smollm2
    first = generation_trace(model, tokenizer, PROMPT, 4, temperature=1.0, seed=3)
    again = generation_trace(model, tokenizer, PROMPT, 4, temperature=1.0, seed=3)
    assert first == again
    # A sampled trace reports the model's own probabilities, so they need not be the largest.
    assert all(0 < step.probability <= 1 for step in first)


def test_a_tiny_temperature_is_greedy(smollm2):
    model, tokenizer = smollm2
    greedy = generation_trace(model, tokenizer, PROMPT, 3)
    cold = generation_trace(model, tokenizer, PROMPT, 3, temperature=1e-4, seed=0)
    assert [s.token_id for s in cold] == [s.token_id for s in greedy]


def test_sampling_without_seed_uses_the_global_generator(smollm2):
    model, tokenizer = smollm2
    torch.manual_seed(7)
    first = generation_trace(model, tokenizer, PROMPT, 2, temperature=1.0)
    torch.manual_seed(7)
    assert generation_trace(model, tokenizer, PROMPT, 2, temperature=1.0) == first


def test_zero_steps_is_an_empty_trace(smollm2):
    model, tokenizer = smollm2
    assert generation_trace(model, tokenizer, PROMPT, 0) == []


@pytest.mark.parametrize("steps", [-1, 1.5, True, "3"])
def test_trace_rejects_bad_steps(smollm2, steps):
    model, tokenizer = smollm2
    with pytest.raises(ValueError, match="steps must be a whole number >= 0"):
        generation_trace(model, tokenizer, PROMPT, steps)


@pytest.mark.parametrize("temperature", [-0.5, float("nan"), "hot", None])
def test_trace_rejects_bad_temperature(smollm2, temperature):
    model, tokenizer = smollm2
    with pytest.raises(ValueError, match="temperature must be"):
        generation_trace(model, tokenizer, PROMPT, 2, temperature=temperature)


def test_trace_rejects_a_bad_seed(smollm2):
    model, tokenizer = smollm2
    with pytest.raises(ValueError, match="seed must be"):
        generation_trace(model, tokenizer, PROMPT, 2, temperature=1.0, seed="42")


# --- bad prompts and mismatched pairs, for every helper ----------------------------------------


def _call_each(model, tokenizer, prompt):
    yield lambda: next_token_table(model, tokenizer, prompt)
    yield lambda: generation_trace(model, tokenizer, prompt, 1)


def test_empty_prompt_says_what_to_do(smollm2):
    model, tokenizer = smollm2
    for call in _call_each(model, tokenizer, ""):
        with pytest.raises(ValueError, match="prompt is empty: give some text"):
            call()


def test_prompt_must_be_text(smollm2):
    model, tokenizer = smollm2
    for call in _call_each(model, tokenizer, [504, 1450]):
        with pytest.raises(TypeError, match="prompt must be a string"):
            call()


def test_prompt_longer_than_the_context_is_refused(smollm2):
    model, tokenizer = smollm2
    too_long = " AI" * 8200  # one token each
    for call in _call_each(model, tokenizer, too_long):
        with pytest.raises(ValueError, match="can only look at 8192.*Shorten the prompt"):
            call()


def test_trace_that_would_outgrow_the_context_is_refused(smollm2):
    model, tokenizer = smollm2
    nearly_full = " AI" * 8190
    with pytest.raises(ValueError, match="would not fit.*context window of 8192"):
        generation_trace(model, tokenizer, nearly_full, 5)


class _BiggerTokenizer:
    """Stands in for a tokenizer from another, larger model."""

    def __len__(self) -> int:
        return 50257

    def decode(self, ids):  # pragma: no cover - never reached
        return ""


def test_mismatched_tokenizer_is_refused(smollm2):
    model, _ = smollm2
    stranger = _BiggerTokenizer()
    with pytest.raises(ValueError, match="do not belong together"):
        model_facts(model, stranger)
    for call in _call_each(model, stranger, PROMPT):
        with pytest.raises(ValueError, match="do not belong together"):
            call()


def test_something_else_than_a_model_is_refused(smollm2):
    _, tokenizer = smollm2
    with pytest.raises(TypeError, match="load_smollm2"):
        next_token_table("SmolLM2", tokenizer, PROMPT)
