"""gentle_llm.speculative: the draft proposes, the target verifies; the text stays the target's."""

from __future__ import annotations

import itertools

import pytest
import torch

from gentle_llm.generate import SamplingConfig, generate
from gentle_llm.llama import Llama, LlamaConfig
from gentle_llm.model import GPT, GPTConfig
from gentle_llm.speculative import (
    SpeculativeStats,
    accept_greedy,
    accept_sampled,
    speculative_generate,
)

VOCAB = 20


def _gpt(
    seed: int, n_layer: int, n_embd: int, block_size: int, vocab: int = VOCAB, scale: float = 0.3
) -> GPT:
    """A random GPT with weights big enough that its predictions are far from uniform."""
    torch.manual_seed(seed)
    config = GPTConfig(vocab, block_size, n_layer=n_layer, n_head=2, n_embd=n_embd)
    model = GPT(config).eval()
    with torch.no_grad():
        for param in model.parameters():
            param.add_(scale * torch.randn_like(param))
    return model


@pytest.fixture(scope="module")
def target() -> GPT:
    return _gpt(0, n_layer=2, n_embd=32, block_size=24)


@pytest.fixture(scope="module")
def draft() -> GPT:
    # Smaller, and with a shorter context than the target's: it only has to guess.
    return _gpt(1, n_layer=1, n_embd=16, block_size=12)


GREEDY = SamplingConfig(max_new_tokens=30, temperature=0)
PROMPTS = {
    "one token": [7],
    "short": [1, 2, 3],
    "longer than the context": list(range(VOCAB)) * 2,
}


@pytest.mark.parametrize("window", ["slide", "halve"])
@pytest.mark.parametrize("k", [1, 2, 4])
@pytest.mark.parametrize("prompt", list(PROMPTS.values()), ids=list(PROMPTS))
def test_greedy_output_is_the_targets_own(target, draft, prompt, k, window) -> None:
    alone = generate(target, prompt, GREEDY, window=window)
    tokens, stats = speculative_generate(target, draft, prompt, GREEDY, k=k, window=window)
    assert tokens == alone
    assert stats.generated == len(tokens) == 30
    # Each target pass adds exactly one token of its own; the rest were accepted proposals.
    assert stats.generated == stats.accepted + stats.target_passes
    assert 0 <= stats.accepted <= stats.proposed
    # The draft is the target: every proposal is accepted.
    same, stats = speculative_generate(target, target, prompt, GREEDY, k=k, window=window)
    assert same == alone
    assert stats.accepted == stats.proposed


def test_a_perfect_draft_saves_target_passes() -> None:
    target = _gpt(0, n_layer=2, n_embd=32, block_size=64)
    config = SamplingConfig(max_new_tokens=40, temperature=0)
    tokens, stats = speculative_generate(target, target, [1, 2, 3], config, k=4)
    assert tokens == generate(target, [1, 2, 3], config)
    # 4 proposals and the target's own token per pass: 40 tokens in 8 passes.
    assert stats == SpeculativeStats(proposed=32, accepted=32, target_passes=8, generated=40)
    assert stats.acceptance_rate == 1.0 and stats.tokens_per_target_pass == 5.0


def test_a_random_draft_gets_few_accepted(target) -> None:
    stranger = _gpt(7, n_layer=1, n_embd=16, block_size=24)
    tokens, stats = speculative_generate(target, stranger, [1, 2, 3], GREEDY, k=3)
    assert tokens == generate(target, [1, 2, 3], GREEDY)
    assert stats.proposed > 0 and stats.acceptance_rate < 0.5
    assert stats.target_passes > 0.5 * len(tokens)


def test_stop_tokens_and_repetition_penalty_as_generate(target, draft) -> None:
    alone = generate(target, [1, 2, 3], GREEDY)
    stop = alone[12]
    config = SamplingConfig(max_new_tokens=30, temperature=0, stop_tokens=(stop,))
    tokens, _ = speculative_generate(target, draft, [1, 2, 3], config, k=4)
    assert tokens == generate(target, [1, 2, 3], config) == alone[: alone.index(stop)]
    config = SamplingConfig(max_new_tokens=30, temperature=0, repetition_penalty=1.5)
    tokens, _ = speculative_generate(target, draft, [1, 2, 3], config, k=3)
    assert tokens == generate(target, [1, 2, 3], config)
    assert speculative_generate(target, draft, [1], SamplingConfig(max_new_tokens=0))[0] == []


def test_a_llama_target_with_a_gpt_draft(draft) -> None:
    torch.manual_seed(3)
    config = LlamaConfig(vocab_size=VOCAB, block_size=32, n_layer=2, n_head=4, n_kv_head=2,
                         n_embd=32, intermediate_size=64)  # fmt: skip
    llama = Llama(config).eval()
    with torch.no_grad():
        for param in llama.parameters():
            param.add_(0.3 * torch.randn_like(param))
    tokens, stats = speculative_generate(llama, draft, [4, 5], GREEDY, k=3)
    assert tokens == generate(llama, [4, 5], GREEDY)
    assert stats.generated == stats.accepted + stats.target_passes


