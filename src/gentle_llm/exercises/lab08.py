"""Checks for the exercises of Lab 8 (Chapter 8)."""

from __future__ import annotations

import math
from typing import Any

from gentle_llm.exercises.core import NotYet, choice, exercise, number, pair, whole

LORA_RANK = 8
SMOLLM2_LAYERS = 30
Q_AND_V = [(576, 576), (576, 192)]  # (in, out) of q_proj and v_proj
ALL_SEVEN = [*Q_AND_V, (576, 192), (576, 576), (576, 1536), (576, 1536), (1536, 576)]
UNIFORM_LOSS = math.log(65)  # a uniform guess among the tiny GPT's 65 characters


def _lora(shapes: list[tuple[int, int]], rank: int = LORA_RANK, layers: int = 30) -> int:
    return layers * sum(rank * (n_in + n_out) for n_in, n_out in shapes)


def _lora_slips(shapes: list[tuple[int, int]]) -> dict[int, str]:
    """The usual miscounts of a LoRA count, each with what to fix."""
    return {
        _lora(shapes, layers=1): "that is one layer: SmolLM2 has 30, each with its own LoRA.",
        2 * _lora(shapes): "r × (in + out) already counts both small matrices, A (r × in) and"
        " B (out × r): do not double it.",
        SMOLLM2_LAYERS * sum(n_in * n_out for n_in, n_out in shapes): "that is the size of"
        " the frozen matrices W themselves; LoRA adds r × (in + out) numbers for each.",
        _lora(shapes, rank=1): "multiply by the rank r = 8.",
    }


@exercise("lab8.lora-count", "a pair: (LoRA parameters on q and v, on all seven projections)")
def lora_count(answer: Any) -> None:
    q_and_v, seven = pair(answer, "pass a pair: (the count for q and v, the count for all seven).")
    square_v = [(576, 576), (576, 576)]
    whole(
        q_and_v,
        _lora(Q_AND_V),
        "the count for q and v",
        hints={
            **_lora_slips(Q_AND_V),
            _lora(square_v): "v_proj is 576 → 192, not 576 → 576: SmolLM2 has fewer"
            " key/value heads than query heads (grouped-query attention).",
        },
    )
    whole(seven, _lora(ALL_SEVEN), "the count for all seven projections", _lora_slips(ALL_SEVEN))


@exercise("lab8.prompt-loss", "a pair: (prompt-token loss before SFT, after SFT), in nats")
def prompt_loss(answer: Any) -> None:
    pair(
        answer,
        "pass a pair: (the loss on the prompt tokens with the base model, the same with"
        " the fine-tuned model).",
    )
    before = number(answer[0], "the prompt loss before SFT")
    after = number(answer[1], "the prompt loss after SFT")
    if before <= 0 or after <= 0:
        raise NotYet("a cross-entropy loss is above 0: pass the losses, not log-probabilities.")
    if after < UNIFORM_LOSS < before:
        raise NotYet("the pair goes (before SFT, after SFT): yours looks the other way round.")
    if after < UNIFORM_LOSS:
        raise NotYet(
            "after SFT the loss on the prompt tokens should be above ln 65 ≈ 4.17, a uniform"
            " guess: grade the prompt tokens (label -100 but attention mask 1), not the"
            " answer tokens of batch.labels."
        )
    if before > UNIFORM_LOSS:
        raise NotYet(
            "before SFT the base model reads these English questions better than a uniform"
            " guess (below ln 65 ≈ 4.17): compute it with the base model's logits (base), on"
            " the same prompt tokens."
        )


@exercise("lab8.dpo-reference", "a letter: what the loss rewards without the reference model")
def dpo_reference(answer: Any) -> None:
    choice(
        answer,
        "b",
        {
            "a": "the loss sees only the difference log π(y_c) − log π(y_r): lowering the"
            " rejected answer widens it as much as raising the chosen one. Look at how DPO"
            " moved the two answers in the figure of Section 5.",
            "c": "keeping each answer close to the starting model is what the reference terms"
            " add: without them, nothing in the loss compares the model with where it"
            " started.",
        },
    )


@exercise("lab8.no-mask", "a letter: where the prompt loss lands without the mask")
def no_mask(answer: Any) -> None:
    choice(
        answer,
        "a",
        {
            "b": "check that the new model trained on the pairs (p[:1], p[1:] + a), so its"
            " labels cover the prompt, and that you measured that model, not sft_gpt.",
            "c": "compare the new model's prompt loss with before_sft from Exercise 2: is it"
            " close, or far below? The prompts all follow one template.",
        },
    )
