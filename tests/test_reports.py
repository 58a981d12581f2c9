"""Periodic QA reports: figures against independent SQL, the Excel workbook, the HTML page in
headless Chromium, the scheduled flow (idempotent), the CLI, the schedule and the app's page.

The database is a copy of the real nightly run over the sample calls (``flow_db``, week
2026-W47) plus rows added here: sites for two calls, call reasons and outcomes, predicted
satisfaction, reviewers' verdicts that make a coaching topic, and the same five calls cloned
one week earlier (live) and six weeks earlier (then purged by retention, so they are counted
only through the daily aggregates).
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from reporting.excel import SHEETS, render_xlsx
from reporting.files import list_reports, scope_slug
from reporting.html import ENGLISH, render_html
from reporting.labels import period_title
from reporting.model import ReportPeriod, ReportScope
from storage.coaching import CoachingRule
from storage.db import connect
from storage.reports import build_report, report_scopes
from tests.conftest import copy_database
from usecases.settings import load_settings

W47 = ReportPeriod.containing("week", date(2026, 11, 20))  # the sample calls' week
W46, W41 = ReportPeriod.containing("week", date(2026, 11, 13)), ReportPeriod.containing("week", date(2026, 10, 9))
NORTH = ("ru_stereo_good.flac", "en_stereo_good.flac")
CLONED_TABLES = ("scores", "criteria_results", "detections")


def _clone(con: duckdb.DuckDBPyConnection, ids: list[str], prefix: str, days: int) -> list[str]:
    """These calls again, ``days`` earlier, under new ids; returns the new ids."""
    con.execute(
        f"INSERT INTO calls SELECT * REPLACE ('{prefix}' || call_id AS call_id, started_at - INTERVAL ({days}) DAY "
        f"AS started_at, '/nonexistent/{prefix}' || file_name AS source_path)"
        " FROM calls WHERE call_id IN (SELECT unnest(?))",
        [ids],
    )
    for table in CLONED_TABLES:
        con.execute(f"INSERT INTO {table} SELECT * REPLACE ('{prefix}' || call_id AS call_id) FROM {table} "
                    "WHERE call_id IN (SELECT unnest(?))", [ids])
    return [prefix + i for i in ids]


@pytest.fixture(scope="module")
def report_db(flow_db, tmp_path_factory) -> Path:
    from storage.calls import insert_review, review_row
    from storage.retention import purge_calls, transaction

    target = tmp_path_factory.mktemp("reports") / "callqa.duckdb"
    copy_database(flow_db["db"], target)
    with connect(target) as con:
        # Two calls at site "north", the others at none (the samples' own sites are replaced).
        con.execute("UPDATE calls SET site = CASE WHEN file_name IN (SELECT unnest(?)) THEN 'north' END", [list(NORTH)])
        calls = dict(con.execute("SELECT file_name, call_id FROM calls WHERE status = 'processed'").fetchall())
        _clone(con, list(calls.values()), "w46-", 7)
        old = _clone(con, list(calls.values()), "w41-", 42)
        with transaction(con):
            purge_calls(con, old, "retention")
        # Call reasons, outcomes and predictions: the nightly run computed its own; known values replace them
        # here (one call with none), so the report's figures can be checked against them.
        con.execute("DELETE FROM call_insights")
        con.execute("DELETE FROM call_satisfaction")
        insights = {"ru_stereo_good.flac": ("billing", "resolved"), "ru_stereo_rude.flac": ("billing", "unresolved"),
                    "en_stereo_good.flac": ("no_connection", "follow_up"), "en_mono_rude.flac": (None, "unresolved")}
        for name, (reason, outcome) in insights.items():
            con.execute("INSERT INTO call_insights (call_id, insights_version, reason_id, outcome, computed_at) "
                        "VALUES (?, 'test', ?, ?, now())", [calls[name], reason, outcome])
        for name, predicted in {
            "ru_stereo_good.flac": 4.5,
            "en_stereo_good.flac": 4.0,
            "ru_stereo_rude.flac": 1.5,
        }.items():
            con.execute("INSERT INTO call_satisfaction VALUES (?, 'test', ?, '{}', now())", [calls[name], predicted])
        # A coaching topic: op.andreev fails the greeting in both calls, op.belova (same team) passes it.
        for name, verdict in {"ru_stereo_good.flac": "fail", "ru_mono_partial.flac": "fail",
                              "ru_stereo_rude.flac": "pass"}.items():
            insert_review(con, review_row(calls[name], "anna.qa", "override", "greeting", verdict))
    return target


def _one(db: Path, sql: str, params: list | None = None):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchone()
    finally:
        con.close()


# The samples have two calls per operator: this site coaches on 2 misses of the last 10 judged calls.
SITE_RULE = CoachingRule(min_misses=2, recent_calls=10)


def _report(db: Path, scope: ReportScope, period: ReportPeriod = W47, trend: int = 8,
            rule: CoachingRule = SITE_RULE):
    with connect(db, read_only=True) as con:
        return build_report(con, scope, period, trend, coaching_rule=rule)


# Independent SQL: the calls of a week, with their current score, as a reader of the tables would count them.
_WEEK = """
    FROM calls c LEFT JOIN scores s ON s.call_id = c.call_id AND s.scorecard_name = c.scorecard_name
         AND s.scorecard_version = c.scorecard_version
    WHERE c.status = 'processed' AND c.started_at >= ? AND c.started_at < ? AND {where}
