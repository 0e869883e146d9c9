"""Tests of sampling and generation (gentle_llm.generate)."""

from __future__ import annotations

import math

import pytest
import torch

from gentle_llm.generate import SamplingConfig, generate, next_token_distribution, stream
from gentle_llm.gpt2_weights import to_hf_gpt2
from gentle_llm.model import GPT, GPTConfig

CONFIG = GPTConfig(vocab_size=40, block_size=24, n_layer=2, n_head=2, n_embd=32)


@pytest.fixture(scope="module")
def model() -> GPT:
    torch.manual_seed(0)
    gpt = GPT(CONFIG).eval()
    # Bigger weights than the initialisation so that the distribution is far from uniform.
    with torch.no_grad():
        for param in gpt.parameters():
            param.add_(0.2 * torch.randn_like(param))
    return gpt


PROMPT = [1, 2, 3, 4, 5]
# logits chosen so that the probabilities are 0.5, 0.25, 0.125, 0.0625, 0.0625
HAND_LOGITS = torch.log(torch.tensor([0.0625, 0.5, 0.125, 0.25, 0.0625]))


# -- the distribution -------------------------------------------------------------------------


def test_plain_distribution_is_softmax() -> None:
    probs = next_token_distribution(HAND_LOGITS, SamplingConfig())
    assert torch.allclose(probs, torch.tensor([0.0625, 0.5, 0.125, 0.25, 0.0625]))


def test_top_k_keeps_the_k_most_likely() -> None:
    probs = next_token_distribution(HAND_LOGITS, SamplingConfig(top_k=2))
    assert torch.allclose(probs, torch.tensor([0.0, 2 / 3, 0.0, 1 / 3, 0.0]))
    # top_k larger than the vocabulary keeps everything.
    assert torch.allclose(
        next_token_distribution(HAND_LOGITS, SamplingConfig(top_k=99)),
        next_token_distribution(HAND_LOGITS, SamplingConfig()),
    )


def test_top_p_keeps_the_smallest_set_reaching_p() -> None:
    # 0.5 alone is below 0.7; adding 0.25 reaches 0.75, so two tokens stay.
    probs = next_token_distribution(HAND_LOGITS, SamplingConfig(top_p=0.7))
    assert torch.allclose(probs, torch.tensor([0.0, 2 / 3, 0.0, 1 / 3, 0.0]))
    # Exactly reaching p with the first token keeps it alone.
    probs = next_token_distribution(HAND_LOGITS, SamplingConfig(top_p=0.5))
    assert torch.allclose(probs, torch.tensor([0.0, 1.0, 0.0, 0.0, 0.0]))
    # A tiny p always keeps the most likely token.
    probs = next_token_distribution(HAND_LOGITS, SamplingConfig(top_p=1e-9))
    assert probs.argmax().item() == 1 and probs.max().item() == 1.0


def test_top_k_then_top_p_work_together_batched() -> None:
    batch = torch.stack([HAND_LOGITS, HAND_LOGITS.flip(0)])
    probs = next_token_distribution(batch, SamplingConfig(top_k=3, top_p=0.8))
    # top-3 renormalised: 4/7, 2/7, 1/7; mass before the third is 6/7 >= 0.8, so two remain.
    assert torch.allclose(probs[0], torch.tensor([0.0, 2 / 3, 0.0, 1 / 3, 0.0]))
    assert torch.allclose(probs[1], probs[0].flip(0))


def test_temperature_sharpens_and_flattens() -> None:
    cold = next_token_distribution(HAND_LOGITS, SamplingConfig(temperature=0.5))
    hot = next_token_distribution(HAND_LOGITS, SamplingConfig(temperature=2.0))
    assert torch.allclose(cold, torch.softmax(HAND_LOGITS / 0.5, dim=-1))
    assert cold.max() > 0.5 > hot.max()


def test_temperature_zero_is_one_hot_on_the_argmax() -> None:
    probs = next_token_distribution(HAND_LOGITS, SamplingConfig(temperature=0))
    assert probs.tolist() == [0.0, 1.0, 0.0, 0.0, 0.0]


def test_repetition_penalty_lowers_seen_tokens_only() -> None:
    logits = torch.tensor([2.0, -1.0, 0.5, 1.0])
    config = SamplingConfig(repetition_penalty=2.0, temperature=1.0)
    probs = next_token_distribution(logits, config, previous=[0, 1, 0])
    expected = torch.softmax(torch.tensor([1.0, -2.0, 0.5, 1.0]), dim=-1)
    assert torch.allclose(probs, expected)
    # Under greedy decoding the penalty can change the winner.
    greedy = SamplingConfig(repetition_penalty=4.0, temperature=0)
    assert next_token_distribution(logits, greedy, previous=[0]).argmax().item() == 3


