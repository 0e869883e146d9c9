"""Lab 5: answers each check must refuse (with a fragment of its message) or accept."""

import math

WRONG = [
    ("lab5.gpt2-params", 124_439_808 + 50_257 * 768, "ties it to the token embedding"),
    ("lab5.gpt2-params", 124_439_808 - 1_024 * 768, "position embeddings"),
    ("lab5.gpt2-params", "124M", "as a number"),
    ("lab5.gqa-savings", 805_306_368, "pass a pair"),
    ("lab5.gqa-savings", (402_653_184, 525_336_576), "keys and values both"),
    ("lab5.gqa-savings", (805_306_368, 2 * 525_336_576), "not two"),
    ("lab5.loss-meaning", math.exp(-2.0), "one over it"),
    ("lab5.loss-meaning", 4, "not 2^loss"),
    ("lab5.router-gradient", {1: 0.01, 2: 0.01}, "aux_loss_coef=0.0"),
    ("lab5.router-gradient", {1: 0.0, 2: 0.0}, "backward()"),
    ("lab5.router-gradient", [0.0, 0.01], "keys 1 and 2"),
    ("lab5.post-norm-depth", "b", "with 2 blocks"),
    ("lab5.post-norm-depth", "c", "with 1 block"),
    ("lab5.post-norm-depth", "d", "one letter"),
    ("lab5.warm-up", "b", "warmup_steps=0"),
    ("lab5.warm-up", "c", "character-frequency"),
    ("lab5.warm-up", 1, "one letter"),
    ("lab5.clipping", "b", "largest one below 1"),
    ("lab5.clipping", "c", "which is lower"),
    ("lab5.clipping", "no idea", "one letter"),
]

RIGHT = [
    ("lab5.gpt2-params", 124_439_808),
    ("lab5.gqa-savings", (805_306_368, 525_336_576)),
    ("lab5.loss-meaning", 7.4),
    ("lab5.router-gradient", {1: 0.0, 2: 3e-3}),
    ("lab5.post-norm-depth", "(a)"),
    ("lab5.warm-up", " A "),
    ("lab5.clipping", "a"),
]
