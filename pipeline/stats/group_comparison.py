"""Groups of calls side by side (sites, vendors, teams), with an honest word on noise.

Pure statistics over per-call values; nothing here knows where the values came from.

Per group and metric: n, the estimate and a 95% confidence interval
- proportions (a criterion's pass rate, the escalation rate): Wilson score interval, which
  stays inside [0, 1] and keeps its coverage at small n and near 0 % or 100 %;
- means (QA score, predicted satisfaction, handle time, silence share): Student t interval.

Differences: two groups are compared with each other (the larger one is the reference);
with more than two, each group is compared with all the others together ("the rest").
- proportions: Fisher's exact test; the interval of the difference is Newcombe's hybrid score
  interval;
- means: a permutation test of the difference in means; its interval is Welch's (no
  equal-variance assumption).
Both are exact or distribution-free on purpose, so no approximation in the far tail, where the
corrected thresholds lie, can make a claim (see ``proportion_test`` and ``permutation_test``).

Many metrics are compared at once, so some would look "significant" by chance alone: the
p values of all comparisons made are corrected together (Holm by default, which bounds the
chance of even one false claim in the whole report at ``alpha``; Benjamini-Hochberg on request,
which bounds the expected share of false claims instead). A difference is claimed only when
its corrected p value is under ``alpha`` and both groups have at least ``min_n`` values;
everything else is reported as within noise, with the reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Literal, Sequence

import numpy as np
from scipy import stats

Kind = Literal["proportion", "mean"]
Unit = Literal["share", "score", "seconds", "scale"]
Better = Literal["higher", "lower"]
Correction = Literal["holm", "bh"]

CONFIDENCE = 0.95
ALPHA = 0.05
# Below this many values in a group, a metric's difference is not tested, so never claimed.
MIN_N = 20
# Label shuffles of a permutation test: p values down to 1e-4, well below Holm's smallest threshold.
PERMUTATIONS = 9_999
PERMUTATION_SEED = 7
REST = "the rest"


@dataclass(frozen=True)
class Metric:
    id: str
    label: str  # "QA score", "Extra help pass rate"
    kind: Kind  # proportion: values are 0/1
    unit: Unit  # how values print: share 0..1 as %, score as points, seconds, scale (1..5)
    better: Better | None = None  # None: neither direction is better (handle time)


@dataclass(frozen=True)
class Sample:
    """One group's values of one metric (one per call; 0/1 for a proportion)."""

    metric: Metric
    group: str
    values: tuple[float, ...]


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True)
class GroupEstimate:
    metric_id: str
    group: str
    n: int
    estimate: float | None  # None: no values
    low: float | None  # None: no values, or a single value of a mean
    high: float | None


@dataclass(frozen=True)
class TestResult:
    name: str  # "Fisher exact", "permutation", "Welch t"
    p_value: float
    difference: Interval  # group minus reference


@dataclass(frozen=True)
class Difference:
    """One group against its reference on one metric."""

    metric_id: str
    group: str
    reference: str  # another group's name, or REST
    n_group: int
    n_reference: int
    estimate_group: float | None
    estimate_reference: float | None
    test: str | None  # None: not tested (too few values)
    difference: float | None
    low: float | None
    high: float | None
    p_value: float | None
    p_adjusted: float | None
    claimed: bool


