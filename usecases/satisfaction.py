"""Predicted satisfaction over a database: bring the stored predictions up to date, and compare
them with imported surveys (the work behind flows/satisfaction.py and ``callqa csat-agreement``).

Predictions are made in batches of ``BATCH_CALLS`` calls, each read, predicted and written
on its own short connection, so the app can read between batches and a large backlog (a new
model version over every call) never holds the write lock for long.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from pipeline.insights.csat_agreement import CsatAgreement, agreement
from pipeline.insights.satisfaction import (
    DEFAULT_WEIGHTS,
    Factor,
    SatisfactionWeights,
    model_version,
    predict,
)
from pipeline.insights.satisfaction_calibration import (
    MIN_SURVEYS,
    CalibrationReport,
    calibrate,
)
from reporting.i18n import N_, Words
from storage import csat, satisfaction
from storage.db import connect

BATCH_CALLS = 1000

# A prediction's factors (pipeline.insights.satisfaction) in words, for the pages that explain a prediction.
FACTORS = {
    "sentiment_end": N_("customer's closing sentiment"),
    "sentiment_low": N_("customer's worst moment"),
    "sentiment_trend": N_("customer's mood over the call"),
    "outcome": N_("outcome"),
    "escalation": N_("escalation"),
    "dead_air": N_("dead air"),
    "long_hold": N_("long hold"),
    "overtalk": N_("overtalk"),
    "handle_time": N_("handle time"),
    "bounds": N_("held inside 1-5"),
}
ESCALATIONS = {"manager": N_("asked for a manager"), "complaint": N_("complaint"), "regulator": N_("regulator"),
               "lawyer": N_("lawyer"), "cancellation": N_("cancellation")}
_SECONDS = ("dead_air", "long_hold", "overtalk", "handle_time")
_NOT_KNOWN = ("none", "unknown")


@dataclass(frozen=True)
class SatisfactionRefresh:
    predicted: int  # calls given a new prediction
    model_version: str
    seconds: float


def refresh_predictions(db: str | Path, weights: SatisfactionWeights = DEFAULT_WEIGHTS,
                        batch_calls: int = BATCH_CALLS) -> SatisfactionRefresh:
    """Predict every processed call whose prediction is missing or stale (storage.satisfaction)."""
    started = time.perf_counter()
    version = model_version(weights)
    with connect(db) as con:
        stale = satisfaction.stale_calls(con, version)
    # The list is taken once: a call whose inputs change meanwhile is picked up by the next refresh.
    for first in range(0, len(stale), batch_calls):
        with connect(db) as con:
            inputs = satisfaction.satisfaction_inputs(con, stale[first:first + batch_calls])
            satisfaction.store_predictions(con, [predict(i, weights) for i in inputs])
    return SatisfactionRefresh(len(stale), version, time.perf_counter() - started)


def survey_agreement(db: str | Path, since: datetime | None = None, until: datetime | None = None,
                     teams: tuple[str, ...] = ()) -> CsatAgreement:
    """Agreement of the stored predictions with the imported surveys (calls with both)."""
    with connect(db, read_only=True) as con:
        return survey_agreement_on(con, since, until, teams)


def survey_agreement_on(con: duckdb.DuckDBPyConnection, since: datetime | None = None,
                        until: datetime | None = None, teams: tuple[str, ...] = ()) -> CsatAgreement:
    """``survey_agreement`` over an open connection (the app's, which it shares with the nightly flow)."""
    pairs = csat.survey_pairs(con, since, until, teams)
    return agreement([(predicted, surveyed) for _, predicted, surveyed in pairs])


def calibration(db: str | Path) -> CalibrationReport:
    """Refit the weights to the imported surveys (cross-validated); ValueError below MIN_SURVEYS calls."""
    with connect(db, read_only=True) as con:
        pairs = csat.survey_pairs(con)
        if len(pairs) < MIN_SURVEYS:
            raise ValueError(f"calibration needs at least {MIN_SURVEYS} calls with a survey and a prediction "
                             f"(have {len(pairs)})")
        surveys = {call_id: surveyed for call_id, _, surveyed in pairs}
        inputs = satisfaction.satisfaction_inputs(con, list(surveys))
    return calibrate(inputs, [surveys[i.call_id] for i in inputs])


def _signed(words: Words, value: float, digits: int) -> str:
    """``+0,5`` / ``−1,0``: the sign always written, a true minus sign."""
    return ("−" if value < 0 else "+") + words.number(abs(value), digits)


def describe_factor(factor: Factor, words: Words) -> str:
    """One factor and its points in the reader's words: «исход: не решён (−1,0)», «dead air: 40 s (−0.3)»."""
    name, value = factor.name, factor.value
    label = words(FACTORS[name]) if name in FACTORS else words.of("factor", name)
    if name == "outcome" and isinstance(value, str) and value not in _NOT_KNOWN:
        outcome = words.of("outcome", value)  # "Resolved" heads a list elsewhere; here it follows a colon
        shown: str | None = outcome[:1].lower() + outcome[1:]
    elif name == "escalation" and isinstance(value, str) and value not in _NOT_KNOWN:
        shown = ", ".join(words(ESCALATIONS[c]) if c in ESCALATIONS else words.of("escalation", c)
                          for c in value.split(", "))
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and name in _SECONDS:
        shown = words(N_("{value} s")).format(value=words.number(value, 0))
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and name != "bounds":
        shown = _signed(words, value, 2)
    else:
        shown = None
    points = _signed(words, factor.contribution, 1)
    if shown is None:
        return words(N_("{factor} ({points})")).format(factor=label, points=points)
    return words(N_("{factor}: {value} ({points})")).format(factor=label, value=shown, points=points)