"""


@pytest.mark.parametrize("scope,where,params", [
    (ReportScope("all"), "TRUE", []),
    (ReportScope("team", "support-1"), "c.team = ?", ["support-1"]),
    (ReportScope("site", "north"), "c.site = ?", ["north"]),
    (ReportScope("site", None), "c.site IS NULL", []),
], ids=["all", "team", "site", "unassigned-site"])
def test_summary_equals_independent_sql_counts(report_db, scope, where, params):
    report = _report(report_db, scope)
    week = [datetime(2026, 11, 16), datetime(2026, 11, 23)]
    calls, mean, flagged, hours = _one(report_db, "SELECT count(*), avg(s.score), count(*) FILTER (len(s.flags) > 0), "
                                       "sum(c.duration_s) / 3600 " + _WEEK.format(where=where), week + params)
    escalations = _one(
        report_db,
        "SELECT count(*) " + _WEEK.format(where=where) + " AND EXISTS (SELECT 1 FROM detections d "
        "WHERE d.call_id = c.call_id AND d.kind = 'escalation')",
        week + params,
    )[0]
    satisfaction = _one(report_db, "SELECT avg(p.predicted), count(p.call_id) " + _WEEK.format(where=where).replace(
        "WHERE", "LEFT JOIN call_satisfaction p ON p.call_id = c.call_id WHERE"), week + params)
    s = report.summary
    assert s.calls == calls > 0
    assert s.mean_score == pytest.approx(mean)
    assert s.flagged == flagged and s.escalations == escalations
    assert s.audio_hours == pytest.approx(hours, abs=1e-6)
    assert s.satisfaction_calls == satisfaction[1]
    assert s.satisfaction_mean == (None if satisfaction[0] is None else pytest.approx(satisfaction[0]))


def test_criteria_reasons_and_coaching_of_a_week(report_db):
    report = _report(report_db, ReportScope("all"))
    rates = {c.criterion_id: c for c in report.criteria}
    # The current verdict: the reviewer's override, else the automatic result.
    for cid, c in rates.items():
        passed, failed = _one(
            report_db,
            """
            SELECT count(*) FILTER (v = 'pass'), count(*) FILTER (v = 'fail') FROM (
              SELECT coalesce((SELECT verdict FROM reviews r
                               WHERE r.call_id = c.call_id AND r.criterion_id = cr.criterion_id
                               ORDER BY created_at DESC LIMIT 1), cr.result) AS v
              FROM calls c JOIN criteria_results cr ON cr.call_id = c.call_id AND cr.scorecard_name = c.scorecard_name
                   AND cr.scorecard_version = c.scorecard_version
              WHERE c.status = 'processed' AND c.started_at >= '2026-11-16' AND c.started_at < '2026-11-23'
                AND cr.criterion_id = ?)""",
            [cid],
        )
        assert (c.passed, c.failed) == (passed, failed), cid
    rated = [c.pass_rate for c in report.criteria if c.pass_rate is not None]
    assert rated == sorted(rated), "worst criteria first"
    assert rates["greeting"].previous_pass_rate is not None  # the clones of the week before, without the overrides
    assert rates["greeting"].title == "Приветствие / Greeting"  # the stored scorecard's title

    by_reason = {r.reason_id: r for r in report.reasons}
    assert [r.reason_id for r in report.reasons][0] == "billing"
    assert by_reason["billing"].calls == 2 and by_reason["billing"].outcomes == {"resolved": 1, "unresolved": 1}
    assert by_reason[None].label.startswith("other")
    assert report.outcomes == {"resolved": 1, "follow_up": 1, "unresolved": 2}

    default = _report(report_db, ReportScope("team", "support-1"), rule=CoachingRule())  # 3 misses of the last 10
    assert not [t for t in default.coaching if (t.operator_id, t.criterion_id) == ("op.andreev", "greeting")]
    team = _report(report_db, ReportScope("team", "support-1"))
    topic = [t for t in team.coaching if (t.operator_id, t.criterion_id) == ("op.andreev", "greeting")]
    assert topic and (topic[0].failed, topic[0].calls) == (2, 2)
    assert (topic[0].misses, topic[0].recent_calls, topic[0].streak) == (2, 2, "✗✗")
    assert not [
        t for t in _report(report_db, ReportScope("team", "support-en")).coaching if t.operator_id == "op.andreev"
    ]


def test_weeks_whose_verdicts_retention_deleted_still_count(report_db):
    assert _one(report_db, "SELECT count(*) FROM calls WHERE call_id LIKE 'w41-%' AND status = 'purged'")[0] == 5
    assert _one(report_db, "SELECT count(*) FROM scores WHERE call_id LIKE 'w41-%'")[0] == 0
    live = _report(report_db, ReportScope("all"))
    folded = _report(report_db, ReportScope("all"), W41)
    assert folded.summary.calls == 5 and folded.summary.flagged == live.summary.flagged
    assert folded.summary.mean_score == pytest.approx(live.summary.mean_score)
    assert _report(report_db, ReportScope("site", "north"), W41).summary.calls == 2  # the site was folded too
    trend = {p.period: p.calls for p in live.trend}
    assert (trend[W41], trend[W46], trend[W47]) == (5, 5, 5) and len(live.trend) == 8
    assert {s.value for s in _scopes(report_db, W41) if s.kind == "site"} == {"north", None}


def _scopes(db: Path, period: ReportPeriod) -> list[ReportScope]:
    with connect(db, read_only=True) as con:
        return report_scopes(con, period)


def test_a_week_without_calls_and_without_reasons(report_db):
    empty = _report(report_db, ReportScope("all"), ReportPeriod.containing("week", date(2026, 12, 7)))
    assert empty.summary.calls == 0 and empty.summary.mean_score is None and not empty.reasons
    page = render_html(empty)
    assert "No calls in this period." in page and "No reasons computed for these calls." in page
    assert _scopes(report_db, empty.period) == [ReportScope("all")]


def test_periods():
    assert ReportPeriod.last_complete("week", date(2026, 11, 23)) == W47  # a Monday: last week
    assert ReportPeriod.last_complete("week", date(2026, 11, 22)) == W46  # Sunday: its week is not over
    assert (W47.label, W47.end) == ("2026-W47", date(2026, 11, 23))
    january = ReportPeriod.last_complete("month", date(2027, 1, 15))
    assert (january.start, january.end, january.label) == (date(2026, 12, 1), date(2027, 1, 1), "2026-12")
    assert ReportPeriod.last_complete("day", date(2026, 3, 1)).start == date(2026, 2, 28)
    assert [p.label for p in W47.last(3)] == ["2026-W45", "2026-W46", "2026-W47"]
    assert scope_slug(ReportScope("team", "support-1")) == "team-support-1"
    assert scope_slug(ReportScope("site", None)) == "site-unassigned"
    assert scope_slug(ReportScope("team", "Support 1")) != scope_slug(ReportScope("team", "Support-1"))


def test_excel_workbook_has_its_sheets_and_native_charts(report_db, tmp_path):
    report = _report(report_db, ReportScope("team", "support-1"))
    path = tmp_path / "r.xlsx"
    path.write_bytes(render_xlsx(report))
    wb = load_workbook(path)
    assert wb.sheetnames == list(SHEETS) == ["Summary", "Trends", "Worst criteria", "Call reasons", "Coaching"]
    figures = {r[0]: r[1] for r in wb["Summary"].iter_rows(min_row=7, values_only=True)}
    assert figures["Calls"] == report.summary.calls == 3
    assert figures["Mean QA score"] == pytest.approx(report.summary.mean_score, abs=0.01)
    assert figures["Predicted satisfaction (1-5)"] == pytest.approx(report.summary.satisfaction_mean, abs=0.01)
    trends = list(wb["Trends"].iter_rows(min_row=2, values_only=True))
    assert [r[2] for r in trends] == [p.calls for p in report.trend]
    worst = list(wb["Worst criteria"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in worst] == [ENGLISH.title(c.title) for c in report.criteria]  # titles, not ids
    reasons = {r[0]: r[1] for r in wb["Call reasons"].iter_rows(min_row=2, values_only=True)}
    assert reasons == {"Billing": 2}  # support-1's calls with reasons (no taxonomy given: the id made readable)
    coaching = list(wb["Coaching"].iter_rows(min_row=2, values_only=True))
    assert ("op.andreev", "Greeting") in [(r[0], r[2]) for r in coaching]
    # openpyxl does not read charts back: count them in the file, per sheet.
    assert _charts_per_sheet(path) == {"Trends": ["lineChart", "barChart"], "Worst criteria": ["barChart"],
                                       "Call reasons": ["barChart"], "Coaching": ["barChart"]}


def _charts_per_sheet(path: Path) -> dict[str, list[str]]:
    """Sheet name -> the kinds of the charts drawn on it, read from the .xlsx parts."""
    import posixpath
    import zipfile

    def related(z: zipfile.ZipFile, part: str) -> dict[str, str]:
        """Relationship id -> the part it points to."""
        rels = posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")
        if rels not in z.namelist():
            return {}
        text = z.read(rels).decode()
        out = {}
        for rel in re.findall(r"<Relationship [^>]*>", text):
            rid, target = re.search(r'Id="([^"]+)"', rel).group(1), re.search(r'Target="([^"]+)"', rel).group(1)
            out[rid] = target[1:] if target.startswith("/") else posixpath.normpath(
                posixpath.join(posixpath.dirname(part), target))
        return out

    out: dict[str, list[str]] = {}
    with zipfile.ZipFile(path) as z:
        book = related(z, "xl/workbook.xml")
        for name, rid in re.findall(
            r'<sheet [^>]*name="([^"]+)"[^>]*r:id="([^"]+)"', z.read("xl/workbook.xml").decode()
        ):
            kinds = []
            for drawing in (t for t in related(z, book[rid]).values() if "/drawings/" in t):
                for chart in (t for t in related(z, drawing).values() if "/charts/" in t):
                    kinds += re.findall(r"<(?:c:)?(lineChart|barChart)>", z.read(chart).decode())
            if kinds:
                out[name] = kinds
    return out


def _chromium(chromium: str, tmp: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tempfile.mkdtemp(dir=tmp)
    return subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}", "--window-size=1200,2600",
         *args], capture_output=True, text=True, timeout=120)


def test_html_report_is_self_contained_and_renders_in_chromium(report_db, chromium, tmp_path):
    report = _report(report_db, ReportScope("all"))
    page = render_html(report)
    # Nothing to fetch: no script, no external source, no stylesheet link; url() only to the SVGs' own ids.
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert not re.search(r"url\((?!#)", page)
    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    shot = tmp_path / "report.png"
    done = _chromium(chromium, tmp_path, "--virtual-time-budget=5000", "--dump-dom", path.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert dom.count("<svg") == 3  # trend, criteria, reasons
    s = report.summary
    for card, text in {"summary-calls": str(s.calls), "summary-score": f"{s.mean_score:.1f}",
                       "summary-flagged": f"{100 * s.flagged / s.calls:.0f}%",
                       "summary-satisfaction": f"{s.satisfaction_mean:.2f}"}.items():
        assert re.search(rf'id="{card}"><div class="value">{re.escape(text)}<', dom), card
    assert period_title(W47, ENGLISH) in dom and "Greeting" in dom and "Billing" in dom and "op.andreev" in dom
    done = _chromium(chromium, tmp_path, "--hide-scrollbars", f"--screenshot={shot}", path.as_uri())
    assert done.returncode == 0 and shot.stat().st_size > 20_000, done.stderr[-2000:]


def test_flow_writes_every_groups_report_and_a_rerun_replaces_them(report_db, prefect_harness, tmp_path):
    from flows.periodic_reports import periodic_reports

    out = tmp_path / "reports"
    first = periodic_reports(period="week", end=date(2026, 11, 25), db=str(report_db), reports_dir=str(out))
    names = sorted(p.name for p in (out / "week" / "2026-W47").iterdir())
    assert names == sorted(f"{stem}.{ext}" for stem in ("all", "team-support-1", "team-support-en", "site-north",
                                                           "site-unassigned") for ext in ("html", "xlsx"))
    assert {w.scope.title: w.calls for w in first} == {"All calls": 5, "Team support-1": 3, "Team support-en": 2,
                                                       "Site north": 2, "Site unassigned": 3}
    before = {p: p.stat().st_ino for p in out.rglob("*.html")}
    second = periodic_reports(period="week", end=date(2026, 11, 23), db=str(report_db), reports_dir=str(out))
    after = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert after == sorted(p.relative_to(out) for p in [*before, *(p.with_suffix(".xlsx") for p in before)])
    assert [w.html for w in second] == [w.html for w in first]
    assert all(p.stat().st_ino != inode for p, inode in before.items()), "each file was written again and replaced"
    assert len(list_reports(out)) == 5


def test_cli_report_writes_and_prints(report_db, tmp_path, capsys):
    from callqa.cli import main

    out = tmp_path / "out"
    assert main(["report", "--db", str(report_db), "--out", str(out), "--period", "month", "--end", "2026-12-01",
                 "--json"]) == 0
    written = json.loads(capsys.readouterr().out)
    # November: the sample calls and their clones of the week before (the older clones are in October).
    assert {(w["scope"], w["group"], w["calls"]) for w in written} >= {("all", None, 10), ("site", "north", 4)}
    assert all(Path(w["html"]).is_file() and Path(w["xlsx"]).is_file() for w in written)
    assert Path(written[0]["html"]).parent == out / "month" / "2026-11"
    assert main(["report", "--db", str(tmp_path / "none.duckdb")]) == 2
    # --latest: the week of the latest call (the samples' week), whatever today is.
    assert main(["report", "--db", str(report_db), "--out", str(out), "--latest", "--json"]) == 0
    latest = json.loads(capsys.readouterr().out)
    with connect(report_db, read_only=True) as con:
        newest = con.execute("SELECT max(CAST(coalesce(started_at, processed_at) AS DATE)) FROM calls "
                             "WHERE status = 'processed'").fetchone()[0]
    monday = newest - timedelta(days=newest.weekday())
    assert {w["period"] for w in latest} == {f"{monday.isocalendar().year}-W{monday.isocalendar().week:02d}"}
    assert ("all", None, 5) in {(w["scope"], w["group"], w["calls"]) for w in latest}


def test_schedule_serves_the_reports_beside_the_nightly_flow(prefect_harness, tmp_path, capsys):
    from prefect import get_client

    from callqa.cli import main
    from flows.schedule import reports_deployment

    assert main(["schedule", "--dry-run", "--timezone", "Europe/Moscow", "--db", str(tmp_path / "q.duckdb")]) == 0
    shown = json.loads(capsys.readouterr().out)
    reports = shown["reports"]
    assert shown["deployment"] == "nightly/nightly" and reports["deployment"] == "periodic_reports/periodic-reports"
    assert (reports["cron"], reports["timezone"]) == ("0 6 * * 1", "Europe/Moscow")
    assert all(
        datetime.fromisoformat(t).weekday() == 0 and datetime.fromisoformat(t).hour == 6 for t in reports["next_runs"]
    )
    assert reports["parameters"] == {"period": "week", "db": str((tmp_path / "q.duckdb").resolve()),
                                     "reports_dir": str((tmp_path / "reports").resolve())}
    assert main(["schedule", "--dry-run", "--no-reports"]) == 0 and "reports" not in json.loads(capsys.readouterr().out)

    settings = load_settings(db=tmp_path / "q.duckdb", report_period="month")
    deployment_id = reports_deployment(settings, "0 7 1 * *", "UTC").apply()  # as serving registers it
    with get_client(sync_client=True) as client:
        stored = client.read_deployment_by_name("periodic_reports/periodic-reports")
    assert stored.id == deployment_id and stored.entrypoint == "flows.periodic_reports.periodic_reports"
    assert [(s.schedule.cron, s.schedule.timezone) for s in stored.schedules] == [("0 7 1 * *", "UTC")]
    assert stored.parameters["period"] == "month"


def test_prefect_yaml_deploys_the_reports_flow():
    import inspect

    import yaml
    from prefect.flows import load_flow_from_entrypoint

    from flows.periodic_reports import periodic_reports
    from flows.schedule import check_schedule

    repo = Path(__file__).resolve().parent.parent
    (entry,) = [d for d in yaml.safe_load((repo / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]
                if d["name"] == "periodic-reports"]
    path, function = entry["entrypoint"].split(":")
    loaded = load_flow_from_entrypoint(f"{repo / path}:{function}")
    assert loaded.name == periodic_reports.name == "periodic_reports"
    assert set(entry["parameters"]) <= set(inspect.signature(periodic_reports.fn).parameters)
    (schedule,) = entry["schedules"]
    assert check_schedule(schedule["cron"], schedule["timezone"]).cron == load_settings().reports.cron


def test_reports_page_generates_lists_previews_and_offers_downloads(report_db, tmp_path, monkeypatch):
    from streamlit import config as st_config
    from streamlit.testing.v1 import AppTest

    app = Path(__file__).resolve().parent.parent / "qa_app" / "app.py"
    before = st_config.get_option("server.address")
    st_config.set_option("server.address", "127.0.0.1")
    monkeypatch.setenv("CALLQA_USERS", str(tmp_path / "users.toml"))
    monkeypatch.setenv("CALLQA_DB", str(report_db))
    monkeypatch.setenv("CALLQA_REPORTS_DIR", str(tmp_path / "reports"))
    try:
        at = AppTest.from_file(str(app), default_timeout=60).run()
        at.switch_page("views/reports.py")
        at.run()
        assert not at.exception and [t.value for t in at.title] == ["Reports"]
        assert any("No reports yet" in i.value for i in at.info)
        at.date_input(key="report_end").set_value(date(2026, 11, 24)).run()
        assert at.button(key="report_generate").label.endswith(period_title(W47, ENGLISH))
        at.button(key="report_generate").click().run()
        assert not at.exception and not at.error, [e.message for e in at.exception]
        assert any(f"Wrote the reports of {period_title(W47, ENGLISH)}: All calls (5 calls)" in s.value
                   for s in at.success)
        assert at.selectbox(key="report_pick").value == "week/2026-W47/all"
        assert len(at.selectbox(key="report_pick").options) == 5

        folder = tmp_path / "reports" / "week" / "2026-W47"
        # Downloads go inside the session (qa_app/downloads.py), never as a /media URL: the file is
        # built when the button asks, and is the report's bytes.
        def offered() -> dict[str, str]:
            return {e.proto.id: json.loads(e.proto.json)["label"]
                    for e in at.get("bidi_component") if e.proto.component_name == "callqa_download"}

        assert sorted(offered().values()) == ["Excel workbook", "HTML report"]
        assert not at.get("download_button"), "nothing may go through Streamlit's /media endpoint"
        for key, name, mime in [("report_download_html", "all.html", "text/html"), ("report_download_xlsx", "all.xlsx",
                                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")]:
            at.session_state[f"callqa_download_asked:{key}"] = True  # what the button's click sets
            at.run()
            payload = next(json.loads(e.proto.json) for e in at.get("bidi_component")
                           if e.proto.component_name == "callqa_download" and e.proto.id.endswith(key))
            assert payload["file_name"] == f"callqa-week-2026-W47-all.{name[4:]}" and payload["mime"] == mime
            assert base64.b64decode(payload["file"]) == (folder / name).read_bytes()
        preview = at.get("iframe")
        assert preview and f"QA report · All calls · {period_title(W47, ENGLISH)}" in preview[0].proto.srcdoc

        at.selectbox(key="report_pick").set_value("week/2026-W47/site-north").run()
        at.session_state["callqa_download_asked:report_download_html"] = True
        at.run()
        payload = next(json.loads(e.proto.json) for e in at.get("bidi_component")
                       if e.proto.component_name == "callqa_download" and e.proto.id.endswith("report_download_html"))
        assert base64.b64decode(payload["file"]) == (folder / "site-north.html").read_bytes()
    finally:
        st_config.set_option("server.address", before)


def test_migration_keeps_folded_counts_with_an_unknown_site(tmp_path):
    """A database whose retention folded calls before sites were aggregated keeps those counts (site '')."""
    from storage import aggregates
    from storage.db import migrate, migrations

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)")
        for version, name, sql in migrations():
            if version < 12:
                con.execute(sql)
                con.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [version, name])
        con.execute("INSERT INTO daily_aggregates VALUES ('2026-10-09', 'op.a', 't1', 'q', 'inbound_support', 3, "
                    "4, 4, 300.5, 1, 0, 120.0, now())")
        con.execute(
            "INSERT INTO daily_criterion_aggregates VALUES ('2026-10-09', 'op.a', 't1', 'q', 'inbound_support', 3, "
            "'greeting', 3, 1, 0, 0, now())"
        )
        assert "012_aggregates_site.sql" in migrate(con)
        calls = aggregates.daily_call_stats(con, date(2026, 10, 1), date(2026, 11, 1))
        criteria = aggregates.daily_criterion_stats(con, date(2026, 10, 1), date(2026, 11, 1))
    finally:
        con.close()
    assert calls[["team", "site", "calls", "flagged"]].values.tolist() == [["t1", "", 4, 1]]
    assert float(calls["score_sum"].iloc[0]) == 300.5
    assert criteria[["site", "passed", "failed"]].values.tolist() == [["", 3, 1]]
