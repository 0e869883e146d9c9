"""Lab 6: answers each check must refuse (with a fragment of its message) or accept."""

import math

from gentle_llm.llama import LlamaConfig, parameter_count

LLAMA_65B = parameter_count(
    LlamaConfig(
        vocab_size=32000,
        block_size=2048,
        n_layer=80,
        n_head=64,
        n_kv_head=64,
        n_embd=8192,
        intermediate_size=22016,
        tie_embeddings=False,
    )
)
DAYS = 1.4e12 / (380 * 2048) / 86_400
FRACTION = 6 * LLAMA_65B * 380 / 312e12

WRONG = [
    ("lab6.bits-per-byte", 2.9 / math.log(2), "bits per token"),
    ("lab6.bits-per-byte", 2.9 / 4.2, "nats per byte"),
    ("lab6.bits-per-byte", 2.9 * 4.2 / math.log(2), "not multiplied"),
    ("lab6.bits-per-byte", "0.996", "as a number"),
    ("lab6.llama-speed", DAYS, "pass a pair"),
    ("lab6.llama-speed", (DAYS * 24, FRACTION), "in hours"),
    ("lab6.llama-speed", (DAYS * 2048, FRACTION), "at the same time"),
    ("lab6.llama-speed", (DAYS, 100 * FRACTION), "not a percentage"),
    ("lab6.llama-speed", (DAYS, FRACTION / 3), "not 2N"),
    ("lab6.llama-speed", (DAYS, 6 * LLAMA_65B * 380), "divide it by the peak"),
    ("lab6.chinchilla-size", math.sqrt(4e11 / 120), "100 times larger"),
    ("lab6.chinchilla-size", 100 * math.sqrt(4e11 / 120), "10 times the parameters"),
    ("lab6.chinchilla-size", 4e13 / 120, "square root"),
    ("lab6.chinchilla-size", math.sqrt(4e13 / 6), "20 tokens per parameter"),
    ("lab6.narrow-widths", "a", "width 48"),
    ("lab6.narrow-widths", "c", "width 48"),
    ("lab6.narrow-widths", "yes", "one letter"),
]

RIGHT = [
    ("lab6.bits-per-byte", 0.996),
    ("lab6.bits-per-byte", 2.9 * 1000 / (4200 * math.log(2))),
    ("lab6.llama-speed", (DAYS, FRACTION)),
    ("lab6.llama-speed", (21, 0.48)),
    ("lab6.chinchilla-size", 577_350),
    ("lab6.chinchilla-size", 580_000),
    ("lab6.narrow-widths", "b"),
    ("lab6.narrow-widths", "(B)"),
]