# -- generation ---------------------------------------------------------------------------------


def test_kv_cache_gives_the_same_tokens_greedy(model: GPT) -> None:
    # 5 prompt tokens + 40 new ones overflow the 24-token context, so the window slides too.
    config = SamplingConfig(max_new_tokens=40, temperature=0)
    with_cache = generate(model, PROMPT, config, use_cache=True)
    without = generate(model, PROMPT, config, use_cache=False)
    assert len(with_cache) == 40
    assert with_cache == without


def test_kv_cache_gives_the_same_tokens_seeded_sampling(model: GPT) -> None:
    config = SamplingConfig(max_new_tokens=40, temperature=1.0, top_k=10, top_p=0.9, seed=7)
    assert generate(model, PROMPT, config) == generate(model, PROMPT, config, use_cache=False)


def test_same_seed_same_tokens_other_seed_other_tokens(model: GPT) -> None:
    a = generate(model, PROMPT, SamplingConfig(max_new_tokens=30, seed=1))
    b = generate(model, PROMPT, SamplingConfig(max_new_tokens=30, seed=1))
    c = generate(model, PROMPT, SamplingConfig(max_new_tokens=30, seed=2))
    assert a == b
    assert a != c


def test_seed_does_not_touch_the_global_generator(model: GPT) -> None:
    torch.manual_seed(123)
    expected = torch.rand(1)
    torch.manual_seed(123)
    generate(model, PROMPT, SamplingConfig(max_new_tokens=5, seed=3))
    assert torch.equal(torch.rand(1), expected)


def test_tiny_temperature_equals_greedy(model: GPT) -> None:
    greedy = generate(model, PROMPT, SamplingConfig(max_new_tokens=20, temperature=0))
    cold = generate(model, PROMPT, SamplingConfig(max_new_tokens=20, temperature=1e-4, seed=0))
    assert cold == greedy


def test_greedy_follows_the_argmax(model: GPT) -> None:
    tokens = generate(model, PROMPT, SamplingConfig(max_new_tokens=3, temperature=0))
    context = list(PROMPT)
    for token in tokens:
        logits, _ = model(torch.tensor([context]))
        assert token == logits[0, -1].argmax().item()
        context.append(token)


def test_stop_tokens_stop_and_are_not_returned(model: GPT) -> None:
    free = generate(model, PROMPT, SamplingConfig(max_new_tokens=20, temperature=0))
    stop = free[5]
    first = free.index(stop)
    stopped = generate(
        model, PROMPT, SamplingConfig(max_new_tokens=20, temperature=0, stop_tokens=(stop,))
    )
    assert stopped == free[:first]


def test_stream_yields_the_same_tokens_one_at_a_time(model: GPT) -> None:
    config = SamplingConfig(max_new_tokens=15, seed=4)
    iterator = stream(model, PROMPT, config)
    first = next(iterator)
    assert isinstance(first, int)
    assert [first, *iterator] == generate(model, PROMPT, config)


def test_zero_new_tokens_gives_nothing(model: GPT) -> None:
    assert generate(model, PROMPT, SamplingConfig(max_new_tokens=0)) == []


def test_long_prompt_is_truncated_on_the_left(model: GPT) -> None:
    config = SamplingConfig(max_new_tokens=8, temperature=0)
    long_prompt = [(7 * i) % CONFIG.vocab_size for i in range(60)]
    window = long_prompt[-CONFIG.block_size :]
    assert generate(model, long_prompt, config) == generate(model, window, config)


def test_tensor_prompts_are_accepted(model: GPT) -> None:
    config = SamplingConfig(max_new_tokens=5, temperature=0)
    expected = generate(model, PROMPT, config)
    assert generate(model, torch.tensor(PROMPT), config) == expected
    assert generate(model, torch.tensor([PROMPT]), config) == expected


def test_training_mode_is_restored(model: GPT) -> None:
    model.train()
    try:
        generate(model, PROMPT, SamplingConfig(max_new_tokens=2))
        assert model.training
    finally:
        model.eval()


