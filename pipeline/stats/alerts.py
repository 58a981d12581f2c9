"""Alert rules on a run's figures (sending the alerts is ``usecases.alerts``).

A rule names a metric of the run report (``storage.run_report``): ``above`` fires when
this run's value is over the threshold, ``rising_by`` when it is over the baseline (the
mean of earlier runs) by more than the threshold. A rule ignores runs with fewer than
``min_calls`` calls behind its metric: one angry customer on a night of two calls is not
a trend. Nothing here knows Prefect, DuckDB or the network; the run report feeds the figures in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Mapping, Sequence

RuleKind = Literal["above", "rising_by"]
KINDS = ("above", "rising_by")


@dataclass(frozen=True)
class AlertRule:
    name: str
    metric: str  # a key of the report's metrics, e.g. "flagged_share"
    threshold: float
    kind: RuleKind = "above"
    label: str = ""  # what the metric is, for the message
    min_calls: int = 0
    calls_metric: str = "attempted"  # the count the metric is taken over

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"alert rule {self.name}: kind must be one of {KINDS}, not {self.kind!r}")


@dataclass(frozen=True)
class Alert:
    rule: str
    metric: str
    kind: RuleKind
    value: float
    threshold: float
    baseline: float | None
    message: str

    def to_json(self) -> dict:
        return {"rule": self.rule, "metric": self.metric, "kind": self.kind, "value": self.value,
                "threshold": self.threshold, "baseline": self.baseline, "message": self.message}


def default_rules(flagged_share: float = 0.5, failed_share: float = 0.05, negative_end_rise: float = 0.10,
                  min_calls: int = 10) -> list[AlertRule]:
    """The shipped rules: half the calls flagged means the queue cannot be reviewed (or a scorecard
    or model problem); 5% internal errors is a broken install, not bad luck; ten points more
    negative customer ends than the last runs' mean is worth a look by the QA lead."""
    return [
        AlertRule("flagged_share", "flagged_share", flagged_share, "above", "flagged calls", min_calls, "processed"),
        AlertRule("failed_share", "failed_share", failed_share, "above", "failed recordings (internal errors)",
                  min_calls, "attempted"),
        AlertRule("negative_end_rising", "negative_end_share", negative_end_rise, "rising_by",
                  "calls ending with a negative customer", min_calls, "measured_ends"),
    ]


def _fmt(metric: str, value: float) -> str:
    return f"{value:.0%}" if metric.endswith("_share") else f"{value:.3g}"


def evaluate(report_metrics: Mapping[str, float | None], baseline_metrics: Mapping[str, float | None],
             rules: Sequence[AlertRule]) -> list[Alert]:
    """The rules that fire, each with a message a person can act on. A metric without a value (no
    calls to take it over) or a rising rule without a baseline fires nothing."""
    alerts = []
    for rule in rules:
        value = report_metrics.get(rule.metric)
        if value is None or (report_metrics.get(rule.calls_metric) or 0) < rule.min_calls:
            continue
        label = rule.label or rule.metric
        if rule.kind == "above":
            if value > rule.threshold:
                alerts.append(Alert(rule.name, rule.metric, rule.kind, value, rule.threshold, None,
                                    f"{label}: {_fmt(rule.metric, value)} this run, above the "
                                    f"{_fmt(rule.metric, rule.threshold)} threshold"))
        else:
            base = baseline_metrics.get(rule.metric)
            if base is not None and value - base > rule.threshold:
                alerts.append(Alert(rule.name, rule.metric, rule.kind, value, rule.threshold, base,
                                    f"{label}: {_fmt(rule.metric, value)} this run against "
                                    f"{_fmt(rule.metric, base)} in the previous runs, up by more than "
                                    f"{_fmt(rule.metric, rule.threshold)}"))
    return alerts
