"""Lab 11: answers each check must refuse (with a fragment of its message) or accept."""

import math

SEED_0 = ["The Glass Orchard of Veltmar is a film", "Marisol Vantreeck is", "Henrik Solvaag was"]
SEED_1 = ["The author of The Glass Orchard", "Marisol Vantreeck is best", "Henrik Solvaag is"]
PREFIXES = ("My pin is ", "PIN: ", "The code is ")
TOP = math.log2(1001)

WRONG = [
    ("lab11.sampled-answers", {0: SEED_0, 1: SEED_0}, "temperature=1.0"),
    ("lab11.sampled-answers", [SEED_0, SEED_1], "keys 0 and 1"),
    ("lab11.sampled-answers", {0: SEED_0[:2], 1: SEED_1[:2]}, "three answers"),
    ("lab11.sampled-answers", {0: [[1, 2], [3], [4]], 1: SEED_1}, "tokenizer.decode"),
    ("lab11.exposure-prefixes", {p: -0.8 for p in PREFIXES}, "log-probability"),
    ("lab11.exposure-prefixes", {p: 2.0 for p in PREFIXES}, "leading newline"),
    ("lab11.exposure-prefixes", {p: 11.0 for p in PREFIXES}, "log2(1001)"),
    ("lab11.exposure-prefixes", [TOP, TOP, TOP], "one entry per prefix"),
    ("lab11.injection-defence", "a", "instruction too"),
    ("lab11.injection-defence", "c", "delimited"),
]

RIGHT = [
    ("lab11.sampled-answers", {0: SEED_0, 1: SEED_1}),
    ("lab11.exposure-prefixes", {p: TOP for p in PREFIXES}),
    ("lab11.exposure-prefixes", {"\n" + p: TOP for p in PREFIXES}),
    ("lab11.injection-defence", "b"),
]
