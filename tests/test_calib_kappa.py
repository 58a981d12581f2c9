"""Calibration kappa against the reference implementations on the same ratings: statsmodels' Fleiss kappa
(3 or more raters, through aggregate_raters) and scikit-learn's Cohen kappa (2 raters), equal to 1e-9;
the edge cases (perfect agreement, one verdict only) and the bootstrap interval's behaviour."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

from pipeline.stats.rater_agreement import item_agreement, kappa, kappa_interval, percent_agreement
from usecases.calibration_sessions import VERDICTS, criterion_agreement

K = 3  # pass, fail, na


def reference(ratings: np.ndarray) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the references warn (and answer NaN) where kappa is undefined
        if ratings.shape[1] == 2:
            return float(cohen_kappa_score(ratings[:, 0], ratings[:, 1]))
        return float(fleiss_kappa(aggregate_raters(ratings, n_cat=K)[0]))


def generated(seed: int, calls: int, raters: int, noise: float) -> np.ndarray:
    """Raters who copy a true verdict per call, each replacing it by a random one with probability ``noise``."""
    rng = np.random.default_rng(seed)
    truth = rng.choice(K, size=calls, p=[0.6, 0.3, 0.1])
    ratings = np.repeat(truth[:, None], raters, axis=1)
    swap = rng.random((calls, raters)) < noise
    ratings[swap] = rng.integers(0, K, size=int(swap.sum()))
    return ratings


TABLES = [(seed, calls, raters, noise) for seed, (calls, raters, noise) in enumerate([
    (2, 2, 0.5), (5, 2, 0.3), (12, 2, 0.2), (40, 2, 0.6), (3, 3, 0.4), (8, 3, 0.2), (20, 4, 0.3),
    (30, 5, 0.5), (50, 7, 0.1), (100, 3, 0.9), (15, 6, 0.0 + 0.35),
])]


@pytest.mark.parametrize(("seed", "calls", "raters", "noise"), TABLES)
def test_kappa_equals_the_reference(seed, calls, raters, noise):
    ratings = generated(seed, calls, raters, noise)
    expected = reference(ratings)
    assert np.isfinite(expected)
    assert kappa(ratings, K) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("raters", [2, 3, 5])
def test_the_use_case_reports_the_reference_kappa_from_named_verdicts(raters):
    ratings = generated(7 + raters, 25, raters, 0.3)
    names = [f"r{i}" for i in range(raters)]
    table = {f"call{c}": {names[r]: VERDICTS[ratings[c, r]] for r in range(raters)} for c in range(25)}
    figures = criterion_agreement("greeting", table, names, {})
    assert figures.method == ("cohen" if raters == 2 else "fleiss")
    assert figures.kappa == pytest.approx(reference(ratings), abs=1e-9)
    assert figures.low is not None and figures.high is not None and figures.low <= figures.kappa <= figures.high
    pairs = np.mean([(ratings[c, :, None] == ratings[c, None, :]).sum() - raters for c in range(25)]) / (
        raters * (raters - 1))
    assert figures.agreement == pytest.approx(pairs, abs=1e-12)


@pytest.mark.parametrize("raters", [2, 3, 4])
def test_perfect_agreement_over_two_verdicts_is_kappa_one(raters):
    ratings = np.repeat(np.array([0, 1, 1, 0, 2, 0])[:, None], raters, axis=1)
    assert reference(ratings) == pytest.approx(1.0, abs=1e-9)
    assert kappa(ratings, K) == pytest.approx(1.0, abs=1e-9)
    assert percent_agreement(ratings) == 1.0


@pytest.mark.parametrize("raters", [2, 3, 5])
def test_one_verdict_only_leaves_kappa_undefined_and_agreement_complete(raters):
    """Everyone said "pass" on every call: chance explains it all, so kappa is 0/0 (the references say NaN too).
    The page shows no kappa, 100% agreement, and says why."""
    ratings = np.zeros((6, raters), dtype=int)
    assert np.isnan(reference(ratings)) and np.isnan(kappa(ratings, K))
    names = [f"r{i}" for i in range(raters)]
    figures = criterion_agreement("greeting", {f"c{i}": dict.fromkeys(names, "pass") for i in range(6)}, names,
                                  {f"c{i}": "fail" for i in range(6)})
    assert figures.kappa is None and figures.one_verdict and figures.agreement == 1.0
    assert figures.low is None and figures.high is None  # every resample has one verdict too
    assert (figures.machine_agrees, figures.machine_compared) == (0, 6)


def test_no_interval_under_five_calls():
    names = ["a", "b", "c"]
    ratings = generated(5, 5, 3, 0.4)
    table = {f"c{i}": {n: VERDICTS[ratings[i, j]] for j, n in enumerate(names)} for i in range(5)}
    five = criterion_agreement("greeting", table, names, {})
    four = criterion_agreement("greeting", {k: table[k] for k in list(table)[:4]}, names, {})
    assert five.low is not None and four.low is None and four.kappa is not None


def test_total_disagreement_between_two_raters_is_negative():
    ratings = np.array([[0, 1], [1, 0], [0, 1], [1, 0]])
    assert kappa(ratings, K) == pytest.approx(reference(ratings), abs=1e-9) and kappa(ratings, K) == -1.0
    assert percent_agreement(ratings) == 0.0


def test_item_agreement_is_the_share_of_agreeing_pairs():
    ratings = np.array([[0, 0, 0], [0, 0, 1], [0, 1, 2]])
    assert list(item_agreement(ratings)) == pytest.approx([1.0, 1 / 3, 0.0])


def test_bootstrap_interval_is_seeded_narrows_with_calls_and_needs_two_calls():
    small, large = generated(3, 10, 3, 0.3), generated(3, 400, 3, 0.3)
    first, again = kappa_interval(small, K), kappa_interval(small, K)
    assert first == again  # the same ratings give the same interval
    wide, narrow = kappa_interval(small, K), kappa_interval(large, K)
    assert wide is not None and narrow is not None
    assert narrow.high - narrow.low < (wide.high - wide.low) / 3
    assert narrow.low <= kappa(large, K) <= narrow.high
    assert kappa_interval(small[:1], K) is None


def test_the_interval_covers_the_true_kappa_most_of_the_time():
    """Raters who copy the truth with probability 1 - noise: the population kappa of a big sample is the
    truth the intervals of small samples should cover in about 95% of draws (loosely: 85% or more)."""
    truth = kappa(generated(999, 200_000 // 10, 3, 0.4), K)
    covered = 0
    for seed in range(60):
        interval = kappa_interval(generated(seed, 60, 3, 0.4), K, resamples=500)
        assert interval is not None
        covered += interval.low <= truth <= interval.high
    assert covered >= 51
