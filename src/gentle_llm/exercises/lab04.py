"""Checks for the exercises of Lab 4 (Chapter 4)."""

from __future__ import annotations

import math
from typing import Any

import torch

from gentle_llm.exercises.core import NotYet, choice, exercise, near, number, pair

# The keys of "the hungry cat ate" in section 1: (is a thing, describes something).
HUNGRY_CAT_KEYS = torch.tensor([[0.0, 0.0], [0.0, 2.0], [2.0, 1.0], [0.0, 0.0]])
LOSS_FIRST_COPY = 14.3
LOSS_SECOND_COPY = 4.1


def _query_of_ate(answer: Any) -> torch.Tensor:
    """The learner's query of *ate* as 2 numbers (row 3 if they pass the whole Q)."""
    try:
        query = torch.as_tensor(answer, dtype=torch.float32)
    except (TypeError, ValueError, RuntimeError):
        query = None
    if query is not None and query.shape == (4, 2):
        query = query[3]
    if query is None or query.shape != (2,):
        raise NotYet("pass the new query of 'ate': 2 numbers, such as torch.tensor([2.0, 0.0]).")
    if not torch.isfinite(query).all():
        raise NotYet("the query should hold two finite numbers.")
    return query


@exercise("lab4.query-hungry", "the new query of 'ate', 2 numbers")
def query_hungry(answer: Any) -> None:
    query = _query_of_ate(answer)
    weights = torch.softmax(HUNGRY_CAT_KEYS @ query / math.sqrt(2), dim=-1)
    hungry, cat = weights[1].item(), weights[2].item()
    if weights.argmax().item() == 2:
        raise NotYet(
            "'ate' still looks mostly at 'cat': its query matches the key of 'cat' best."
            " Which feature does only 'hungry' have a lot of in its key?"
        )
    if weights.argmax().item() != 1 or hungry <= cat:
        raise NotYet(
            "'hungry' should get the largest weight: make the query match the key of"
            " 'hungry' better than the others."
        )
    if hungry <= 0.5:
        raise NotYet(
            "'hungry' gets the largest weight, but not most of the attention (more than half):"
            " make the query's match with 'hungry' stronger."
        )


@exercise("lab4.equal-scores", "the weight of each allowed key when all scores are equal")
def equal_scores(answer: Any) -> None:
    near(
        answer,
        0.25,
        "the weight of each allowed key",
        rel=0.0,
        abs_tol=1e-3,
        hints={
            "that spreads the weight over all 6 keys: the causal mask lets row 3 see only"
            " some of them.": lambda v: abs(v - 1 / 6) < 1e-3,
            "count the keys that row 3 may see: rows count from 0, and a token may look at"
            " itself.": lambda v: abs(v - 1 / 3) < 1e-3 or abs(v - 1 / 5) < 1e-3,
            "softmax shares the weight between the allowed keys; a row's weights sum to"
            " 1.": lambda v: abs(v - 1) < 1e-3 or abs(v) < 1e-3,
        },
    )


@exercise("lab4.induction-loss", "a pair: (loss on the first copy, loss on the second copy)")
def induction_loss(answer: Any) -> None:
    pair(answer, "pass a pair: (loss on the first copy, loss on the second copy).")
    first = number(answer[0], "the loss on the first copy")
    second = number(answer[1], "the loss on the second copy")
    if math.isclose(first, LOSS_SECOND_COPY, rel_tol=0.25) and math.isclose(
        second, LOSS_FIRST_COPY, rel_tol=0.05
    ):
        raise NotYet("the two losses are swapped: pass (first copy, second copy).")
    if math.isclose(first, LOSS_FIRST_COPY / math.log(2), rel_tol=0.05):
        raise NotYet(
            "those are bits (log base 2); the loss uses the natural logarithm, as"
            " F.cross_entropy does."
        )
    if second > first:
        raise NotYet(
            "the second copy should be far easier than the first. Check the shift: the"
            " prediction at position t is for token t + 1, so compare logits[:, :-1] with"
            " ids[:, 1:]."
        )
    near(
        first,
        LOSS_FIRST_COPY,
        "the loss on the first copy",
        rel=0.05,
        hints={
            "the first copy is random tokens: the loss should be above a blind guess, ln 49,152."
            " Did you average over the first copy only, with the shift of one token?": lambda v: (
                v < math.log(49_152)
            ),
        },
    )
    near(
        second,
        LOSS_SECOND_COPY,
        "the loss on the second copy",
        rel=0.25,
        hints={
            "average the second copy on its own: its positions start after the start token"
            " and the L tokens of the first copy.": lambda v: v > 2 * LOSS_SECOND_COPY,
        },
    )


@exercise("lab4.head-layers", "one letter, 'a' to 'c'")
def head_layers(answer: Any) -> None:
    choice(
        answer,
        "b",
        {
            "a": "look again at layer 18, head 6 (section 5's hint) and click the second"
            " 'red': where does that layer sit among the 30?",
            "c": "compare the layer numbers of your heads again, and the heat maps of section 5"
            " (each title names its layer and head).",
        },
    )
