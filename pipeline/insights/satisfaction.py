"""Predicted customer satisfaction (1-5) without a survey: an additive, explainable score.

A call's prediction is a base value plus one contribution per factor, in points of the 1-5
scale; the sum is held inside [1, 5] and what the bounds took off is itself a contribution
(``bounds``), so the stored contributions always add up to the stored score. Every factor is
``weight × signal``, where the signal is a measured quantity put on a small, capped scale
(below); a factor whose input is missing (no outcome yet, a customer who barely spoke)
contributes 0 and says ``unknown``.

Signals and default weights (``DEFAULT_WEIGHTS``), with the reasoning:

==================  =======================================================  ===========
factor              signal                                                   weight
==================  =======================================================  ===========
base                a call with nothing known about it                       3.7
sentiment_end       the customer's sentiment over their last third of words  +1.5
                    (-1..1, the same rule as ``CallSentiment.customer_end``)
sentiment_low       the customer's most negative turn, only below 0 (-1..0)  +0.6
sentiment_trend     last third minus first third (-2..2)                     +0.4
outcome             resolved / order placed / follow-up / transferred /     +0.5 / +0.5 /
                    unresolved (``call_insights.outcome``; 1 for the one     0 / -0.3 /
                    that applies)                                            -1.0
escalation          distinct escalation categories heard, at most 2         -0.6 each
dead_air            unannounced silence, per 30 s, at most 90 s              -0.2 each
long_hold           announced hold time beyond the first minute, per        -0.2 each
                    minute, at most 3 minutes
overtalk            both talking at once beyond 3 s, per 5 s, at most 15 s   -0.15 each
handle_time         call length beyond 10 minutes, per 5 minutes, at most    -0.1 each
                    15 minutes
==================  =======================================================  ===========

Why these values (judgement, not a fit: no surveys were available; ``calibrate`` in
``pipeline.insights.satisfaction_calibration`` refits them once enough real CSAT is imported):

- The base, 3.7, sits a little below the usual mean of call-centre CSAT (about 4 of 5: most
  answered surveys are 4s and 5s), because a call the product knows nothing good about
  should not round to a 5.
- How the customer sounds at the end weighs most (the peak-end rule: people rate an
  experience by its worst moment and its end). ±0.5 at the end moves the score ±0.75: a
  clearly pleased customer rounds up a grade, a clearly upset one down a grade. The worst
  moment adds at most -0.6 and only when negative (a happy peak adds nothing the end does
  not already say). The trend rewards a customer who arrived angry and left calm, over
  one who was neutral throughout, by a little.
- Whether the problem was solved is the strongest single driver of CSAT in contact-centre
  surveys (first-contact resolution): unresolved costs a full point, resolved or an order
  placed earns half a point, a promised follow-up is neutral (nothing solved yet, nothing
  refused), a transfer costs a little (the customer starts again elsewhere).
- An escalation (manager, complaint, regulator, lawyer, cancellation) means the customer
  said they are unhappy: -0.6, and -1.2 when they reach for two levers.
- Silence, holds, overtalk and length are irritants: each capped at about half a point,
  because a long but successful call is still rated well. Unannounced dead air costs more
  per second than an announced hold (a customer told to wait knows why they wait); the first
  minute of a hold is free. Overtalk on mono recordings is near 0 by construction
  (``pipeline.judging.metrics``), so it only weighs on stereo calls.

The model version (``MODEL_VERSION``) carries a digest of the weights: changing any weight
makes every stored prediction stale, and the nightly step recomputes them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields
from typing import Literal, Sequence

from pipeline.judging.sentiment import (
    MIN_CUSTOMER_SEGMENTS,
    MIN_CUSTOMER_WORDS,
    third_means,
    word_count,
)

Outcome = Literal["resolved", "follow_up", "order_placed", "transferred", "unresolved"]
OUTCOMES: tuple[str, ...] = ("resolved", "follow_up", "order_placed", "transferred", "unresolved")
SCALE = (1.0, 5.0)
METHOD_VERSION = "1"  # bump when a signal's definition changes (the weights' digest covers their values)

# Signal scales and caps (see the table above).
MAX_ESCALATIONS = 2
DEAD_AIR_UNIT_S, DEAD_AIR_CAP_S = 30.0, 90.0
HOLD_FREE_S, HOLD_UNIT_S, HOLD_CAP_S = 60.0, 60.0, 180.0
OVERTALK_FREE_S, OVERTALK_UNIT_S, OVERTALK_CAP_S = 3.0, 5.0, 15.0
HANDLE_FREE_S, HANDLE_UNIT_S, HANDLE_CAP_S = 600.0, 300.0, 900.0


@dataclass(frozen=True)
class SatisfactionWeights:
    """Points on the 1-5 scale per unit of each signal (``base``: the starting value)."""

    base: float = 3.7
    sentiment_end: float = 1.5
    sentiment_low: float = 0.6
    sentiment_trend: float = 0.4
    outcome_resolved: float = 0.5
    outcome_order_placed: float = 0.5
    outcome_follow_up: float = 0.0
    outcome_transferred: float = -0.3
    outcome_unresolved: float = -1.0
    escalation: float = -0.6
    dead_air: float = -0.2
    long_hold: float = -0.2
    overtalk: float = -0.15
    handle_time: float = -0.1

    def digest(self) -> str:
        text = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:8]

    @classmethod
    def signal_names(cls) -> tuple[str, ...]:
        """Every weight but the base, in order: the columns of a calibration's design matrix."""
        return tuple(f.name for f in fields(cls) if f.name != "base")


