"""Refit the satisfaction weights to real surveys, and say whether that beats the defaults.

The prediction is linear in its signals (``pipeline.insights.satisfaction.signals``; unknown ones
count 0), so refitting is a ridge regression of the survey score on them, with the base
as the intercept. Whether it helps is judged out of sample: ``FOLDS``-fold cross-validation
(calls shuffled with a fixed seed) gives every call a prediction from weights fitted
without it, and its mean absolute error is compared with the default weights' on the
same calls. The fitted weights (on all the calls) are reported whatever the verdict; they
are only worth using when they beat the defaults out of sample, and with a few dozen
surveys they rarely will by much.

Needs at least ``MIN_SURVEYS`` calls with a survey; fewer and the refit would mostly learn
noise, so it is not attempted.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from pipeline.insights.csat_agreement import spearman
from pipeline.insights.satisfaction import (
    DEFAULT_WEIGHTS,
    SCALE,
    SatisfactionInputs,
    SatisfactionWeights,
    predict,
    signals,
)

MIN_SURVEYS = 50
FOLDS = 5
RIDGE = 1.0  # shrinks weights towards 0 where a signal rarely varies (e.g. overtalk on mono calls)


@dataclass(frozen=True)
class CalibrationReport:
    n: int
    default_mae: float
    calibrated_cv_mae: float
    default_rho: float | None
    calibrated_cv_rho: float | None
    weights: SatisfactionWeights  # fitted on all the calls

    @property
    def beats_default(self) -> bool:
        return self.calibrated_cv_mae < self.default_mae

    def to_json(self) -> dict:
        def r(v: float | None) -> float | None:
            return None if v is None else round(v, 4)

        return {
            "n": self.n, "folds": FOLDS, "default_mae": r(self.default_mae),
            "calibrated_cv_mae": r(self.calibrated_cv_mae), "default_rho": r(self.default_rho),
            "calibrated_cv_rho": r(self.calibrated_cv_rho), "beats_default": self.beats_default,
            "weights": {k: round(v, 3) for k, v in self.weights.__dict__.items()},
        }


def design_matrix(inputs: Sequence[SatisfactionInputs]) -> np.ndarray:
    names = SatisfactionWeights.signal_names()
    rows = []
    for item in inputs:
        x = signals(item)
        rows.append([x[name] or 0.0 for name in names])
    return np.asarray(rows, dtype=float).reshape(len(inputs), len(names))


def fit_weights(x: np.ndarray, y: np.ndarray, ridge: float = RIDGE) -> SatisfactionWeights:
    """Ridge least squares with an unpenalised intercept (the base)."""
    mean_x, mean_y = x.mean(axis=0), y.mean()
    xc = x - mean_x
    coef = np.linalg.solve(xc.T @ xc + ridge * np.eye(x.shape[1]), xc.T @ (y - mean_y))
    base = float(mean_y - mean_x @ coef)
    values = dict(zip(SatisfactionWeights.signal_names(), (float(c) for c in coef)))
    return replace(DEFAULT_WEIGHTS, base=base, **values)


def _predict_all(inputs: Sequence[SatisfactionInputs], weights: SatisfactionWeights) -> list[float]:
    return [predict(item, weights).predicted for item in inputs]


def calibrate(inputs: Sequence[SatisfactionInputs], surveys: Sequence[int], seed: int = 0) -> CalibrationReport:
    """Cross-validated refit of the weights; raises ValueError below ``MIN_SURVEYS`` calls."""
    if len(inputs) != len(surveys):
        raise ValueError("one survey score per call")
    n = len(inputs)
    if n < MIN_SURVEYS:
        raise ValueError(f"calibration needs at least {MIN_SURVEYS} calls with a survey and a prediction (have {n})")
    x, y = design_matrix(inputs), np.asarray(surveys, dtype=float)
    folds = np.array_split(np.random.default_rng(seed).permutation(n), FOLDS)
    held_out = np.zeros(n)
    for fold in folds:
        train = np.setdiff1d(np.arange(n), fold)
        weights = fit_weights(x[train], y[train])
        held_out[fold] = _predict_all([inputs[i] for i in fold], weights)
    default = np.asarray(_predict_all(inputs, DEFAULT_WEIGHTS))
    held_out = np.clip(held_out, *SCALE)
    return CalibrationReport(
        n=n,
        default_mae=float(np.abs(default - y).mean()),
        calibrated_cv_mae=float(np.abs(held_out - y).mean()),
        default_rho=spearman(default.tolist(), y.tolist()),
        calibrated_cv_rho=spearman(held_out.tolist(), y.tolist()),
        weights=fit_weights(x, y),
    )
