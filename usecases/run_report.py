"""A finished run's report: its figures against the earlier runs, the alerts they raise (logged),
and the report as text and a table for people (the flow shows them as Prefect artifacts).

Reporting reads what the run stored and changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pipeline.stats.alerts import Alert, AlertRule, evaluate
from reporting.numbers import num, pct
from storage.db import connect
from storage.run_report import RunReport, run_report
from usecases.alerts import WebhookResult
from usecases.settings import Settings


@dataclass(frozen=True)
class ReportOutcome:
    report: RunReport
    alerts: tuple[Alert, ...]
    webhook: WebhookResult | None  # None: no webhook configured, or nothing to alert about


def report_with_alerts(settings: Settings, run_id: str,
                       logger: logging.Logger | logging.LoggerAdapter) -> tuple[RunReport, tuple[Alert, ...]]:
    """The run's report and the alerts its figures raise, each alert logged as a warning."""
    with connect(settings.storage.db, read_only=True) as con:
        report = run_report(con, run_id, settings.alerts.baseline_runs)
    alerts = tuple(evaluate(report.metrics(), report.baseline_metrics(), rules_for(settings)))
    for alert in alerts:
        logger.warning("alert %s: %s", alert.rule, alert.message)
    return report, alerts


def rules_for(settings: Settings) -> list[AlertRule]:
    return settings.alerts.rules()


def _cell(text: str) -> str:
    """Text safe inside a markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def figure_rows(report: RunReport) -> list[dict]:
    """The run's figures, with the baseline beside the shares: the table artifact."""
    base = report.baseline_metrics()

    def row(name: str, value: float | None, baseline: float | None = None) -> dict:
        return {"figure": name, "this run": value, f"mean of last {len(report.baseline)} runs": baseline}

    return [
        row("recordings found", report.discovered),
        row("new", report.new_calls),
        row("processed", report.processed),
        row("quarantined", report.quarantined),
        row("failed", report.failed),
        row("already known (skipped)", report.skipped),
        row("unreadable (skipped)", report.unreadable),
        row("audio hours", round(report.audio_s / 3600, 3)),
        row("wall time, s", _round(report.wall_s, 1)),
        row("calls per hour", _round(report.calls_per_hour, 1)),
        row("audio hours per hour", _round(report.audio_hours_per_hour, 2)),
        row("flagged share", report.flagged_share, base["flagged_share"]),
        row("failed share", report.failed_share, base["failed_share"]),
        row("quarantined share", report.quarantined_share, base["quarantined_share"]),
        row("negative customer end share", report.negative_end_share, base["negative_end_share"]),
        row("mean score", report.mean_score, base["mean_score"]),
    ]


def report_markdown(report: RunReport, alerts: list[Alert] | tuple[Alert, ...]) -> str:
    base = report.baseline_metrics()
    n = len(report.baseline)
    against = f"mean of the last {n} runs" if n else "no earlier runs"

    def share(part: int, whole: int, value: float | None, metric: str) -> str:
        text = f"{part} of {whole} ({pct(value)})"
        return text + (f"; {pct(base[metric])} before" if base[metric] is not None else "")

    lines = [
        f"# {report.flow} run `{report.run_id}`: {report.status}",
        "",
        f"Started {report.started_at:%Y-%m-%d %H:%M:%S} UTC. Shares against the {against}.",
        "",
        "| | |",
        "|---|---|",
        f"| recordings found | {report.discovered} ({report.new_calls} new, {report.skipped} already known) |",
        f"| processed | {report.processed} |",
        f"| quarantined | {report.quarantined} |",
        f"| failed | {report.failed} |",
        f"| unreadable inbox entries (skipped) | {report.unreadable} |",
        f"| audio | {report.audio_s / 3600:.2f} h |",
        f"| wall time | {num(None if report.wall_s is None else report.wall_s / 60, grouped=False)} min |",
        f"| throughput | {num(report.calls_per_hour, 0, grouped=False)} calls/h, "
        f"{num(report.audio_hours_per_hour, 2, grouped=False)} h of audio per hour |",
        f"| flagged calls | {share(report.flagged, report.processed, report.flagged_share, 'flagged_share')} |",
        f"| failures | {share(report.failed, report.attempted, report.failed_share, 'failed_share')} |",
        f"| negative customer ends | "
        f"{share(report.negative_ends, report.measured_ends, report.negative_end_share, 'negative_end_share')} |",
        f"| mean score | {num(report.mean_score, grouped=False)} |",
        "",
        "## Alerts",
        "",
        *([f"- **{_cell(a.rule)}**: {_cell(a.message)}" for a in alerts] or ["None."]),
        "",
        "## Quarantined, failed and unreadable files",
        "",
    ]
    if report.problems:
        lines += ["| file | status | reason |", "|---|---|---|"]
        lines += [f"| {_cell(p.file_name)} | {p.status} | {_cell(p.reason)} |" for p in report.problems]
    else:
        lines.append("None.")
    return "\n".join(lines) + "\n"
