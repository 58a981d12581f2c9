"""The report as one self-contained HTML page: inline CSS and inline SVG charts, no script,
nothing loaded from the network (it opens from a mail attachment or a file share)."""

from __future__ import annotations

from importlib import resources

import jinja2
from markupsafe import Markup

from reporting import charts
from reporting.model import QAReport
from reporting.numbers import num, pct


def _change(now: float | None, before: float | None) -> str:
    """Percentage points between two shares: "+5 pp", or "–" when either is unknown."""
    return "–" if now is None or before is None else f"{round(100 * (now - before)):+d} pp"


def _environment() -> jinja2.Environment:
    template = resources.files("reporting").joinpath("templates/report.html.j2").read_text(encoding="utf-8")
    env = jinja2.Environment(loader=jinja2.DictLoader({"report.html.j2": template}), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(pct=pct, num=num)
    env.globals.update(change=_change)
    return env


def render_html(report: QAReport) -> str:
    def chart(svg: str | None) -> Markup | None:
        return None if svg is None else Markup(svg)  # our own matplotlib output, not user text

    return _environment().get_template("report.html.j2").render(
        report=report,
        trend_chart=chart(charts.trend_chart(report.trend)),
        criteria_chart=chart(charts.criteria_chart(report.criteria)),
        reasons_chart=chart(charts.reasons_chart(report.reasons)),
    )