DEFAULT_WEIGHTS = SatisfactionWeights()


def model_version(weights: SatisfactionWeights = DEFAULT_WEIGHTS) -> str:
    return f"additive-{METHOD_VERSION}-{weights.digest()}"


MODEL_VERSION = model_version()


@dataclass(frozen=True)
class CustomerTurn:
    """One customer segment's sentiment (the stored ``segments.sentiment``), in time order."""

    start_s: float
    sentiment: float  # [-1, 1]
    words: int


@dataclass(frozen=True)
class SentimentTrajectory:
    start: float  # the customer's first third of words
    end: float  # their last third
    low: float | None  # their most negative turn (None: the turns are no longer stored)
    turns: int | None

    @property
    def trend(self) -> float:
        return self.end - self.start


def customer_trajectory(turns: Sequence[CustomerTurn]) -> SentimentTrajectory | None:
    """Start, end (as ``CallSentiment`` computes them), lowest turn; None for a customer who barely spoke."""
    spoken = sorted((t for t in turns if t.words > 0), key=lambda t: t.start_s)
    if len(spoken) < MIN_CUSTOMER_SEGMENTS or sum(t.words for t in spoken) < MIN_CUSTOMER_WORDS:
        return None
    start, end = third_means([(t.sentiment, t.words) for t in spoken])
    return SentimentTrajectory(start=start, end=end, low=min(t.sentiment for t in spoken), turns=len(spoken))


def turns_from_texts(items: Sequence[tuple[float, str, float]]) -> tuple[CustomerTurn, ...]:
    """(start_s, text, sentiment) of customer segments -> turns (words counted as the sentiment step counts them)."""
    return tuple(CustomerTurn(start, max(-1.0, min(1.0, score)), word_count(text)) for start, text, score in items)


@dataclass(frozen=True)
class SatisfactionInputs:
    """What the prediction is made from; None: not known (contributes nothing)."""

    call_id: str
    trajectory: SentimentTrajectory | None = None
    outcome: str | None = None  # one of OUTCOMES
    escalations: tuple[str, ...] = ()  # distinct escalation categories heard
    dead_air_s: float | None = None
    hold_s: float | None = None
    overtalk_s: float | None = None
    handle_time_s: float | None = None


@dataclass(frozen=True)
class Factor:
    name: str
    value: float | str | None  # what was measured (None: unknown)
    contribution: float  # points added to the score

    def to_json(self) -> dict:
        value = round(self.value, 3) if isinstance(self.value, float) else self.value
        return {"value": value, "contribution": round(self.contribution, 4) + 0.0}  # + 0.0: no "-0.0"


@dataclass(frozen=True)
class SatisfactionPrediction:
    call_id: str
    predicted: float  # 1..5
    factors: tuple[Factor, ...]  # base first, bounds last; contributions sum to ``predicted``
    model_version: str = MODEL_VERSION

    @property
    def rounded(self) -> int:
        return rounded_score(self.predicted)

    def main_factors(self, count: int = 3) -> tuple[Factor, ...]:
        return main_factors(self.factors, count)

    def factors_json(self) -> dict:
        """The ``call_satisfaction.factors`` object: each factor's value and contribution."""
        return {f.name: f.to_json() for f in self.factors}


def main_factors(factors: Sequence[Factor], count: int = 3, at_least: float = 0.05) -> tuple[Factor, ...]:
    """The factors that moved the score most (base and bounds aside, none under ``at_least`` points), largest first."""
    moving = [f for f in factors if f.name not in ("base", "bounds") and abs(f.contribution) >= at_least]
    return tuple(sorted(moving, key=lambda f: -abs(f.contribution))[:count])


def rounded_score(value: float) -> int:
    """The 1-5 grade a prediction stands for (halves round up: 3.5 -> 4)."""
    return int(min(SCALE[1], max(SCALE[0], int(value + 0.5))))