def test_any_callable_returning_logits_works() -> None:
    # A "model" that always prefers token (last + 1) mod 7.
    def counter(idx: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.one_hot((idx + 1) % 7, 7).float() * 10

    tokens = generate(counter, [3], SamplingConfig(max_new_tokens=6, temperature=0))
    assert tokens == [4, 5, 6, 0, 1, 2]
    with pytest.raises(ValueError, match="outside the model's vocabulary"):
        generate(counter, [9], SamplingConfig(max_new_tokens=1))


def test_works_with_a_transformers_model_with_and_without_its_cache(model: GPT) -> None:
    # 5 + 25 tokens overflow the 24-token context: the window slides for both.
    config = SamplingConfig(max_new_tokens=25, temperature=0)
    hf = to_hf_gpt2(model)
    ours = generate(model, PROMPT, config)
    assert generate(hf, PROMPT, config) == ours
    assert generate(hf, PROMPT, config, use_cache=False) == ours


class _ContextRecorder:
    """A callable "model" with a 8-token context that records every context it is shown."""

    def __init__(self) -> None:
        self.config = GPTConfig(vocab_size=7, block_size=8, n_layer=1, n_head=1, n_embd=4)
        self.contexts: list[list[int]] = []

    def __call__(self, idx: torch.Tensor) -> torch.Tensor:
        self.contexts.append(idx[0].tolist())
        return torch.nn.functional.one_hot((idx + 1) % 7, 7).float() * 10


@pytest.mark.parametrize(
    ("window", "lengths"),
    [
        # Sliding: once full, every step sees the last 8 tokens.
        ("slide", [3, 4, 5, 6, 7, 8, 8, 8, 8, 8, 8, 8]),
        # Halving: once full, the last 4 are kept and the window fills up again.
        ("halve", [3, 4, 5, 6, 7, 8, 4, 5, 6, 7, 8, 4]),
    ],
)
def test_window_policy_decides_what_the_model_sees(window: str, lengths: list[int]) -> None:
    recorder = _ContextRecorder()
    config = SamplingConfig(max_new_tokens=12, temperature=0)
    tokens = [0, 1, 2] + generate(recorder, [0, 1, 2], config, window=window)
    assert [len(c) for c in recorder.contexts] == lengths
    end = 3
    for context in recorder.contexts:  # always the latest tokens, in order
        assert context == tokens[end - len(context) : end]
        end += 1


@pytest.mark.parametrize("sampling", [dict(temperature=0), dict(top_k=10, seed=3)])
def test_halving_the_window_gives_the_same_tokens_with_and_without_the_cache(
    model: GPT, sampling: dict
) -> None:
    # 5 + 60 tokens fill the 24-token window three times.
    config = SamplingConfig(max_new_tokens=60, **sampling)
    cached = generate(model, PROMPT, config, window="halve")
    assert cached == generate(model, PROMPT, config, use_cache=False, window="halve")
    hf = to_hf_gpt2(model)
    assert generate(hf, PROMPT, config, window="halve") == cached
    # Until the window first fills, the two policies agree.
    assert cached[:20] == generate(model, PROMPT, config)[:20]


def test_unknown_window_policy_is_refused(model: GPT) -> None:
    with pytest.raises(ValueError, match="window must be one of 'slide', 'halve'"):
        generate(model, PROMPT, SamplingConfig(max_new_tokens=1), window="shift")


# -- bad inputs -----------------------------------------------------------------------------------


def test_empty_prompt_is_refused(model: GPT) -> None:
    with pytest.raises(ValueError, match="prompt is empty"):
        generate(model, [], SamplingConfig())


def test_token_ids_outside_the_vocabulary_are_refused(model: GPT) -> None:
    with pytest.raises(ValueError, match="Token id 40 at position 1 is outside"):
        generate(model, [1, 40], SamplingConfig())
    with pytest.raises(ValueError, match="Token id -1"):
        generate(model, [-1], SamplingConfig())


def test_text_instead_of_ids_is_refused(model: GPT) -> None:
    with pytest.raises(TypeError, match="encode the text"):
        generate(model, "hello", SamplingConfig())


def test_negative_temperature_is_refused() -> None:
    with pytest.raises(ValueError, match="temperature must be a number >= 0"):
        SamplingConfig(temperature=-0.5)
    with pytest.raises(ValueError, match="temperature"):
        SamplingConfig(temperature=math.nan)


def test_top_k_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="top_k must be a whole number >= 1"):
        SamplingConfig(top_k=0)


@pytest.mark.parametrize("top_p", [0.0, -0.1, 1.5])
def test_top_p_outside_zero_one_is_refused(top_p: float) -> None:
    with pytest.raises(ValueError, match=r"top_p must be in \(0, 1\]"):
        SamplingConfig(top_p=top_p)


def test_negative_max_new_tokens_is_refused() -> None:
    with pytest.raises(ValueError, match="max_new_tokens must be a whole number >= 0"):
        SamplingConfig(max_new_tokens=-1)


@pytest.mark.parametrize("penalty", [0.0, -1.0])
def test_non_positive_repetition_penalty_is_refused(penalty: float) -> None:
    with pytest.raises(ValueError, match="repetition_penalty must be a number > 0"):
        SamplingConfig(repetition_penalty=penalty)
