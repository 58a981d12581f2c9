"""The run report, alert rules and the webhook, on real DuckDB files written through storage
(calls built by hand: no audio, no models), a real local HTTP server, and a real Prefect flow."""

from __future__ import annotations

import itertools
import json
import logging
import socket
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pipeline.judging.sentiment import CallSentiment
from pipeline.records import CallAnalysis, CriterionResult, Score, Transcript
from pipeline.stats.alerts import AlertRule, default_rules, evaluate
from storage.calls import SourceFile, finish_run, save_analysis, save_problem, start_run
from storage.db import connect
from storage.run_report import run_report
from usecases.alerts import post_webhook

_ids = itertools.count()


@dataclass(frozen=True)
class C:
    """One call of a test run: processed with these flags, score and customer end sentiment, or a problem."""

    status: str = "processed"
    flags: tuple[str, ...] = ()
    score: float | None = 80.0
    end: float | None = 0.2
    duration: float = 60.0
    reason: str = ""


NEG = C(flags=("negative_customer_end",), end=-0.6)


def add_run(con, calls: list[C], wall_s: float | None = 3600.0, status: str = "completed", flow: str = "nightly",
            skipped: int = 0) -> str:
    run_id = start_run(con, flow, "/inbox")
    counts = dict(processed=0, quarantined=0, failed=0)
    audio_s = 0.0
    for spec in calls:
        cid = f"k{next(_ids):05d}"
        src = SourceFile(f"/inbox/{cid}.wav", cid * 4, cid, 1000)
        counts[spec.status] += 1
        if spec.status != "processed":
            save_problem(con, src, spec.status, spec.reason, run_id)  # type: ignore[arg-type]  # spec.status: a plain str
            continue
        audio_s += spec.duration
        analysis = CallAnalysis(
            cid, src.path, spec.duration, 2, 8000, Transcript("ru", (), "base", "stereo_channels"),
            (CriterionResult("greeting", "pass", 1.0, "lemma"),), Score(spec.score, spec.flags),
            "inbound_support", 3, sentiment=CallSentiment(0.0, spec.end, 0.1, ()),
        )
        save_analysis(con, src, analysis, run_id)
    if status != "running":
        n = sum(counts.values())
        finish_run(con, run_id, status, discovered=n + skipped, new_calls=n, skipped=skipped, audio_s=audio_s,
                   wall_s=wall_s, **counts)
    return run_id


def night(negative: int, calls: int = 10) -> list[C]:
    return [NEG] * negative + [C()] * (calls - negative)


# ---------------------------------------------------------------- the report's figures


def test_report_figures_on_known_calls(tmp_path):
    db = tmp_path / "r.duckdb"
    with connect(db) as con:
        earlier = add_run(con, night(1))
        run = add_run(con, [
            C(flags=("low_score",), score=50.0, end=0.3, duration=60.0),
            C(flags=("negative_customer_end",), score=70.0, end=-0.5, duration=120.0),
            C(score=90.0, end=None, duration=180.0),  # too few customer words: end not measured
            C(score=None, end=0.1, duration=240.0),  # nothing judged: no score
            C("quarantined", reason="empty file"),
            C("failed", reason="RuntimeError: boom | in\nthe model"),
        ], wall_s=1800.0, skipped=3)
    with connect(db, read_only=True) as con:
        report = run_report(con, run)
    assert (report.run_id, report.flow, report.status) == (run, "nightly", "completed")
    assert (report.discovered, report.new_calls, report.skipped) == (9, 6, 3)
    assert (report.processed, report.quarantined, report.failed, report.attempted) == (4, 1, 1, 6)
    assert report.audio_s == 600.0 and report.wall_s == 1800.0
    assert report.calls_per_hour == pytest.approx(8.0)  # 4 calls in half an hour
    assert report.audio_hours_per_hour == pytest.approx(1 / 3)
    assert report.flagged == 2 and report.flagged_share == 0.5
    assert report.failed_share == pytest.approx(1 / 6) and report.quarantined_share == pytest.approx(1 / 6)
    assert (report.negative_ends, report.measured_ends) == (1, 3)
    assert report.negative_end_share == pytest.approx(1 / 3)
    assert report.mean_score == pytest.approx(70.0)  # the unscored call is left out, not counted as 0
    assert [(p.status, p.reason) for p in report.problems] == [
        ("quarantined", "empty file"), ("failed", "RuntimeError: boom | in\nthe model")]
    assert all(p.file_name == f"{p.call_id}.wav" for p in report.problems)
    assert [b.run_id for b in report.baseline] == [earlier]
    assert report.baseline_metrics()["negative_end_share"] == pytest.approx(0.1)

    from usecases.run_report import report_markdown

    text = report_markdown(report, [])
    assert "| processed | 4 |" in text and "2 of 4 (50%)" in text and "1 of 3 (33%); 10% before" in text
    # a reason with a pipe and a line break stays inside its table cell
    assert f"| {report.problems[1].file_name} | failed | RuntimeError: boom \\| in the model |" in text