@dataclass(frozen=True)
class MetricVerdict:
    metric: Metric
    claimed: bool
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class GroupComparison:
    groups: tuple[str, ...]
    calls: tuple[int, ...]  # calls per group, in the order of ``groups``
    metrics: tuple[Metric, ...]
    estimates: tuple[GroupEstimate, ...]
    differences: tuple[Difference, ...]
    verdicts: tuple[MetricVerdict, ...]
    min_n: int
    alpha: float
    correction: Correction
    tests: int  # comparisons in the correction's family
    notes: tuple[str, ...] = field(default=())

    @property
    def rule(self) -> str:
        """When this report claims a difference, in words."""
        method = "Holm" if self.correction == "holm" else "Benjamini-Hochberg"
        against = "" if len(self.groups) <= 2 else " Each group is compared with all the others together."
        if not self.tests:
            return (f"No difference was tested: a difference is tested only where each group has at least "
                    f"{self.min_n} values.{against}")
        return (f"A difference is claimed only when each group has at least {self.min_n} values and its p value, "
                f"{method}-corrected over the {self.tests} comparisons made, is under {self.alpha}.{against}")

    @property
    def claims(self) -> tuple[Difference, ...]:
        return tuple(d for d in self.differences if d.claimed)

    def estimate(self, metric_id: str, group: str) -> GroupEstimate:
        return next(e for e in self.estimates if e.metric_id == metric_id and e.group == group)

    def to_json(self) -> dict:
        def r(v: float | None, digits: int = 4) -> float | None:
            return None if v is None else round(v, digits)

        return {
            "groups": [{"group": g, "calls": n} for g, n in zip(self.groups, self.calls)],
            "min_n": self.min_n, "alpha": self.alpha, "correction": self.correction, "tests": self.tests,
            "metrics": [{"id": m.id, "label": m.label, "kind": m.kind, "unit": m.unit, "better": m.better}
                        for m in self.metrics],
            "estimates": [{"metric": e.metric_id, "group": e.group, "n": e.n, "estimate": r(e.estimate),
                           "low": r(e.low), "high": r(e.high)} for e in self.estimates],
            "differences": [{"metric": d.metric_id, "group": d.group, "reference": d.reference,
                             "n_group": d.n_group, "n_reference": d.n_reference, "test": d.test,
                             "difference": r(d.difference), "low": r(d.low), "high": r(d.high),
                             "p_value": r(d.p_value, 6), "p_adjusted": r(d.p_adjusted, 6), "claimed": d.claimed}
                            for d in self.differences],
            "verdicts": [{"metric": v.metric.id, "claimed": v.claimed, "sentences": list(v.sentences)}
                         for v in self.verdicts],
            "notes": list(self.notes),
        }


# ---- intervals ----------------------------------------------------------------------------------

def _z(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2))


def wilson_interval(successes: int, n: int, confidence: float = CONFIDENCE) -> Interval:
    """The Wilson score interval of a proportion."""
    if n <= 0:
        raise ValueError("a proportion needs at least one value")
    z = _z(confidence)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half))


def t_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> Interval:
    """Student's t interval of a mean (a single value: the interval is unbounded)."""
    n = len(values)
    if n == 0:
        raise ValueError("a mean needs at least one value")
    mean = math.fsum(values) / n
    if n == 1:
        return Interval(mean, -math.inf, math.inf)
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)
    return Interval(mean, mean - half, mean + half)


# Where a mean can lie at all, by unit: a t interval of a few calls is clipped to it.
_RANGE = {"share": (0.0, 1.0), "score": (0.0, 100.0), "seconds": (0.0, math.inf), "scale": (1.0, 5.0)}


def group_interval(metric: Metric, values: Sequence[float], confidence: float = CONFIDENCE) -> Interval:
    if metric.kind == "proportion":
        return wilson_interval(int(round(math.fsum(values))), len(values), confidence)
    ci = t_interval(values, confidence)
    if not (math.isfinite(ci.low) and math.isfinite(ci.high)):
        return ci  # one value: no interval to clip
    low, high = _RANGE[metric.unit]
    return Interval(ci.estimate, min(max(ci.low, low), high), max(min(ci.high, high), low))


# ---- tests --------------------------------------------------------------------------------------