def _excess(value: float | None, free: float, unit: float, cap: float) -> float | None:
    """Units of ``unit`` by which ``value`` exceeds ``free``, counting at most ``cap`` beyond it."""
    if value is None:
        return None
    return min(max(value - free, 0.0), cap) / unit


def signals(inputs: SatisfactionInputs) -> dict[str, float | None]:
    """Each weight's signal (None: unknown) for these inputs; the prediction is base + Σ weight × signal."""
    t = inputs.trajectory
    out: dict[str, float | None] = {
        "sentiment_end": None if t is None else t.end,
        "sentiment_low": None if t is None or t.low is None else min(t.low, 0.0),
        "sentiment_trend": None if t is None else t.trend,
    }
    for outcome in OUTCOMES:
        out[f"outcome_{outcome}"] = None if inputs.outcome is None else float(inputs.outcome == outcome)
    out["escalation"] = float(min(len(set(inputs.escalations)), MAX_ESCALATIONS))
    out["dead_air"] = _excess(inputs.dead_air_s, 0.0, DEAD_AIR_UNIT_S, DEAD_AIR_CAP_S)
    out["long_hold"] = _excess(inputs.hold_s, HOLD_FREE_S, HOLD_UNIT_S, HOLD_CAP_S)
    out["overtalk"] = _excess(inputs.overtalk_s, OVERTALK_FREE_S, OVERTALK_UNIT_S, OVERTALK_CAP_S)
    out["handle_time"] = _excess(inputs.handle_time_s, HANDLE_FREE_S, HANDLE_UNIT_S, HANDLE_CAP_S)
    return out


def predict(inputs: SatisfactionInputs, weights: SatisfactionWeights = DEFAULT_WEIGHTS) -> SatisfactionPrediction:
    """The call's predicted satisfaction with each factor's contribution."""
    if inputs.outcome is not None and inputs.outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {inputs.outcome!r} (expected one of {', '.join(OUTCOMES)})")
    x = signals(inputs)
    w = asdict(weights)

    def part(name: str) -> float:
        return 0.0 if x[name] is None else w[name] * x[name]

    t = inputs.trajectory
    factors = [
        Factor("base", weights.base, weights.base),
        Factor("sentiment_end", None if t is None else t.end, part("sentiment_end")),
        Factor("sentiment_low", None if t is None else t.low, part("sentiment_low")),  # low may be None
        Factor("sentiment_trend", None if t is None else t.trend, part("sentiment_trend")),
        Factor("outcome", inputs.outcome or "unknown", sum(part(f"outcome_{o}") for o in OUTCOMES)),
        Factor("escalation", ", ".join(sorted(set(inputs.escalations))) or "none", part("escalation")),
        Factor("dead_air", inputs.dead_air_s, part("dead_air")),
        Factor("long_hold", inputs.hold_s, part("long_hold")),
        Factor("overtalk", inputs.overtalk_s, part("overtalk")),
        Factor("handle_time", inputs.handle_time_s, part("handle_time")),
    ]
    raw = sum(f.contribution for f in factors)
    bounded = min(SCALE[1], max(SCALE[0], raw))
    factors.append(Factor("bounds", None, bounded - raw))
    return SatisfactionPrediction(inputs.call_id, bounded, tuple(factors), model_version(weights))


# Words for the one-line explanation on the call page.
FACTOR_LABELS = {
    "sentiment_end": "customer's closing sentiment",
    "sentiment_low": "customer's worst moment",
    "sentiment_trend": "customer's mood over the call",
    "outcome": "outcome",
    "escalation": "escalation",
    "dead_air": "dead air",
    "long_hold": "long hold",
    "overtalk": "overtalk",
    "handle_time": "handle time",
}


def describe_factor(name: str, value, contribution: float) -> str:
    """``outcome unresolved (−1.0)``, ``dead air 40 s (−0.3)``: one factor and its points, for people."""
    label = FACTOR_LABELS.get(name, name.replace("_", " "))
    if isinstance(value, str) and value not in ("none", "unknown"):
        label = f"{label} {value.replace('_', ' ')}"
    elif isinstance(value, (int, float)) and name in ("dead_air", "long_hold", "overtalk", "handle_time"):
        label = f"{label} {value:.0f} s"
    elif isinstance(value, (int, float)):
        label = f"{label} {value:+.2f}".replace("-", "−")
    return f"{label} ({contribution:+.1f})".replace("(-", "(−")


def factors_from_json(data: dict) -> tuple[Factor, ...]:
    """The stored ``factors`` object back as factors (in stored order)."""
    return tuple(Factor(name, v.get("value"), float(v.get("contribution") or 0.0)) for name, v in data.items())