def test_a_run_without_calls_has_no_shares_and_unknown_run_ids_are_refused(tmp_path):
    db = tmp_path / "r.duckdb"
    with connect(db) as con:
        empty = add_run(con, [], wall_s=2.0, skipped=5)
        running = add_run(con, night(2), status="running")
    with connect(db, read_only=True) as con:
        report = run_report(con, empty)
        unfinished = run_report(con, running)
        with pytest.raises(KeyError):
            run_report(con, "nosuchrun")
    assert report.skipped == 5 and report.attempted == 0 and report.problems == ()
    assert report.flagged_share is report.failed_share is report.negative_end_share is report.mean_score is None
    assert report.calls_per_hour == 0.0 and report.baseline == ()
    assert evaluate(report.metrics(), report.baseline_metrics(), default_rules(min_calls=0)) == []
    # a run still going has no wall time yet: its calls are counted, its throughput is unknown
    assert unfinished.wall_s is None and unfinished.calls_per_hour is None and unfinished.processed == 0
    assert unfinished.negative_ends == 2


def test_baseline_is_the_last_completed_runs_of_the_flow_with_calls(tmp_path):
    db = tmp_path / "r.duckdb"
    with connect(db) as con:
        add_run(con, night(9))  # completed, but older than the three below
        a = add_run(con, night(1))
        add_run(con, night(10), status="failed")
        add_run(con, night(10), status="interrupted")
        b = add_run(con, night(2))
        add_run(con, [], skipped=40)  # nothing new that night
        add_run(con, night(10), flow="rescore")
        c = add_run(con, night(0))
        current = add_run(con, night(4))
        add_run(con, night(10))  # after the current run
    with connect(db, read_only=True) as con:
        report = run_report(con, current, baseline_runs=3)
        none = run_report(con, current, baseline_runs=0)
    assert [r.run_id for r in report.baseline] == [c, b, a]
    base = report.baseline_metrics()
    assert base["negative_end_share"] == pytest.approx(0.1) and base["flagged_share"] == pytest.approx(0.1)
    assert base["failed_share"] == 0.0 and base["mean_score"] == pytest.approx(80.0)
    assert none.baseline == () and none.baseline_metrics()["negative_end_share"] is None


# ---------------------------------------------------------------- the rules


def test_above_rules_fire_strictly_above_their_threshold_and_only_on_enough_calls():
    rules = default_rules(flagged_share=0.5, failed_share=0.05, min_calls=10)
    at = {"flagged_share": 0.5, "failed_share": 0.05, "processed": 20.0, "attempted": 20.0}
    assert evaluate(at, {}, rules) == []
    over = {**at, "flagged_share": 0.55, "failed_share": 0.1}
    fired = evaluate(over, {}, rules)
    assert [a.rule for a in fired] == ["flagged_share", "failed_share"]
    assert fired[0].message == "flagged calls: 55% this run, above the 50% threshold"
    assert fired[1].value == 0.1 and fired[1].threshold == 0.05 and fired[1].baseline is None
    assert "failed recordings" in fired[1].message and "10%" in fired[1].message
    # nine processed calls are too few for the flagged share; the failure share counts attempted calls
    small = {**over, "processed": 9.0}
    assert [a.rule for a in evaluate(small, {}, rules)] == ["failed_share"]
    assert evaluate({**over, "flagged_share": None}, {}, rules)[0].rule == "failed_share"