def proportion_test(k1: int, n1: int, k2: int, n2: int, confidence: float = CONFIDENCE) -> TestResult:
    """Group 1 against group 2: p1 - p2 with Newcombe's hybrid score interval, and Fisher's exact test.

    Exact rather than the two-proportion z test: Holm judges the smallest p values against
    alpha / (number of comparisons), far in the tail, where a normal approximation of pass rates
    near 90-100% in a group of 80 is least trustworthy; an exact test never claims more than its
    nominal rate (benchmarks/vendor_comparison.py --generator-truth compares the two)."""
    p1, p2 = k1 / n1, k2 / n2
    w1, w2 = wilson_interval(k1, n1, confidence), wilson_interval(k2, n2, confidence)
    d = p1 - p2
    low = d - math.sqrt((p1 - w1.low) ** 2 + (w2.high - p2) ** 2)
    high = d + math.sqrt((w1.high - p1) ** 2 + (p2 - w2.low) ** 2)
    p = float(stats.fisher_exact([[k1, n1 - k1], [k2, n2 - k2]]).pvalue)
    return TestResult("Fisher exact", min(p, 1.0), Interval(d, low, high))


def welch_test(a: Sequence[float], b: Sequence[float], confidence: float = CONFIDENCE) -> TestResult:
    """Mean of ``a`` minus mean of ``b``: Welch's t test and interval (both need 2+ values)."""
    n1, n2 = len(a), len(b)
    if n1 < 2 or n2 < 2:
        raise ValueError("Welch's test needs at least two values per group")
    m1, m2 = math.fsum(a) / n1, math.fsum(b) / n2
    v1 = math.fsum((x - m1) ** 2 for x in a) / (n1 - 1)
    v2 = math.fsum((x - m2) ** 2 for x in b) / (n2 - 1)
    d = m1 - m2
    se2 = v1 / n1 + v2 / n2
    if se2 == 0:  # both groups constant
        return TestResult("Welch t", 1.0 if d == 0 else 0.0, Interval(d, d, d))
    df = se2 ** 2 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1))
    se = math.sqrt(se2)
    p = float(2 * stats.t.sf(abs(d) / se, df))
    half = float(stats.t.ppf(0.5 + confidence / 2, df)) * se
    return TestResult("Welch t", p, Interval(d, d - half, d + half))


def permutation_test(a: Sequence[float], b: Sequence[float], confidence: float = CONFIDENCE,
                     resamples: int = PERMUTATIONS) -> TestResult:
    """Mean of ``a`` minus mean of ``b``: a two-sided permutation test of the difference (the group
    labels shuffled ``resamples`` times, a fixed seed so a report reads the same twice), with
    Welch's interval for the difference.

    Why not Welch's p value: handle times and silences are skewed (most calls have no dead air, a
    few have a lot), and the t approximation is least trustworthy in the far tail where Holm's
    thresholds lie; shuffling the labels assumes no distribution, only that the groups are alike
    under the null."""
    welch = welch_test(a, b, confidence)
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if np.all(np.concatenate([x, y]) == x[0]):  # everyone the same: nothing to test
        return TestResult("permutation", 1.0, welch.difference)
    result = stats.permutation_test((x, y), _mean_difference, permutation_type="independent", vectorized=True,
                                    n_resamples=resamples, alternative="two-sided", random_state=PERMUTATION_SEED)
    p = float(result.pvalue)
    if p <= 2 / (resamples + 1) and welch.p_value < p:
        # No shuffle came near the observed difference: the permutation p is only a bound (about 2e-4),
        # which many comparisons could correct away. Welch's smaller p stands in: that far out, the
        # t approximation's doubtful tail no longer decides anything.
        return TestResult("permutation (Welch p beyond its floor)", welch.p_value, welch.difference)
    return TestResult("permutation", p, welch.difference)


def _mean_difference(x: np.ndarray, y: np.ndarray, axis: int) -> np.ndarray:
    return np.mean(x, axis=axis) - np.mean(y, axis=axis)


