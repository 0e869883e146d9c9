"""Checks for the exercises of Lab 5, the transformer decoder (Chapter 5)."""

from __future__ import annotations

import math
from typing import Any

from gentle_llm.exercises.core import NotYet, choice, exercise, near, number, pair, whole

GPT2_SMALL = 124_439_808
GPT2_TOKEN_TABLE = 50_257 * 768
GPT2_POSITIONS = 1_024 * 768


@exercise("lab5.gpt2-params", "GPT-2 small's parameter count, a whole number")
def gpt2_params(answer: Any) -> None:
    whole(
        answer,
        GPT2_SMALL,
        "GPT-2 small's parameter count",
        hints={
            GPT2_SMALL + GPT2_TOKEN_TABLE: "you counted the output layer as a matrix of its own:"
            " GPT-2 ties it to the token embedding, so it adds no parameters.",
            GPT2_SMALL - GPT2_POSITIONS: "the learned position embeddings are missing"
            " (one row of 768 per position of the context).",
        },
    )


@exercise("lab5.gqa-savings", "a pair: (what grouped-query attention saves, what tying would save)")
def gqa_savings(answer: Any) -> None:
    gqa, tying = pair(
        answer, "pass a pair: (what grouped-query attention saves, what tying would save)."
    )
    whole(
        gqa,
        805_306_368,
        "the saving of grouped-query attention",
        hints={
            402_653_184: "that is one of the two matrices per layer: keys and values both shrink.",
        },
    )
    whole(
        tying,
        525_336_576,
        "the saving of tying",
        hints={
            2 * 525_336_576: "tying removes one matrix (the output layer), not two.",
        },
    )


@exercise("lab5.loss-meaning", "about how many tokens a loss of 2.0 hesitates between, a number")
def loss_meaning(answer: Any) -> None:
    value = number(answer, "the number of tokens")
    near(
        value,
        math.exp(2.0),
        "the number of tokens",
        rel=0.1,
        hints={
            "that is the probability the model gives the true token (e^-2); the number of tokens"
            " it hesitates between is one over it.": lambda v: abs(v - math.exp(-2.0)) < 0.02,
            "that is the starting loss ln V of an untrained model; the question is about a loss"
            " of 2.0.": lambda v: abs(v - math.log(49_152)) < 0.1,
            "a loss is measured in nats (natural logarithms), so undo it with e^loss, not"
            " 2^loss.": lambda v: abs(v - 4.0) < 0.01,
        },
    )


@exercise("lab5.router-gradient", "a dict {top_k: largest router gradient} for top_k 1 and 2")
def router_gradient(answer: Any) -> None:
    if not isinstance(answer, dict) or set(answer) != {1, 2}:
        raise NotYet(
            "pass a dict with keys 1 and 2: the largest absolute router gradient"
            " for top_k=1 and for top_k=2."
        )
    top1 = number(answer[1], "the top_k=1 gradient")
    top2 = number(answer[2], "the top_k=2 gradient")
    if top2 < 1e-4:
        raise NotYet(
            "the top_k=2 gradient should be clearly above zero: did you call"
            " backward() on the loss before reading router.gate.weight.grad?"
        )
    if top1 > 1e-6:
        raise NotYet(
            "with top_k=1 the router's gradient from the loss should be zero: build"
            " the model with aux_loss_coef=0.0, so the balancing loss adds none."
        )


@exercise("lab5.post-norm-depth", "one letter, 'a' to 'c'")
def post_norm_depth(answer: Any) -> None:
    choice(
        answer,
        "a",
        {
            "b": "compare the two orders' last validation losses with 2 blocks: is post-norm"
            " within a few hundredths of pre-norm, or still near the character-frequency loss?",
            "c": "with 1 block, compare post-norm's last validation loss with the"
            " character-frequency loss printed under the table: has it moved below it?",
        },
    )


@exercise("lab5.warm-up", "one letter, 'a' to 'c'")
def warm_up(answer: Any) -> None:
    choice(
        answer,
        "a",
        {
            "b": "compare pre-norm's last validation loss with the 2.4 or so it reached with the"
            " warm-up: check that the cell ran with warmup_steps=0 and n_layer=4.",
            "c": "look again at the two rows: which order is still near the character-frequency"
            " loss printed under the table?",
        },
    )


@exercise("lab5.clipping", "one letter, 'a' to 'c'")
def clipping(answer: Any) -> None:
    choice(
        answer,
        "a",
        {
            "b": "record the gradient lengths of an unclipped run (the hint under the exercise"
            " shows how): is the largest one below 1?",
            "c": "compare each seed's last validation loss without clipping with the same seed's"
            " with clipping: which is lower?",
        },
    )