def test_rising_rule_compares_with_the_baseline():
    rule = [AlertRule("neg", "negative_end_share", 0.25, "rising_by", "negative ends", 10, "measured_ends")]
    now = {"negative_end_share": 0.5, "measured_ends": 30.0}
    assert evaluate(now, {"negative_end_share": 0.25}, rule) == []  # up by exactly the threshold
    assert evaluate(now, {"negative_end_share": None}, rule) == []  # no earlier runs: nothing to rise from
    assert evaluate(now, {}, rule) == []
    (alert,) = evaluate(now, {"negative_end_share": 0.2}, rule)
    assert alert.baseline == 0.2 and alert.kind == "rising_by"
    assert alert.message == "negative ends: 50% this run against 20% in the previous runs, up by more than 25%"
    assert evaluate({**now, "measured_ends": 5.0}, {"negative_end_share": 0.2}, rule) == []
    with pytest.raises(ValueError, match="kind"):
        AlertRule("x", "flagged_share", 0.1, "below")


def test_rising_negative_ends_over_real_runs(tmp_path):
    db = tmp_path / "r.duckdb"
    with connect(db) as con:
        for _ in range(3):
            add_run(con, night(1))  # 10% each night
        quiet = add_run(con, night(2, calls=20))  # 10% again
        worse = add_run(con, night(4))  # 40%
    with connect(db, read_only=True) as con:
        q, w = run_report(con, quiet), run_report(con, worse)
    rules = default_rules(negative_end_rise=0.10)
    assert evaluate(q.metrics(), q.baseline_metrics(), rules) == []
    (alert,) = evaluate(w.metrics(), w.baseline_metrics(), rules)
    assert alert.rule == "negative_end_rising" and alert.value == pytest.approx(0.4)
    assert alert.baseline == pytest.approx(0.1)  # the mean of the four nights before
    assert evaluate(w.metrics(), w.baseline_metrics(), default_rules(negative_end_rise=0.35)) == []


def test_alert_settings_are_coerced_and_validated(monkeypatch, tmp_path):
    from usecases.settings import load_settings

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CALLQA_CONFIG", raising=False)
    defaults = load_settings()
    assert (defaults.alerts.webhook, defaults.alerts.flagged_share, defaults.alerts.failed_share) == ("", 0.5, 0.05)
    assert (defaults.alerts.negative_end_rise, defaults.alerts.baseline_runs, defaults.alerts.min_calls) == (0.1, 7, 10)
    monkeypatch.setenv("CALLQA_ALERT_FLAGGED_SHARE", "0.3")
    monkeypatch.setenv("CALLQA_ALERT_BASELINE_RUNS", "14")
    monkeypatch.setenv("CALLQA_ALERT_WEBHOOK", "https://chat.example.internal/hooks/abc")
    (tmp_path / "callqa.toml").write_text("[callqa]\nalert_min_calls = 25\nalert_failed_share = 0.2\n")
    s = load_settings()
    assert (s.alerts.flagged_share, s.alerts.baseline_runs, s.alerts.min_calls,
            s.alerts.failed_share) == (0.3, 14, 25, 0.2)
    assert s.alerts.webhook == "https://chat.example.internal/hooks/abc"
    for bad in (dict(alert_flagged_share=1.5), dict(alert_negative_end_rise=-0.1), dict(alert_baseline_runs=0),
                dict(alert_min_calls=-1), dict(alert_webhook="file:///etc/passwd")):
        with pytest.raises(ValueError, match="alert_"):
            load_settings(**bad)


# ---------------------------------------------------------------- the webhook


