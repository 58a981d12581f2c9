"""The end of a nightly run: its report as Prefect artifacts, and alerts (logged, and POSTed
to ``alert_webhook`` when one is set).

Reporting reads what the run stored and changes nothing; whatever goes wrong in it is
logged and never fails the run whose calls are already safely stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from usecases.settings import Settings
from pipeline.stats.alerts import Alert, AlertRule, WebhookResult, evaluate, post_webhook
from storage.db import connect
from storage.run_report import RunReport, run_report

WEBHOOK_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class ReportOutcome:
    report: RunReport
    alerts: tuple[Alert, ...]
    webhook: WebhookResult | None  # None: no webhook configured, or nothing to alert about


def rules_for(settings: Settings) -> list[AlertRule]:
    return settings.alerts.rules()


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _num(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


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
        text = f"{part} of {whole} ({_pct(value)})"
        return text + (f"; {_pct(base[metric])} before" if base[metric] is not None else "")

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
        f"| wall time | {_num(None if report.wall_s is None else report.wall_s / 60)} min |",
        f"| throughput | {_num(report.calls_per_hour, 0)} calls/h, "
        f"{_num(report.audio_hours_per_hour, 2)} h of audio per hour |",
        f"| flagged calls | {share(report.flagged, report.processed, report.flagged_share, 'flagged_share')} |",
        f"| failures | {share(report.failed, report.attempted, report.failed_share, 'failed_share')} |",
        f"| negative customer ends | "
        f"{share(report.negative_ends, report.measured_ends, report.negative_end_share, 'negative_end_share')} |",
        f"| mean score | {_num(report.mean_score)} |",
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


def webhook_payload(report: RunReport, alerts: list[Alert] | tuple[Alert, ...]) -> dict:
    """Figures and alerts only, no file names or transcripts. ``text`` makes it readable as is by
    Slack-compatible incoming webhooks (Mattermost, Rocket.Chat)."""
    heading = f"callqa {report.flow} run {report.run_id}: {len(alerts)} alert(s)"
    return {
        "text": "\n".join([heading, *(f"- {a.message}" for a in alerts)]),
        "run_id": report.run_id,
        "flow": report.flow,
        "started_at": report.started_at.isoformat(),
        "alerts": [a.to_json() for a in alerts],
        "metrics": report.metrics(),
        "baseline": {**report.baseline_metrics(), "runs": len(report.baseline)},
    }


def publish(settings: Settings, run_id: str, logger) -> ReportOutcome:
    with connect(settings.storage.db, read_only=True) as con:
        report = run_report(con, run_id, settings.alerts.baseline_runs)
    alerts = tuple(evaluate(report.metrics(), report.baseline_metrics(), rules_for(settings)))
    for alert in alerts:
        logger.warning("alert %s: %s", alert.rule, alert.message)
    try:  # the artifacts are for people; a Prefect API hiccup must not hold back the alerts
        key = f"{report.flow}-run"
        create_markdown_artifact(report_markdown(report, alerts), key=f"{key}-report",
                                 description=f"{report.flow} run {run_id}")
        create_table_artifact(figure_rows(report), key=f"{key}-figures", description=f"{report.flow} run {run_id}")
    except Exception as err:
        logger.warning("could not create the run report artifacts: %s", err)
    webhook = None
    if alerts and settings.alerts.webhook:
        webhook = post_webhook(settings.alerts.webhook, webhook_payload(report, alerts), WEBHOOK_TIMEOUT_S, logger)
    return ReportOutcome(report, alerts, webhook)


@task(cache_policy=NO_CACHE)
def report_run(settings: Settings, run_id: str) -> ReportOutcome | None:
    """Report a finished run: artifacts, alerts logged and posted. Never raises; None when it failed."""
    logger = get_run_logger()
    try:
        return publish(settings, run_id, logger)
    except Exception as err:
        logger.error("the report of run %s failed (the run itself is stored): %s: %s", run_id, type(err).__name__, err,
                     exc_info=True)
        return None
