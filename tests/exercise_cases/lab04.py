"""Lab 4: answers each check must refuse (with a fragment of its message) or accept."""

import math

import torch

WRONG = [
    ("lab4.query-hungry", torch.tensor([2.0, 0.0]), "still looks mostly at 'cat'"),
    ("lab4.query-hungry", torch.tensor([0.0, 0.0]), "should get the largest weight"),
    ("lab4.query-hungry", [0.0, 0.5], "not most of the attention"),
    ("lab4.query-hungry", [0.0, 2.0, 0.0], "2 numbers"),
    ("lab4.equal-scores", 1 / 6, "causal mask"),
    ("lab4.equal-scores", 1 / 3, "count the keys"),
    ("lab4.equal-scores", 1.0, "sum to 1"),
    ("lab4.induction-loss", (4.13, 14.29), "swapped"),
    ("lab4.induction-loss", (10.97, 13.25), "the prediction at position t is for token t + 1"),
    ("lab4.induction-loss", (14.29 / math.log(2), 4.13 / math.log(2)), "bits"),
    ("lab4.induction-loss", (9.5, 4.13), "blind guess"),
    ("lab4.induction-loss", 14.29, "pass a pair"),
    ("lab4.head-layers", "a", "layer 18, head 6"),
    ("lab4.head-layers", "c", "layer numbers"),
]

RIGHT = [
    ("lab4.query-hungry", torch.tensor([0.0, 2.0])),
    ("lab4.query-hungry", [[0.0, 0.0], [0.0, 0.0], [0.0, 1.0], [-2.0, 2.0]]),
    ("lab4.equal-scores", 0.25),
    ("lab4.induction-loss", (14.29, 4.13)),
    ("lab4.induction-loss", (torch.tensor(14.43), torch.tensor(3.53))),
    ("lab4.head-layers", "b"),
]