@pytest.fixture()
def hook_server(monkeypatch):
    """A real HTTP server on 127.0.0.1: records each POST; paths under /broken answer 500."""
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802  (the name http.server calls)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"path": self.path, "type": self.headers["Content-Type"], "json": json.loads(body)})
            self.send_response(500 if self.path.startswith("/broken") else 204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", received
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_webhook_posts_json(hook_server):
    url, received = hook_server
    result = post_webhook(f"{url}/hooks/t0ken", {"text": "3 alerts", "value": 0.5, "ru": "звонки"}, timeout=2)
    assert result.ok and result.status == 204 and result.error == ""
    assert received == [{"path": "/hooks/t0ken", "type": "application/json; charset=utf-8",
                         "json": {"text": "3 alerts", "value": 0.5, "ru": "звонки"}}]


def test_webhook_failures_are_logged_and_returned_never_raised(hook_server, caplog):
    url, _ = hook_server
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    with caplog.at_level(logging.WARNING, logger="usecases.alerts"):
        refused = post_webhook(f"http://127.0.0.1:{dead}/hooks/s3cret", {"text": "x"}, timeout=2)
        broken = post_webhook(f"{url}/broken", {"text": "x"}, timeout=2)
        scheme = post_webhook("file:///etc/passwd", {"text": "x"})
    assert not refused.ok and refused.status is None and "Connection refused" in refused.error
    assert not broken.ok and broken.status == 500 and broken.error.startswith("HTTP 500")
    assert not scheme.ok and "http" in scheme.error
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 3 and all("alert webhook" in m for m in messages)
    assert f"127.0.0.1:{dead}" in messages[0] and "s3cret" not in messages[0]  # the token in the path stays out


# ---------------------------------------------------------------- the Prefect task


def test_report_run_creates_artifacts_logs_and_posts_alerts(prefect_harness, hook_server, tmp_path, caplog):
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey, FlowRunFilter, FlowRunFilterId

    from flows.run_report import report_run
    from usecases.settings import load_settings

    url, received = hook_server
    db = tmp_path / "r.duckdb"
    with connect(db) as con:
        for _ in range(3):
            add_run(con, night(1))
        run = add_run(con, [C(flags=("low_score",))] * 6 + night(5, calls=5)
                      + [C("quarantined", reason="not a readable audio file")])
    settings = load_settings(db=db, inbox=tmp_path / "inbox", alert_webhook=f"{url}/hooks/qa", alert_min_calls=5)

    @flow(name="report-test")
    def wrapper(run_id: str):
        return report_run(settings, run_id)

    task_logs = logging.getLogger("prefect.task_runs")  # Prefect's run loggers do not propagate to the root
    task_logs.addHandler(caplog.handler)
    try:
        state = wrapper(run, return_state=True)
        missing = wrapper("nosuchrun")  # reporting that fails returns None: the flow goes on
    finally:
        task_logs.removeHandler(caplog.handler)
    outcome = state.result()
    assert missing is None
    assert sorted(a.rule for a in outcome.alerts) == ["flagged_share", "negative_end_rising"]
    assert outcome.webhook is not None and outcome.webhook.ok
    logged = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert ("WARNING", "alert negative_end_rising: calls ending with a negative customer: 45% this run against 10% "
                       "in the previous runs, up by more than 10%") in logged
    assert ("WARNING", "alert flagged_share: flagged calls: 100% this run, above the 50% threshold") in logged
    assert ("ERROR", "the report of run nosuchrun failed (the run itself is stored): "
                     "KeyError: 'no run nosuchrun'") in logged

    (posted,) = received
    assert posted["path"] == "/hooks/qa" and posted["json"]["run_id"] == run
    assert posted["json"]["text"].startswith(f"callqa nightly run {run}: 2 alert(s)")
    assert posted["json"]["metrics"]["flagged_share"] == pytest.approx(11 / 11)
    assert posted["json"]["baseline"]["runs"] == 3
    assert "not a readable audio file" not in json.dumps(posted["json"])  # no file names or reasons leave

    flow_run_id = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        runs = FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        md = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["nightly-run-report"])),
                                   flow_run_filter=runs)
        table = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["nightly-run-figures"])), flow_run_filter=runs)
    assert len(md) == 1 and md[0].type == "markdown"
    text = md[0].data
    assert f"run `{run}`: completed" in text and "| processed | 11 |" in text
    assert "not a readable audio file" in text and "| quarantined |" in text
    assert "**negative_end_rising**" in text and "**flagged_share**" in text
    assert len(table) == 1 and table[0].type == "table"
    rows = {r["figure"]: r for r in json.loads(table[0].data)}
    assert rows["processed"]["this run"] == 11 and rows["quarantined"]["this run"] == 1
    assert rows["negative customer end share"]["mean of last 3 runs"] == pytest.approx(0.1)