# -- the accept steps -------------------------------------------------------------------------


def test_accept_greedy_by_hand() -> None:
    def scores(*picks: int) -> torch.Tensor:
        return torch.nn.functional.one_hot(torch.tensor(picks), 10).float()

    # The target agrees with 3 and 5, then says 2 where the draft said 7: 3, 5, 2.
    assert accept_greedy([3, 5, 7], scores(3, 5, 2, 9)) == [3, 5, 2]
    # All agree: the target's prediction after the last proposal comes free.
    assert accept_greedy([3, 5, 7], scores(3, 5, 7, 9)) == [3, 5, 7, 9]
    assert accept_greedy([3, 5, 7], scores(4, 5, 7, 9)) == [4]
    assert accept_greedy([], scores(6)) == [6]
    with pytest.raises(ValueError, match="k \\+ 1"):
        accept_greedy([3, 5], scores(3, 5))


def _chi_square(counts: torch.Tensor, probs: torch.Tensor) -> float:
    expected = probs * counts.sum()
    kept = expected > 0
    assert counts[~kept].sum() == 0, "a sample the target gives probability 0"
    return float(((counts[kept] - expected[kept]) ** 2 / expected[kept]).sum())


def test_accept_sampled_keeps_the_targets_distribution() -> None:
    # One proposal from q, verified against p: the first token must follow p, whatever q is,
    # even where q gives nothing (token 3) or much more than p (token 0).
    p = torch.tensor([[0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25]])
    q = torch.tensor([[0.6, 0.3, 0.1, 0.0]])
    generator = torch.Generator().manual_seed(0)
    counts = torch.zeros(4)
    n = 8000
    accepted = 0
    for _ in range(n):
        guess = int(torch.multinomial(q[0], 1, generator=generator))
        out = accept_sampled([guess], q, p, generator)
        counts[out[0]] += 1
        accepted += len(out) == 2
    # 3 degrees of freedom: the 0.999 quantile of chi-square is 16.27.
    assert _chi_square(counts, p[0]) < 16.27
    # Acceptance probability is sum_x min(p(x), q(x)) = 0.1 + 0.2 + 0.1 = 0.4.
    assert accepted / n == pytest.approx(0.4, abs=0.02)


def test_speculative_sampling_follows_the_targets_distribution() -> None:
    # Tiny models over 4 tokens, 2 new tokens: compare the 16 sequences' frequencies with the
    # target's own probabilities p(a) p(b | a), each expected at least 16 times in 1500 runs.
    target = _gpt(0, n_layer=1, n_embd=16, block_size=16, vocab=4, scale=0.1)
    draft = _gpt(5, n_layer=1, n_embd=8, block_size=16, vocab=4, scale=0.1)
    prompt = [1, 2]

    def target_probs(ids: list[int]) -> torch.Tensor:
        with torch.no_grad():
            return torch.softmax(target(torch.tensor([ids]))[0][0, -1], dim=-1)

    exact = torch.tensor(
        [float(target_probs(prompt)[a] * target_probs([*prompt, a])[b])
         for a, b in itertools.product(range(4), repeat=2)]
    )  # fmt: skip
    counts = torch.zeros(16)
    accepted = proposed = 0
    for seed in range(1500):
        config = SamplingConfig(max_new_tokens=2, seed=seed)  # temperature 1: plain sampling
        tokens, stats = speculative_generate(target, draft, prompt, config, k=2)
        counts[4 * tokens[0] + tokens[1]] += 1
        accepted, proposed = accepted + stats.accepted, proposed + stats.proposed
    # 15 degrees of freedom: the 0.999 quantile of chi-square is 37.70.
    assert _chi_square(counts, exact) < 37.70
    assert 0 < accepted < proposed  # the draft was sometimes right, sometimes not


# -- mistakes ---------------------------------------------------------------------------------


def test_clear_errors(target, draft) -> None:
    other_vocab = GPT(GPTConfig(vocab_size=VOCAB + 1, block_size=12, n_layer=1, n_head=2,
                                n_embd=16))  # fmt: skip
    with pytest.raises(ValueError, match="vocabularies differ \\(21 and 20\\)"):
        speculative_generate(target, other_vocab, [1, 2], GREEDY)
    with pytest.raises(ValueError, match="k must be a whole number from 1 to 12"):
        speculative_generate(target, draft, [1, 2], GREEDY, k=0)
    with pytest.raises(ValueError, match="k must be"):
        speculative_generate(target, draft, [1, 2], GREEDY, k=13)
    with pytest.raises(TypeError, match="draft must be the course's GPT or Llama"):
        speculative_generate(target, lambda ids: ids, [1, 2], GREEDY)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="window must be one of"):
        speculative_generate(target, draft, [1, 2], GREEDY, window="wrap")
    with pytest.raises(ValueError, match="outside the model's vocabulary"):
        speculative_generate(target, draft, [1, 99], GREEDY)
    with pytest.raises(ValueError, match="prompt is empty"):
        speculative_generate(target, draft, [], GREEDY)
