"""How well predicted satisfaction agrees with real survey scores (CSAT, 1-5).

From (predicted, surveyed) pairs, one per call with both:

- ``rho``: Spearman's rank correlation (do calls the model ranks lower get lower surveys?),
  with a percentile bootstrap 95% interval (calls resampled with replacement,
  ``BOOTSTRAP_ROUNDS`` times, fixed seed so a report is repeatable). Undefined (None) when
  either side is constant, as for a model that predicts the same value for every call.
- ``mae``: mean absolute error of the unrounded prediction, in points of the scale.
- ``exact`` / ``within_1``: shares of calls whose rounded prediction (halves up) equals the
  survey, or is at most one point off.
- ``confusion``: 5×5 counts, rows the survey score 1..5, columns the rounded prediction 1..5.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy.stats import spearmanr

from pipeline.insights.satisfaction import rounded_score

GRADES = (1, 2, 3, 4, 5)
BOOTSTRAP_ROUNDS = 1000
CONFIDENCE = 0.95


@dataclass(frozen=True)
class CsatAgreement:
    n: int
    rho: float | None
    rho_low: float | None
    rho_high: float | None
    mae: float | None
    exact: float | None
    within_1: float | None
    confusion: tuple[tuple[int, ...], ...]  # [survey 1..5][rounded prediction 1..5]
    mean_predicted: float | None
    mean_surveyed: float | None

    def to_json(self) -> dict:
        def r(v: float | None) -> float | None:
            return None if v is None else round(v, 4)

        return {
            "n": self.n, "rho": r(self.rho), "rho_ci95": [r(self.rho_low), r(self.rho_high)],
            "mae": r(self.mae), "exact": r(self.exact), "within_1": r(self.within_1),
            "mean_predicted": r(self.mean_predicted), "mean_surveyed": r(self.mean_surveyed),
            "confusion": {"rows": "survey 1..5", "columns": "rounded prediction 1..5",
                          "counts": [list(row) for row in self.confusion]},
        }


def spearman(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Spearman's rho (ties ranked by their mean rank); None when undefined (fewer than 3 pairs, or a constant side)."""
    if len(x) < 3 or len(set(x)) < 2 or len(set(y)) < 2:
        return None
    value = float(spearmanr(x, y).statistic)
    return None if math.isnan(value) else value


def bootstrap_rho(x: Sequence[float], y: Sequence[float], rounds: int = BOOTSTRAP_ROUNDS,
                  seed: int = 0) -> tuple[float | None, float | None]:
    """Percentile bootstrap interval of Spearman's rho (resamples where it is undefined are skipped)."""
    if spearman(x, y) is None:
        return None, None
    rng = np.random.default_rng(seed)
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    values = []
    for _ in range(rounds):
        idx = rng.integers(0, len(xs), len(xs))
        rho = spearman(xs[idx].tolist(), ys[idx].tolist())
        if rho is not None:
            values.append(rho)
    if not values:
        return None, None
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def agreement(pairs: Sequence[tuple[float, int]], rounds: int = BOOTSTRAP_ROUNDS, seed: int = 0) -> CsatAgreement:
    """Agreement of (predicted 1..5, surveyed 1..5) pairs."""
    predicted = [float(p) for p, _ in pairs]
    surveyed = [int(s) for _, s in pairs]
    if any(s not in GRADES for s in surveyed):
        raise ValueError("survey scores must be integers 1..5")
    confusion = [[0] * len(GRADES) for _ in GRADES]
    for p, s in zip(predicted, surveyed):
        confusion[s - 1][rounded_score(p) - 1] += 1
    n = len(pairs)
    if not n:
        return CsatAgreement(0, None, None, None, None, None, None, tuple(tuple(r) for r in confusion), None, None)
    low, high = bootstrap_rho(predicted, surveyed, rounds, seed)
    return CsatAgreement(
        n=n,
        rho=spearman(predicted, surveyed),
        rho_low=low,
        rho_high=high,
        mae=sum(abs(p - s) for p, s in zip(predicted, surveyed)) / n,
        exact=sum(rounded_score(p) == s for p, s in zip(predicted, surveyed)) / n,
        within_1=sum(abs(rounded_score(p) - s) <= 1 for p, s in zip(predicted, surveyed)) / n,
        confusion=tuple(tuple(r) for r in confusion),
        mean_predicted=sum(predicted) / n,
        mean_surveyed=sum(surveyed) / n,
    )


def format_agreement(a: CsatAgreement) -> str:
    """The agreement as a few lines of text (``callqa csat-agreement``)."""
    if not a.n:
        return "no call has both an imported CSAT and a predicted satisfaction"

    def pct(v: float | None) -> str:
        return "–" if v is None else f"{v:.0%}"

    rho = "undefined (one side is constant)" if a.rho is None else (
        f"{a.rho:.2f} (95% CI {a.rho_low:.2f} to {a.rho_high:.2f})" if a.rho_low is not None else f"{a.rho:.2f}")
    lines = [
        f"calls with a survey and a prediction: {a.n}",
        f"Spearman rho: {rho}",
        f"mean absolute error: {a.mae:.2f} points"
        f" (mean predicted {a.mean_predicted:.2f}, mean survey {a.mean_surveyed:.2f})",
        f"rounded prediction = survey: {pct(a.exact)}; within one point: {pct(a.within_1)}",
        "",
        "survey \\ predicted    1    2    3    4    5",
    ]
    for grade, row in zip(GRADES, a.confusion):
        lines.append(f"{grade:>16}  " + "".join(f"{c:>5}" for c in row))
    return "\n".join(lines)
