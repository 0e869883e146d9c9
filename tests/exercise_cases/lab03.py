"""Lab 3: answers each check must refuse (with a fragment of its message) or accept."""

import math

import torch

QUERY = "What will the weather be like this weekend?"

WRONG = [
    ("lab3.monday-neighbours", "a", "side by side"),
    ("lab3.monday-neighbours", "c", "without the space"),
    ("lab3.word-arithmetic", " king", "one of the three words"),
    ("lab3.word-arithmetic", " Queen", "highest cosine similarity"),
    ("lab3.word-arithmetic", (" queen", 0.716), "as a string"),
    ("lab3.pca-axis", "a", "either side of zero"),
    ("lab3.pca-axis", "c", "nearly every verb"),
    ("lab3.break-search", (QUERY, "The weather is nice.", "Rain on Sunday."), "three words"),
    (
        "lab3.break-search",
        (QUERY, "The weather app crashed this weekend.", "Showers are likely on the weekend."),
        "no word at all",
    ),
    ("lab3.break-search", ("The weather app crashed.", "Rain on Sunday."), "three strings"),
    ("lab3.rope-turn", 360, "not 1 degree"),
    ("lab3.rope-turn", math.pi, "half a turn"),
    ("lab3.rope-turn", 7, "past its start"),
    ("lab3.rope-turn", 4 * math.pi, "two full turns"),
    ("lab3.positions-order", True, "moves each position along with its token"),
    ("lab3.positions-order", torch.tensor(True), "moves each position along with its token"),
    ("lab3.positions-order", "False", "True or False"),
]

RIGHT = [
    ("lab3.monday-neighbours", "b"),
    ("lab3.word-arithmetic", " queen"),
    ("lab3.word-arithmetic", "queen"),
    ("lab3.pca-axis", "b"),
    (
        "lab3.break-search",
        (
            QUERY,
            "The weather app crashed when I opened it this weekend.",
            "Expect showers on Saturday and Sunday.",
        ),
    ),
    ("lab3.rope-turn", 6),
    ("lab3.rope-turn", 2 * math.pi),
    ("lab3.positions-order", False),
    ("lab3.positions-order", torch.tensor(False)),
]
