"""gentle_llm.ratings: Bradley–Terry fits recover known strengths; intervals and tied ranks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gentle_llm.ratings import (
    ELO_SCALE,
    fit_bradley_terry,
    fit_ratings,
    simulate_battles,
    win_probability,
    wins_matrix,
)

TRUE = {"alpha": 1200.0, "beta": 1100.0, "gamma": 1000.0, "delta": 950.0, "eps": 750.0}


def test_recovers_known_strengths_within_25_elo():
    # Measured over seeds 0-9 with 20 000 votes: at most 8.5 points off (mean rating 1000).
    battles = simulate_battles(TRUE, 20_000, seed=0)
    ratings = fit_ratings(battles, names=list(TRUE), n_bootstrap=20)
    fitted = dict(zip(ratings.names, ratings.elo, strict=True))
    assert ratings.names == list(TRUE)  # best first
    assert max(abs(fitted[m] - r) for m, r in TRUE.items()) < 25
    assert np.mean(ratings.elo) == pytest.approx(1000.0)
    assert list(ratings.rank) == [1, 2, 3, 4, 5]
    assert all(
        lo < e < hi for lo, e, hi in zip(ratings.lower, ratings.elo, ratings.upper, strict=True)
    )


def test_mm_solves_the_likelihood_equations():
    """At the maximum of the likelihood, each model's expected wins equal its actual wins."""
    wins = wins_matrix(simulate_battles([0, 150, 300], 3000, seed=5), 3)
    p = np.exp(fit_bradley_terry(wins, prior=0))
    games = wins + wins.T
    expected = (games * p[:, None] / (p[:, None] + p[None, :])).sum(axis=1)
    assert np.allclose(expected, wins.sum(axis=1), rtol=1e-6)


def test_simulated_win_rate_follows_the_elo_formula():
    battles = simulate_battles([1400.0, 1000.0], 20_000, seed=1)
    share = np.mean([w == 0 for w, _ in battles])
    assert share == pytest.approx(1 / (1 + 10 ** (-400 / 400)), abs=0.01)  # 10:1 odds
    assert simulate_battles([1400.0, 1000.0], 50, seed=1) == simulate_battles(
        [1400.0, 1000.0], 50, seed=1
    )


def test_intervals_shrink_with_more_votes():
    few = fit_ratings(simulate_battles(TRUE, 1_000, seed=2), names=list(TRUE), n_bootstrap=50)
    many = fit_ratings(simulate_battles(TRUE, 16_000, seed=2), names=list(TRUE), n_bootstrap=50)
    few_width = np.mean(few.upper - few.lower)
    many_width = np.mean(many.upper - many.lower)
    # 16 times the votes: intervals about 4 times narrower (1 / sqrt of the count).
    assert 2.5 < few_width / many_width < 6


def test_equal_strengths_share_a_rank():
    ratings = fit_ratings(simulate_battles([1000.0] * 4, 4_000, seed=3), n_bootstrap=50)
    assert list(ratings.rank) == [1, 1, 1, 1]
    # A clearly weaker fifth model ranks below all four, which still tie with each other.
    ratings = fit_ratings(simulate_battles([1000.0] * 4 + [700.0], 5_000, seed=3), n_bootstrap=50)
    assert list(ratings.rank) == [1, 1, 1, 1, 5]
    assert ratings.names[-1] == "model 4"


def test_anchor_and_prior():
    battles = simulate_battles(TRUE, 5_000, seed=4)
    anchored = fit_ratings(battles, names=list(TRUE), anchor="gamma", n_bootstrap=10)
    assert dict(zip(anchored.names, anchored.elo, strict=True))["gamma"] == pytest.approx(1000)
    # A model that never loses is finite only thanks to the prior.
    unbeaten = [(0, 1)] * 10 + [(1, 2), (2, 1)]
    assert np.isfinite(fit_bradley_terry(wins_matrix(unbeaten, 3))).all()
    with pytest.raises(ValueError, match="never won"):
        fit_bradley_terry(wins_matrix(unbeaten, 3), prior=0)
    # The Elo scale: 400 points per factor of 10 in strength.
    assert ELO_SCALE * math.log(10) == pytest.approx(400)


def test_rating_errors():
    with pytest.raises(ValueError, match="at least one"):
        fit_ratings([])
    with pytest.raises(ValueError, match="not in names"):
        fit_ratings([("a", "b")], names=["a", "c"])
    with pytest.raises(ValueError, match="same model"):
        fit_ratings([(1, 1), (0, 1)])
    with pytest.raises(ValueError, match="anchor must be one of"):
        fit_ratings([("a", "b"), ("b", "a")], anchor="z")
    with pytest.raises(ValueError, match="at least two models"):
        simulate_battles([1000.0], 10)


def test_win_probability_is_the_elo_curve() -> None:
    assert win_probability(0.0) == 0.5
    assert abs(win_probability(400.0) - 10 / 11) < 1e-12  # 10-to-1 odds at a 400-point lead
    assert abs(win_probability(-150.0) + win_probability(150.0) - 1) < 1e-12
