"""The report's charts, drawn with matplotlib as inline SVG (no script, no web font, nothing fetched).

Text stays text in the SVG (``svg.fonttype = none``), so the figures on a chart can be found
in the page and the file stays small. Each function returns one ``<svg>`` element, or None
when there is nothing to draw.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from reporting.i18n import Words
from reporting.labels import outcome_name, period_tick, reason_name
from reporting.model import CriterionRate, ReasonRow, TrendPoint

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

# No display; figures are only saved. Importing matplotlib.figure chooses no backend (pyplot would),
# so choosing it after the imports is in time.
matplotlib.use("Agg")

# As a QA reader reads colours: green is good (passed, resolved), red is bad (flagged, failed, unresolved).
SCORE, PASS, FLAGGED, CALLS = "#1f6feb", "#2da44e", "#cf222e", "#d0d7de"
OUTCOME_COLOURS = {"resolved": "#2da44e", "follow_up": "#bf8700", "order_placed": "#1f6feb",
                   "transferred": "#8250df", "unresolved": "#cf222e"}
_RC: dict[RcKeyType, Any] = {"svg.fonttype": "none", "svg.hashsalt": "callqa-report", "font.size": 9,
                             "font.family": "DejaVu Sans", "axes.spines.top": False, "axes.spines.right": False}


def _svg(fig: Figure) -> str:
    out = io.StringIO()
    with matplotlib.rc_context(_RC):
        fig.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = out.getvalue()
    return text[text.index("<svg"):]  # drop the XML declaration and doctype: the element goes inside HTML


def _figure(width: float, height: float) -> Figure:
    with matplotlib.rc_context(_RC):
        return Figure(figsize=(width, height), layout="constrained")


def _counts(axis) -> None:
    """A calls axis counts whole calls: no 2.5 calls on its ticks."""
    axis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))


def trend_chart(trend: tuple[TrendPoint, ...], _: Words) -> str | None:
    """Per period: calls (bars, right axis), mean score, criteria pass rate and flagged share (lines, 0-100)."""
    if not any(p.calls for p in trend):
        return None
    with matplotlib.rc_context(_RC):
        fig = _figure(7.5, 3.0)
        ax = fig.add_subplot()
        x = list(range(len(trend)))
        calls_ax = ax.twinx()
        calls_ax.bar(x, [p.calls for p in trend], color=CALLS, width=0.6, label=_("calls"))
        calls_ax.set_ylabel(_("calls"))
        _counts(calls_ax.yaxis)
        calls_ax.spines["right"].set_visible(True)
        ax.set_zorder(calls_ax.get_zorder() + 1)
        ax.patch.set_visible(False)

        def line(values, colour, name):  # a period without calls is a gap in the line
            ax.plot(x, [float("nan") if v is None else v for v in values], marker="o", color=colour, label=name)

        line([p.mean_score for p in trend], SCORE, _("mean QA score"))
        line([None if p.pass_rate is None else 100 * p.pass_rate for p in trend], PASS, _("criteria passed, %"))
        line([None if p.flagged_share is None else 100 * p.flagged_share for p in trend], FLAGGED,
             _("calls flagged, %"))
        ax.set_ylim(0, 105)
        ax.set_xticks(x, [period_tick(p.period, _) for p in trend], rotation=0 if len(trend) <= 8 else 45)
        handles = ax.get_legend_handles_labels()
        bars = calls_ax.get_legend_handles_labels()
        ax.legend(handles[0] + bars[0], handles[1] + bars[1], loc="upper center", bbox_to_anchor=(0.5, -0.15),
                  ncols=2, frameon=False)
        ax.set_title(_("Trend"))
        return _svg(fig)


def criteria_chart(criteria: tuple[CriterionRate, ...], _: Words) -> str | None:
    """Pass rate per criterion, worst at the top, with the judged calls beside each bar."""
    rated = [c for c in criteria if c.pass_rate is not None]
    if not rated:
        return None
    with matplotlib.rc_context(_RC):
        fig = _figure(7.5, 0.6 + 0.32 * len(rated))
        ax = fig.add_subplot()
        y = list(range(len(rated)))[::-1]
        rates = [100 * c.pass_rate for c in criteria if c.pass_rate is not None]  # the same filter as ``rated``
        ax.barh(y, rates, color=[FLAGGED if r < 70 else PASS for r in rates], height=0.6)
        for yy, c, r in zip(y, rated, rates):
            ax.text(min(r, 100) + 1, yy, _("{rate} of {n}").format(rate=_.percent(r / 100), n=_.integer(c.judged)),
                    va="center", fontsize=8)
        ax.set_yticks(y, [_.title(c.title) for c in rated])
        ax.set_xlim(0, 118)
        ax.set_xlabel(_("passed, % of judged calls"))
        ax.set_title(_("Criteria, worst first"))
        return _svg(fig)


def reasons_chart(reasons: tuple[ReasonRow, ...], _: Words, top: int = 10) -> str | None:
    """Calls per reason, split by outcome."""
    rows = list(reasons[:top])
    if not rows:
        return None
    with matplotlib.rc_context(_RC):
        fig = _figure(7.5, 0.8 + 0.32 * len(rows))
        ax = fig.add_subplot()
        y = list(range(len(rows)))[::-1]
        left = [0] * len(rows)
        outcomes = [o for o in OUTCOME_COLOURS if any(o in r.outcomes for r in rows)]
        outcomes += sorted({o for r in rows for o in r.outcomes} - set(outcomes))
        for o in outcomes:
            widths = [r.outcomes.get(o, 0) for r in rows]
            ax.barh(y, widths, left=left, color=OUTCOME_COLOURS.get(o, CALLS), height=0.6, label=outcome_name(o, _))
            left = [a + b for a, b in zip(left, widths)]
        for yy, r in zip(y, rows):
            ax.text(r.calls, yy, " " + _.integer(r.calls), va="center", fontsize=8)
        ax.set_yticks(y, [reason_name(r, _) for r in rows])
        ax.set_xlabel(_("calls"))
        _counts(ax.xaxis)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25 if len(rows) < 4 else -0.1), ncols=5, frameon=False)
        ax.set_title(_("Why customers called, and how the calls ended"))
        return _svg(fig)