def adjust_p(p_values: Sequence[float], method: Correction = "holm") -> list[float]:
    """Multiple-comparison adjusted p values, in the input order: Holm's step-down
    (family-wise error) or Benjamini-Hochberg's step-up (false discovery rate)."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    if method == "holm":
        running = 0.0
        for rank, i in enumerate(order):
            running = max(running, min(1.0, (m - rank) * p_values[i]))
            adjusted[i] = running
    elif method == "bh":
        running = 1.0
        for rank in range(m - 1, -1, -1):
            i = order[rank]
            running = min(running, p_values[i] * m / (rank + 1))
            adjusted[i] = min(1.0, running)
    else:
        raise ValueError(f"unknown correction {method!r}: holm or bh")
    return adjusted


# ---- the comparison ---------------------------------------------------------------------------

def compare_groups(samples: Sequence[Sample], groups: Sequence[str], calls: Sequence[int] | None = None, *,
                   min_n: int = MIN_N, alpha: float = ALPHA, correction: Correction = "holm",
                   confidence: float = CONFIDENCE, notes: Sequence[str] = (),
                   welch_from_n: int | None = None) -> GroupComparison:
    """Every metric of ``samples`` per group in ``groups`` (the first one is the reference when there
    are two), differences tested and corrected together, and a verdict sentence per metric.

    ``welch_from_n``: where both sides of a mean's comparison have at least this many values, Welch's t test
    stands in for the permutation test (None: never). The permutation test's cost grows with n times its
    9,999 shuffles (20 s for 5,000 values a side here); at thousands of values the mean's sampling
    distribution is normal to well within what any threshold here decides, skew or not (the PBX's KPIs over
    months of records, ``pipeline.stats.cdr_kpis``)."""
    groups = tuple(groups)
    metrics = tuple(dict.fromkeys(s.metric for s in samples))
    values = {(s.metric.id, s.group): s.values for s in samples}
    estimates = []
    for metric in metrics:
        for group in groups:
            vals = values.get((metric.id, group), ())
            if vals:
                ci = group_interval(metric, vals, confidence)
                bounded = math.isfinite(ci.low) and math.isfinite(ci.high)  # one value of a mean: no interval
                estimates.append(GroupEstimate(metric.id, group, len(vals), ci.estimate,
                                               ci.low if bounded else None, ci.high if bounded else None))
            else:
                estimates.append(GroupEstimate(metric.id, group, 0, None, None, None))

    pairs = _pairs(groups)
    raw: list[tuple[Metric, str, str, tuple[float, ...], tuple[float, ...], TestResult | None]] = []
    for metric in metrics:
        for group, reference in pairs:
            a = values.get((metric.id, group), ())
            b = (values.get((metric.id, reference), ()) if reference != REST else
                 tuple(v for g in groups if g != group for v in values.get((metric.id, g), ())))
            tested = len(a) >= max(min_n, 2) and len(b) >= max(min_n, 2)
            raw.append((metric, group, reference, a, b,
                        _test(metric, a, b, confidence, welch_from_n) if tested else None))

    tested_p = [r[5].p_value for r in raw if r[5] is not None]
    adjusted = iter(adjust_p(tested_p, correction))
    differences = []
    for metric, group, reference, a, b, result in raw:
        ea = _mean(a)
        eb = _mean(b)
        if result is None:
            differences.append(Difference(metric.id, group, reference, len(a), len(b), ea, eb, None,
                                          None if ea is None or eb is None else ea - eb, None, None, None, None, False))
            continue
        p_adj = next(adjusted)
        ci = result.difference
        differences.append(Difference(metric.id, group, reference, len(a), len(b), ea, eb, result.name, ci.estimate,
                                      ci.low, ci.high, result.p_value, p_adj, p_adj < alpha))

    comparison = GroupComparison(groups, tuple(calls) if calls is not None else tuple(0 for _ in groups), metrics,
                                 tuple(estimates), tuple(differences), (), min_n, alpha, correction, len(tested_p),
                                 tuple(notes))
    return replace(comparison, verdicts=tuple(_verdict(comparison, m) for m in metrics))


def _pairs(groups: tuple[str, ...]) -> list[tuple[str, str]]:
    if len(groups) < 2:
        return []
    if len(groups) == 2:
        return [(groups[1], groups[0])]
    return [(g, REST) for g in groups]


def _mean(values: Sequence[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def _test(metric: Metric, a: Sequence[float], b: Sequence[float], confidence: float,
          welch_from_n: int | None = None) -> TestResult:
    if metric.kind == "proportion":
        return proportion_test(int(round(math.fsum(a))), len(a), int(round(math.fsum(b))), len(b), confidence)
    if welch_from_n is not None and min(len(a), len(b)) >= welch_from_n:
        return welch_test(a, b, confidence)
    return permutation_test(a, b, confidence)


# ---- words --------------------------------------------------------------------------------------

def format_value(metric: Metric, value: float | None) -> str:
    if value is None or math.isnan(value):
        return "–"
    if metric.unit == "share":
        return f"{value:.0%}"
    if metric.unit == "seconds":
        return f"{value:.0f} s"
    if metric.unit == "scale":
        return f"{value:.2f}"
    return f"{value:.1f}"


def format_difference(metric: Metric, value: float) -> str:
    if metric.unit == "share":
        size, unit = f"{abs(value) * 100:.0f}", " pp"
    elif metric.unit == "seconds":
        size, unit = f"{abs(value):.0f}", " s"
    elif metric.unit == "scale":
        size, unit = f"{abs(value):.2f}", ""
    else:
        size, unit = f"{abs(value):.1f}", " points"
    sign = "±" if float(size) == 0 else "+" if value > 0 else "−"
    return f"{sign}{size}{unit}"


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


def _name(reference: str) -> str:
    return "the other groups" if reference == REST else reference


def _sentence(c: GroupComparison, metric: Metric, d: Difference) -> str:
    label = metric.label
    va, vb = format_value(metric, d.estimate_group), format_value(metric, d.estimate_reference)
    ref = _name(d.reference)
    # Every figure of a difference is there once it was tested (compare_groups): the checks after
    # d.test only tell the type checker so.
    if (d.test is None or d.difference is None or d.low is None or d.high is None or d.p_value is None
            or d.p_adjusted is None):
        return (f"{label}: nothing claimed, n too small ({d.group} {d.n_group}, {ref} {d.n_reference}; "
                f"at least {c.min_n} each needed) — {d.group} {va} vs {ref} {vb}.")
    span = f"{format_difference(metric, d.low)} to {format_difference(metric, d.high)}"
    numbers = f"{d.group} {va} vs {ref} {vb}, difference {format_difference(metric, d.difference)} (95% CI {span}"
    method = "Holm" if c.correction == "holm" else "Benjamini-Hochberg"
    corrected = f"{method}-adjusted {_p(d.p_adjusted)} over {c.tests} comparisons"
    if d.claimed:
        if metric.better is None:
            how = "higher" if d.difference > 0 else "lower"
            head = f"{d.group} has a {how} {label[:1].lower() + label[1:]} than {ref}"
        else:
            good = (d.difference > 0) == (metric.better == "higher")
            head = f"{d.group} is {'better' if good else 'worse'} than {ref} on {label}"
        return f"{head}: {numbers}; {_p(d.p_value)}, {corrected})."
    if d.low <= 0 <= d.high:
        return f"{label}: within noise — {numbers} includes 0; {_p(d.p_value)})."
    return (f"{label}: within noise once {c.tests} comparisons are accounted for — {numbers}; "
            f"{_p(d.p_value)}, {corrected}).")


def _verdict(c: GroupComparison, metric: Metric) -> MetricVerdict:
    mine = [d for d in c.differences if d.metric_id == metric.id]
    if not mine:
        return MetricVerdict(metric, False, (f"{metric.label}: only one group, nothing to compare.",))
    claimed = [d for d in mine if d.claimed]
    if len(mine) == 1 or claimed:
        shown = mine if len(mine) == 1 else claimed
        return MetricVerdict(metric, bool(claimed), tuple(_sentence(c, metric, d) for d in shown))
    small = [d for d in mine if d.test is None]
    if len(small) == len(mine):
        return MetricVerdict(metric, False, (f"{metric.label}: nothing claimed, every group has fewer than "
                                             f"{c.min_n} values or is compared with fewer.",))
    why = f"; {', '.join(d.group for d in small)} not tested (n too small)" if small else ""
    return MetricVerdict(metric, False, (f"{metric.label}: within noise — no group differs from the others "
                                         f"after correcting for {c.tests} comparisons{why}.",))
