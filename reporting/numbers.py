"""Numbers as a reader sees them in a report: a share as "12%", a figure as "3.4", "–" when unknown."""

from __future__ import annotations

UNKNOWN = "–"


def pct(value: float | None, digits: int = 0) -> str:
    """A share (0..1) as a percentage."""
    return UNKNOWN if value is None else f"{100 * value:.{digits}f}%"


def num(value: float | None, digits: int = 1, grouped: bool = True) -> str:
    """A figure with ``digits`` decimals; ``grouped`` puts commas between thousands (the HTML page),
    the run report's markdown table writes them plain."""
    if value is None:
        return UNKNOWN
    return f"{value:,.{digits}f}" if grouped else f"{value:.{digits}f}"
