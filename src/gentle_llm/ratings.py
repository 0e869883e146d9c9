"""Ranking models from head-to-head votes: Bradley–Terry ratings on the Elo scale (Chapter 10).

Chapter 10 explains how leaderboards built from people's votes work, such as Chatbot Arena
(Chiang et al., 2024, "Chatbot Arena: An Open Platform for Evaluating LLMs by Human
Preference"). Someone sees two anonymous answers and picks the better one. The Bradley–Terry
model gives every model a strength ``p`` and says model i beats model j with probability
``p_i / (p_i + p_j)``. On the Elo scale, rating ``R = 400 · log10(p) + constant``, so a
400-point lead means 10-to-1 odds of winning.

* :func:`simulate_battles` draws votes between models of known ratings.
* :func:`fit_ratings` finds the strengths that make the observed votes most likely, with the
  minorisation–maximisation algorithm of Hunter (2004, "MM algorithms for generalized
  Bradley–Terry models"), reports them on the Elo scale with the **mean rating set to 1000**
  (or a chosen model at 1000), adds bootstrap 95 % intervals, and ranks the models the way
  Chatbot Arena does: rank = 1 + the number of models whose interval lies wholly above this
  one's, so models whose intervals overlap can share a rank.

Votes are ``(winner, loser)`` pairs of model indices (or names, with ``names``); ties are not
modelled.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from gentle_llm import checks

__all__ = [
    "ELO_SCALE",
    "Ratings",
    "fit_bradley_terry",
    "fit_ratings",
    "simulate_battles",
    "win_probability",
    "wins_matrix",
]

ELO_SCALE = 400 / math.log(10)  # Elo points per unit of natural-log strength


@dataclass
class Ratings:
    """Fitted ratings, best first: ``names``, ``elo``, 95 % ``lower``/``upper``, ``rank``."""

    names: list[str]
    elo: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    rank: np.ndarray
    battles: int

    def __str__(self) -> str:
        rows = [f"{'rank':>4}  {'model':<16} {'Elo':>7}  95% interval"]
        for i, name in enumerate(self.names):
            rows.append(
                f"{self.rank[i]:>4}  {name:<16} {self.elo[i]:>7.1f}  "
                f"[{self.lower[i]:.1f}, {self.upper[i]:.1f}]"
            )
        return "\n".join(rows)


def win_probability(lead: float | np.ndarray) -> float | np.ndarray:
    """How often a model ``lead`` Elo points ahead wins a vote (Chapter 10): 10-to-1 at 400."""
    return 1 / (1 + 10 ** (-lead / 400))


def simulate_battles(
    ratings: Sequence[float] | Mapping[str, float], n: int, seed: int = 0
) -> list[tuple[int, int]] | list[tuple[str, str]]:
    """``n`` votes ``(winner, loser)`` between random pairs of models with these Elo ratings.

    Each vote picks two different models uniformly, and the first wins with the Bradley–Terry
    probability ``1 / (1 + 10 ** ((R_second − R_first) / 400))``. A mapping of names to ratings
    gives votes by name; a sequence gives indices.
    """
    names = list(ratings) if isinstance(ratings, Mapping) else None
    values = np.array([checks.number(float(r), "rating") for r in _values(ratings)])
    fix = "simulate_battles needs at least two models' ratings."
    checks.not_empty(values, "ratings", fix, minimum=2)
    n = checks.whole_number(n, "n")
    rng = np.random.default_rng(seed)
    first = rng.integers(0, len(values), n)
    # A second model different from the first: shift by 1 .. k-1 places, around the circle.
    second = (first + rng.integers(1, len(values), n)) % len(values)
    p_first = win_probability(values[first] - values[second])
    first_wins = rng.random(n) < p_first
    winners = np.where(first_wins, first, second).tolist()
    losers = np.where(first_wins, second, first).tolist()
    if names is not None:
        return [(names[w], names[lo]) for w, lo in zip(winners, losers, strict=True)]
    return list(zip(winners, losers, strict=True))


def wins_matrix(battles: Sequence[tuple[int, int]], n_models: int) -> np.ndarray:
    """``W[i, j]`` = how many times model i beat model j."""
    n_models = checks.whole_number(n_models, "n_models", minimum=2)
    pairs = np.asarray(battles, dtype=np.int64).reshape(-1, 2)
    if pairs.size and (pairs.min() < 0 or pairs.max() >= n_models):
        raise ValueError(f"Model indices must be 0 to {n_models - 1}; pass names= for names.")
    flat = np.bincount(pairs[:, 0] * n_models + pairs[:, 1], minlength=n_models * n_models)
    return flat.reshape(n_models, n_models).astype(np.float64)


def fit_bradley_terry(
    wins: np.ndarray, prior: float = 1.0, max_iter: int = 10_000, tol: float = 1e-9
) -> np.ndarray:
    """Bradley–Terry log-strengths (natural log, mean 0) from a wins matrix, by MM.

    Each MM step sets ``p_i = wins_i / Σ_j n_ij / (p_i + p_j)``, where ``n_ij`` counts games
    between i and j; every step raises the likelihood (Hunter, 2004). A model that never lost
    would have infinite strength, so ``prior`` adds that many virtual wins to every pair, in
    both directions; it pulls ratings slightly towards each other and matters little once each
    pair has played hundreds of games (``prior=0`` is the plain maximum-likelihood fit).
    """
    wins = np.asarray(wins, dtype=np.float64)
    # NaN would slip through a "< 0" test and turn every rating into NaN.
    counts_ok = bool((np.isfinite(wins) & (wins >= 0)).all())
    if wins.ndim != 2 or wins.shape[0] != wins.shape[1] or not counts_ok:
        raise ValueError(
            "wins must be a square matrix of non-negative counts, W[i, j] (no NaN or infinity)."
        )
    prior = checks.number(prior, "prior", low=0)
    wins = wins + prior * (1 - np.eye(len(wins)))
    if ((wins.sum(axis=1) == 0) | (wins.sum(axis=0) == 0)).any():
        raise ValueError(
            "A model never won (or never lost), so its rating would be infinite; use prior > 0."
        )
    games = wins + wins.T
    total_wins = wins.sum(axis=1)
    log_p = np.zeros(len(wins))
    for _ in range(max_iter):
        p = np.exp(log_p)
        new = np.log(total_wins / (games / (p[:, None] + p[None, :])).sum(axis=1))
        new -= new.mean()  # only ratios matter: keep the mean log-strength at 0
        done = np.abs(new - log_p).max() < tol
        log_p = new
        if done:
            break
    return log_p


def fit_ratings(
    battles: Sequence[tuple[int, int]] | Sequence[tuple[str, str]],
    names: Sequence[str] | None = None,
    *,
    anchor: str | None = None,
    n_bootstrap: int = 200,
    seed: int = 0,
    prior: float = 1.0,
) -> Ratings:
    """Elo-scale Bradley–Terry ratings, 95 % bootstrap intervals and arena-style ranks.

    ``battles`` are ``(winner, loser)`` pairs of indices, or of names listed in ``names``
    (given ``names``, either works). Ratings have mean 1000, or ``anchor``'s rating is 1000.
    The intervals hold the middle 95 % of the ratings fitted to ``n_bootstrap`` resamples of
    the votes (drawn with replacement, as many as there are votes).
    """
    checks.not_empty(battles, "battles", "fit_ratings needs at least one (winner, loser) vote.")
    n_bootstrap = checks.whole_number(n_bootstrap, "n_bootstrap", minimum=10)
    indexed, names = _as_indices(battles, names)
    k = len(names)
    if anchor is not None:
        checks.one_of(anchor, "anchor", names)

    def elo(pairs: np.ndarray) -> np.ndarray:
        ratings = ELO_SCALE * fit_bradley_terry(wins_matrix(pairs, k), prior=prior)
        offset = ratings[names.index(anchor)] if anchor is not None else ratings.mean()
        return ratings - offset + 1000

    estimate = elo(indexed)
    rng = np.random.default_rng(seed)
    samples = np.stack(
        [elo(indexed[rng.integers(0, len(indexed), len(indexed))]) for _ in range(n_bootstrap)]
    )
    lower, upper = np.percentile(samples, [2.5, 97.5], axis=0)
    rank = 1 + (lower[None, :] > upper[:, None]).sum(axis=1)
    order = np.argsort(-estimate, kind="stable")
    return Ratings(
        names=[names[i] for i in order],
        elo=estimate[order],
        lower=lower[order],
        upper=upper[order],
        rank=rank[order],
        battles=len(indexed),
    )


# -- helpers --------------------------------------------------------------------------------


def _values(ratings: Sequence[float] | Mapping[str, float]) -> list[float]:
    return list(ratings.values()) if isinstance(ratings, Mapping) else list(ratings)


def _as_indices(
    battles: Sequence[tuple[int, int]] | Sequence[tuple[str, str]], names: Sequence[str] | None
) -> tuple[np.ndarray, list[str]]:
    """Votes as an [n, 2] index array, and every model's name."""
    first = battles[0][0]
    if isinstance(first, str):
        if names is None:
            names = sorted({m for pair in battles for m in pair})
        position = {name: i for i, name in enumerate(names)}
        unknown = sorted({m for pair in battles for m in pair} - position.keys())
        if unknown:
            raise ValueError(f"These models are not in names: {unknown[:5]}.")
        pairs = np.array([(position[w], position[lo]) for w, lo in battles], dtype=np.int64)
    else:
        pairs = np.asarray(battles, dtype=np.int64).reshape(-1, 2)
        if names is None:
            names = [f"model {i}" for i in range(int(pairs.max()) + 1)]
    checks.not_empty(names, "names", "ratings need at least two models.", minimum=2)
    if (pairs[:, 0] == pairs[:, 1]).any():
        raise ValueError("A vote has the same model as winner and loser.")
    return pairs, list(names)
