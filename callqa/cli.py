"""The ``callqa`` command line.

Exit codes: 0 success, 2 bad input (unreadable audio, bad arguments), 1 internal error,
75 another run holds the database (``callqa run``: try again later; nothing was touched).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2
EXIT_BUSY = 75  # sysexits' EX_TEMPFAIL: a scheduler may simply try again later


def _settings(args: argparse.Namespace, **extra):
    from usecases.settings import load_settings

    return load_settings(**extra)


def cmd_analyze(args: argparse.Namespace) -> int:
    from usecases.runtime import build_analyzer
    from pipeline.errors import BadRecording

    path = Path(args.path)
    if not path.is_file():
        print(f"callqa: error: {path}: no such file", file=sys.stderr)
        return EXIT_BAD_INPUT
    settings = _settings(
        args, language=args.language, scorecard=args.scorecard, operator_channel=args.operator_channel, db=None
    )
    analyzer = build_analyzer(settings)
    try:
        analysis = analyzer.analyze(path)
    except BadRecording as err:
        print(f"callqa: error: {path}: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.json:
        print(json.dumps(analysis.to_json(), ensure_ascii=False, indent=2))
        return EXIT_OK
    data = analysis.to_json()
    print(f"{path.name}: {data['duration_s']} s, {data['channels']} ch, {data['language']}, score {data['score']}, flags {', '.join(data['flags']) or '-'}")
    for seg in data["segments"]:
        print(f"  [{seg['start']:7.2f}-{seg['end']:7.2f}] {seg['speaker']:>8}: {seg['text']}")
    for c in data["criteria"]:
        ev = f" \u2190 \"{c['evidence']['text']}\" @{c['evidence']['start']}s" if c["evidence"] else ""
        print(f"  {c['id']:<22} {c['result']:<8} ({c['method']}, {c['confidence']:.2f}){ev}")
    for e in data["escalations"]:
        print(f"  escalation: {e['category']} \u2190 \"{e['evidence']['text']}\" @{e['evidence']['start']}s")
    if data["sentiment"]:
        print("  sentiment: " + ", ".join(f"{k} {v}" for k, v in data["sentiment"].items()))
    if data["metrics"]:
        m = data["metrics"]
        print(f"  metrics: talk/listen {m.get('talk_listen_ratio')}, dead air {m.get('dead_air_s')} s, "
              f"overtalk {m.get('overtalk_s')} s, holds {m['hold_count']}")
    if data["pii"]:
        print(f"  redacted: {len(data['pii'])} span(s) of personal data")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    """The nightly flow once, now; with --since/--until (callqa backfill), the calls of a period."""
    from flows.nightly import backfill, nightly
    from flows.progress import listening
    from flows.runners import task_runner_for
    from flows.server import temporary_server
    from storage.run_lock import RunLocked, run_lock

    since, until = _day(getattr(args, "since", None)), _day(getattr(args, "until", None))
    if getattr(args, "backfill", False) and (since is None or until is None or until <= since):
        print("callqa: error: backfill needs --since and a later --until (YYYY-MM-DD)", file=sys.stderr)
        return EXIT_BAD_INPUT
    show = args.progress if args.progress is not None else sys.stderr.isatty()
    settings = _settings(args, db=args.db, **_dask_overrides(args))
    bar = ProgressBar() if show else None
    # The run lock first (a second run leaves at once, before starting Prefect), then the temporary
    # Prefect server, started here so it gets its time and dies with this process.
    try:
        with run_lock(settings.storage.db, settings.run.lock_wait_s), \
                temporary_server(settings.run.prefect_startup_timeout_s), \
                listening(bar.update if bar else (lambda p: None)):
            runner = task_runner_for(settings)
            if getattr(args, "backfill", False):
                summary = backfill.with_options(task_runner=runner)(
                    since, until, inbox=args.inbox, db=args.db, batch_size=args.batch_size)
            else:
                summary = nightly.with_options(task_runner=runner)(inbox=args.inbox, db=args.db, batch_size=args.batch_size)
    except RunLocked as err:
        print(f"callqa: {err}", file=sys.stderr)
        return EXIT_BUSY
    finally:
        if bar:
            bar.close()
    unreadable = f", {summary.unreadable} unreadable (skipped)" if summary.unreadable else ""
    print(
        f"run {summary.run_id}: {summary.discovered} recordings, {summary.processed} processed, "
        f"{summary.quarantined} quarantined, {summary.failed} failed, {summary.skipped} already known{unreadable} "
        f"({summary.audio_s:.0f} s of audio in {summary.wall_s:.0f} s)"
    )
    if summary.unreadable:
        print(f"the unreadable inbox entries and why: the app's Runs page (run {summary.run_id}) or the run's "
              "report in Prefect", file=sys.stderr)
    print(f"results in {settings.storage.db}; review them with: callqa app --db {settings.storage.db}")
    return EXIT_OK if summary.failed == 0 else EXIT_INTERNAL


def _dask_overrides(args: argparse.Namespace) -> dict:
    out = {}
    if getattr(args, "dask_workers", None) is not None:
        out["dask_workers"] = args.dask_workers
    if getattr(args, "dask_address", None):
        out["dask_address"] = args.dask_address
    return out


class ProgressBar:
    """Calls done of the run's new recordings, audio hours so far, and an ETA (from bytes, since
    calls differ in length) on stderr."""

    def __init__(self) -> None:
        self._bar = None
        self._started = 0.0

    def update(self, p) -> None:
        import time

        from tqdm import tqdm

        if self._bar is None:
            self._bar = tqdm(total=p.total_calls, unit="call", file=sys.stderr, dynamic_ncols=True,
                             bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} calls [{elapsed}{postfix}]")
            self._started = time.monotonic()
        self._bar.n = p.done_calls
        eta = "?"
        if p.done_bytes and p.total_bytes:
            spent = time.monotonic() - self._started
            left = spent * (p.total_bytes - p.done_bytes) / p.done_bytes
            eta = f"{int(left // 60)}:{int(left % 60):02d}"
        self._bar.set_postfix_str(f"audio {p.audio_s / 3600:.2f} h, ETA {eta}", refresh=False)
        self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def cmd_load(args: argparse.Namespace) -> int:
    """Store the results waiting in the results store (the loader alone writes DuckDB)."""
    import logging

    from flows.load import load_results

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = _settings(args, db=args.db, results_dir=args.results)
    stored = load_results(settings, None, logging.getLogger("callqa.load"))
    by_status = {s: sum(o.status == s for o in stored) for s in ("processed", "quarantined", "failed")}
    print(f"loaded {len(stored)} results from {settings.storage.results_dir} into {settings.storage.db}: "
          + ", ".join(f"{n} {s}" for s, n in by_status.items()))
    return EXIT_OK


def cmd_stats(args: argparse.Namespace) -> int:
    from storage.db import connect
    from storage.queries import stats

    settings = _settings(args, db=args.db)
    if not Path(settings.storage.db).exists():
        print(f"callqa: error: database {settings.storage.db} does not exist yet (run `callqa run` first)",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    with connect(settings.storage.db, read_only=True) as con:
        result = stats(con)
    if args.json:
        print(json.dumps(result.to_json()))
    else:
        for key, value in result.to_json().items():
            print(f"{key:>17}: {value}")
    return EXIT_OK


def cmd_schedule(args: argparse.Namespace) -> int:
    """Serve the nightly deployment, and the periodic reports one, on their cron schedules (blocking),
    or show them with --dry-run."""
    from flows.schedule import ScheduleError, describe, nightly_deployment, reports_deployment, serve_nightly

    settings = _settings(args, inbox=args.inbox, db=args.db, batch_size=args.batch_size,
                         reports_cron=args.reports_cron)
    try:
        deployment = nightly_deployment(settings, args.cron, args.timezone)
        reports = None if args.no_reports else reports_deployment(settings, timezone=args.timezone)
        if args.dry_run:
            shown = describe(deployment)
            if reports is not None:
                shown["reports"] = describe(reports)
            print(json.dumps(shown, ensure_ascii=False, indent=2))
            return EXIT_OK
        serve_nightly(deployment, *([reports] if reports is not None else []))
    except ScheduleError as err:
        print(f"callqa: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    """The QA reports (HTML and Excel, per group) of the last complete period, now."""
    from datetime import date

    from usecases.reports import period_of_latest_call, period_to_report, write_reports

    settings = _settings(args, db=args.db, reports_dir=args.out, report_period=args.period)
    if not Path(settings.storage.db).exists():
        print(f"callqa: error: database {settings.storage.db} does not exist yet (run `callqa run` first)",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.latest:
        period = period_of_latest_call(settings)
        if period is None:
            print(f"callqa: error: no processed call in {settings.storage.db} to report on", file=sys.stderr)
            return EXIT_BAD_INPUT
    else:
        period = period_to_report(settings, end=date.fromisoformat(args.end) if args.end else None)
    written = write_reports(settings, period)
    if args.json:
        print(json.dumps([{"scope": w.scope.kind, "group": w.scope.value, "period": period.label, "calls": w.calls,
                           "html": str(w.html), "xlsx": str(w.xlsx)} for w in written], ensure_ascii=False))
        return EXIT_OK
    print(f"{period.title}: {len(written)} reports in {Path(settings.reports.dir) / period.kind / period.label}")
    for w in written:
        print(f"  {w.scope.title:<32} {w.calls:>6} calls  {w.html.name}, {w.xlsx.name}")
    return EXIT_OK


def _day(value: str | None):
    from datetime import datetime

    return datetime.fromisoformat(value) if value else None


def cmd_rescore(args: argparse.Namespace) -> int:
    from usecases.rescore import rescore, resolve_for_rescore

    settings = _settings(args, db=args.db)
    if not Path(settings.storage.db).exists():
        print(f"callqa: error: database {settings.storage.db} does not exist yet: run `callqa run` first",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    scorecard = resolve_for_rescore(args.scorecard, settings.storage.db, settings.judging.scorecards_dir)
    summary = rescore(settings.storage.db, scorecard, since=_day(args.since), until=_day(args.until),
                      operator=args.operator, flipped_only=args.flipped)
    if args.json:
        print(json.dumps(summary.to_json()))
    else:
        print(f"re-judged {summary.calls} stored calls with {summary.scorecard} in {summary.wall_s:.1f} s; "
              f"{summary.changed_scores} scores changed. Earlier versions' verdicts stay queryable.")
    return EXIT_OK


def cmd_coaching(args: argparse.Namespace) -> int:
    from datetime import datetime, timedelta

    from storage.coaching import coaching_topics
    from storage.db import connect

    settings = _settings(args, db=args.db)
    until = _day(args.until) or datetime.now() + timedelta(days=1)
    since = _day(args.since) or until - timedelta(days=30)
    with connect(settings.storage.db, read_only=True) as con:
        topics = coaching_topics(con, since, until, operator=args.operator, limit=args.limit)
    if args.json:
        print(json.dumps([t.to_json() for t in topics], ensure_ascii=False, indent=2))
        return EXIT_OK
    if not topics:
        print(f"no coaching topics between {since:%Y-%m-%d} and {until:%Y-%m-%d} (calls need an operator id)")
    for t in topics:
        examples = ", ".join(f"{c}@{at:.0f}s" if at is not None else c for c, at in t.example_calls)
        print(f"{t.operator_id:<16} {t.criterion_id:<22} failed {t.failed}/{t.calls} ({t.fail_rate:.0%}) "
              f"vs team {t.team_fail_rate:.0%}, +{t.excess_failures:.1f} calls  e.g. {examples}")
    return EXIT_OK


def cmd_compare(args: argparse.Namespace) -> int:
    """Sites, vendors or teams side by side: estimates with 95% intervals, and what is (not) a real difference."""
    from pipeline.stats.group_comparison import format_value
    from storage.comparison import compare
    from storage.db import connect

    settings = _settings(args, db=args.db)
    if not Path(settings.storage.db).exists():
        print(f"callqa: error: database {settings.storage.db} does not exist yet (run `callqa run` first)",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    since, until = _day(args.since), _day(args.until)
    with connect(settings.storage.db, read_only=True) as con:
        result = compare(con, args.by, since, until, min_n=args.min_n, correction=args.correction)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return EXIT_OK
    period = f"{since:%Y-%m-%d}" if since else "the first call"
    period += f" to {until:%Y-%m-%d}" if until else " to the last"
    print(f"calls by {args.by}, {period}: " + (", ".join(f"{g} {n}" for g, n in zip(result.groups, result.calls))
                                                or "none"))
    if result.groups:
        width = max(len(m.label) for m in result.metrics) if result.metrics else 10
        print(f"\n{'':{width}}  " + "  ".join(f"{g[:26]:>26}" for g in result.groups))
        for metric in result.metrics:
            cells = []
            for group in result.groups:
                e = result.estimate(metric.id, group)
                bounds = "" if e.low is None else f" [{format_value(metric, e.low)}–{format_value(metric, e.high)}]"
                cell = "–" if e.estimate is None else f"{format_value(metric, e.estimate)}{bounds} n={e.n}"
                cells.append(f"{cell:>26}")
            print(f"{metric.label:{width}}  " + "  ".join(cells))
        print(f"\n[low–high]: 95% confidence interval. {result.rule}\n")
    for verdict in result.verdicts:
        for sentence in verdict.sentences:
            print(f"{'!' if verdict.claimed else '-'} {sentence}")
    for note in result.notes:
        print(f"note: {note}")
    return EXIT_OK


def _who(by: str | None) -> str:
    import getpass

    if by:
        return by
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment
        return "unknown"


def cmd_retention(args: argparse.Namespace) -> int:
    """The retention policy now (the nightly flow applies it after each run)."""
    from usecases.retention import apply_policy

    settings = _settings(args, db=args.db, inbox=args.inbox)
    if not Path(settings.storage.db).exists():
        print(f"callqa: error: database {settings.storage.db} does not exist yet", file=sys.stderr)
        return EXIT_BAD_INPUT
    summary = apply_policy(settings, requested_by=f"{_who(args.by)} (callqa retention)", dry_run=args.dry_run)
    if args.json:
        print(json.dumps(summary.to_json(), ensure_ascii=False))
        return EXIT_OK
    verb = "would delete" if args.dry_run else "deleted"
    for r in summary.results:
        if r.cutoff is None:
            print(f"{r.kind:<12} kept forever")
            continue
        rows = ", ".join(f"{n} {t}" for t, n in r.rows.items()) or "no rows"
        print(f"{r.kind:<12} before {r.cutoff:%Y-%m-%d}: {verb} {len(r.call_ids)} calls, {rows}, {len(r.files)} files")
        for left in r.files_left:
            print(f"{'':<12} not deleted: {left}")
    if summary.rewrite or summary.rewrite_error:
        print(_rewrite_line(summary.rewrite, summary.rewrite_error).replace("erased", "deleted"))
    return EXIT_OK if not any(r.files_left for r in summary.results) and not summary.rewrite_error else EXIT_INTERNAL


def _rewrite_line(rewrite, error: str | None) -> str:
    if error:
        return (f"database NOT rewritten ({error}): the erased rows' bytes may remain in the file; "
                "run `callqa erase --reapply` to rewrite it")
    mib = 1024 * 1024
    return (f"database rewritten in {rewrite.seconds:.1f} s ({rewrite.bytes_before / mib:.1f} -> "
            f"{rewrite.bytes_after / mib:.1f} MiB): the erased bytes are gone from it")


def _print_erasure(summary, dry_run: bool) -> None:
    if not summary.call_ids:
        print(f"no calls of this customer (hash {summary.customer_hash or '-'})"
              + ("" if dry_run else f"; the request is recorded as deletion {summary.deletion_id}"))
        return
    verb = "would erase" if dry_run else "erased"
    rows = ", ".join(f"{n} {t}" for t, n in summary.rows.items()) or "no rows"
    print(f"{verb} {len(summary.call_ids)} calls of customer {summary.customer_hash}: {rows}")
    for call_id in summary.call_ids:
        print(f"  call {call_id}")
    for path in summary.files:
        print(f"  file {path}")
    for left in summary.files_left:
        print(f"  NOT deleted: {left}")
    if not dry_run:
        print(f"recorded as deletion {summary.deletion_id}")


def cmd_erase(args: argparse.Namespace) -> int:
    """Every call of one or more customers' numbers, with an audit row each (the hash, never the number), and
    one rewrite of the database file; or (--reapply) the erasure log's calls again, after a restore."""
    from dataclasses import replace

    from usecases.retention import erase_customers, reapply_erasures

    settings = _settings(args, db=args.db, inbox=args.inbox)
    if not Path(settings.storage.db).exists():
        print(f"callqa: error: database {settings.storage.db} does not exist", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.reapply:
        batch = reapply_erasures(settings, requested_by=_who(args.by), dry_run=args.dry_run)
    else:
        numbers = []
        for number in args.customer_number:
            # "-": one number a line on stdin (a batch of requests: one rewrite for them all)
            numbers += [n.strip() for n in sys.stdin if n.strip()] if number == "-" else [number]
        if not numbers:
            print("callqa: error: no customer number given", file=sys.stderr)
            return EXIT_BAD_INPUT
        try:
            batch = erase_customers(settings, numbers, reason=args.reason or "", requested_by=_who(args.by),
                                    dry_run=args.dry_run)
        except ValueError as err:  # a malformed number: nothing was erased
            print(f"callqa: error: {err}", file=sys.stderr)
            return EXIT_BAD_INPUT
    if args.json:
        if len(batch.erasures) == 1 and not args.reapply:  # one number: its summary, as before batches
            one = replace(batch.erasures[0], rewrite=batch.rewrite, rewrite_error=batch.rewrite_error)
            print(json.dumps(one.to_json(), ensure_ascii=False))
        else:
            print(json.dumps(batch.to_json(), ensure_ascii=False))
        return EXIT_OK if batch.complete else EXIT_INTERNAL
    if args.reapply and not batch.erasures:
        print("the erasure log's calls are all still erased")
    for summary in batch.erasures:
        _print_erasure(summary, args.dry_run)
    if not args.dry_run:
        print(_rewrite_line(batch.rewrite, batch.rewrite_error))
    return EXIT_OK if batch.complete else EXIT_INTERNAL


SHOWN_PROBLEMS = 20  # lines listed on the terminal; --json lists them all


def _database(settings) -> Path | None:
    if not Path(settings.storage.db).exists():
        print(f"callqa: error: database {settings.storage.db} does not exist yet (run `callqa run` first)",
              file=sys.stderr)
        return None
    return Path(settings.storage.db)


def cmd_import_csat(args: argparse.Namespace) -> int:
    """Survey scores from a CSV (call_id or file, csat or score) into the csat table; the latest import wins."""
    from pipeline.intake.csat_file import CsatFileError, read_csat_file
    from storage.csat import import_csat, survey_counts
    from storage.db import connect

    db = _database(_settings(args, db=args.db))
    if db is None:
        return EXIT_BAD_INPUT
    path = Path(args.file)
    if not path.is_file():
        print(f"callqa: error: {path}: no such file", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        parsed = read_csat_file(path)
    except CsatFileError as err:
        print(f"callqa: error: {path}: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    with connect(db) as con:
        result = import_csat(con, parsed, path.name)
        _, unpredicted = survey_counts(con)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        print(f"{path.name}: stored {result.stored} surveys ({result.added} new, {result.updated} updated, "
              f"{result.unchanged} unchanged)")
        for title, problems, stream in (("not stored: no processed call", result.unmatched, sys.stdout),
                                        ("bad lines, skipped", result.errors, sys.stderr),
                                        ("warnings", result.warnings, sys.stderr)):
            if problems:
                print(f"{len(problems)} {title}:", file=stream)
                for problem in problems[:SHOWN_PROBLEMS]:
                    print(f"  {problem}", file=stream)
                if len(problems) > SHOWN_PROBLEMS:
                    print(f"  ... and {len(problems) - SHOWN_PROBLEMS} more (--json lists them all)", file=stream)
        if unpredicted:
            print(f"{unpredicted} surveyed calls have no predicted satisfaction yet: run `callqa satisfaction`")
    return EXIT_BAD_INPUT if result.errors else EXIT_OK


def cmd_satisfaction(args: argparse.Namespace) -> int:
    """Predict satisfaction now for every call whose prediction is missing or stale (the nightly flow does too)."""
    from usecases.satisfaction import refresh_predictions

    db = _database(_settings(args, db=args.db))
    if db is None:
        return EXIT_BAD_INPUT
    done = refresh_predictions(db)
    print(f"predicted satisfaction for {done.predicted} calls (model {done.model_version}) in {done.seconds:.1f} s")
    return EXIT_OK


def cmd_csat_agreement(args: argparse.Namespace) -> int:
    """How the predicted satisfaction agrees with the imported surveys; --calibrate refits the weights."""
    from usecases.satisfaction import calibration, survey_agreement
    from pipeline.insights.csat_agreement import format_agreement
    from pipeline.insights.satisfaction_calibration import FOLDS

    db = _database(_settings(args, db=args.db))
    if db is None:
        return EXIT_BAD_INPUT
    result = survey_agreement(db, _day(args.since), _day(args.until), tuple(args.team or ()))
    report = None
    if args.calibrate:
        try:
            report = calibration(db)
        except ValueError as err:
            print(f"callqa: {err}", file=sys.stderr)
    if args.json:
        print(json.dumps({"agreement": result.to_json(), "calibration": report.to_json() if report else None},
                         ensure_ascii=False, indent=2))
        return EXIT_OK
    print(format_agreement(result))
    if report:
        verdict = "beats" if report.beats_default else "does not beat"
        print(f"\ncalibration on {report.n} surveyed calls ({FOLDS}-fold cross-validated): refitted weights {verdict} "
              f"the defaults (MAE {report.calibrated_cv_mae:.2f} against {report.default_mae:.2f})")
        print("refitted weights: " + ", ".join(f"{k} {v:+.2f}" for k, v in report.to_json()["weights"].items()))
    return EXIT_OK


def cmd_app(args: argparse.Namespace) -> int:
    settings = _settings(args, db=args.db)
    app = Path(__file__).resolve().parent.parent / "qa_app" / "app.py"
    env = dict(os.environ, CALLQA_DB=str(Path(settings.storage.db).resolve()))
    if args.users:
        env["CALLQA_USERS"] = str(Path(args.users).resolve())
    # The app itself asks for a login unless it is bound to loopback with no users (qa_app/auth.py).
    command = [
        sys.executable, "-m", "streamlit", "run", str(app),
        "--server.port", str(args.port), "--server.address", args.host,
        "--server.headless", "true", "--browser.gatherUsageStats", "false", "--client.toolbarMode", "minimal",
    ]
    print(f"QA app on http://{args.host}:{args.port} (database {settings.storage.db})")
    return subprocess.call(command, env=env)


def _users_file(args: argparse.Namespace) -> Path:
    from qa_app.auth import users_path

    if args.users:
        return Path(args.users)
    if os.environ.get("CALLQA_USERS"):
        return users_path()
    return users_path(_settings(args, db=args.db).storage.db)  # beside the configured database, as the app finds it


def _new_password(args: argparse.Namespace, name: str) -> str:
    import getpass

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(f"password for {name}: ")
    if getpass.getpass("again: ") != first:
        raise ValueError("the passwords do not match")
    return first


def _password_policy(args: argparse.Namespace):
    from qa_app.password_policy import PasswordPolicy

    settings = _settings(args, db=args.db)
    return PasswordPolicy(settings.passwords.min_length, settings.passwords.min_score)


def cmd_users_unlock(args: argparse.Namespace) -> int:
    """Lift a login lockout (and the delays) of a name, or of a client address, now."""
    from storage import auth_events
    from storage.db import connect, now

    if not args.name and not args.address:
        raise ValueError("name a user to unlock, or give --address")
    settings = _settings(args, db=args.db)
    if not Path(settings.storage.db).is_file():
        raise FileNotFoundError(f"database {settings.storage.db} does not exist yet: nothing is locked")
    with connect(settings.storage.db) as con:
        at = now()
        before = auth_events.locked(con, at, settings.login.limits())
        auth_events.unlock(con, at, user_name=args.name, address=args.address, by=_who(None))
    for scope, value in ((s, v) for s, v in (("user", args.name), ("address", args.address)) if v):
        was = any(s == scope and v == value for s, v, _ in before)
        print(f"unlocked {scope} {value!r}" + ("" if was else " (it was not locked; its failures no longer count)"))
    return EXIT_OK


def cmd_users_events(args: argparse.Namespace) -> int:
    """Recent logins, failures, refusals, lockouts and logouts, newest first, and what is locked now."""
    from storage import auth_events
    from storage.db import connect, now

    settings = _settings(args, db=args.db)
    if not Path(settings.storage.db).is_file():
        raise FileNotFoundError(f"database {settings.storage.db} does not exist yet")
    with connect(settings.storage.db, read_only=True) as con:
        events = auth_events.recent(con, args.limit, user_name=args.user, address=args.address)
        locks = auth_events.locked(con, now(), settings.login.limits())
    if args.json:
        print(json.dumps({"events": [{**e.row(), "occurred_at": e.occurred_at.isoformat()} for e in events],
                          "locked": [{"scope": s, "value": v, "until": u.isoformat()} for s, v, u in locks]},
                         ensure_ascii=False))
        return EXIT_OK
    for scope, value, until in locks:
        print(f"LOCKED {scope} {value!r} until {until:%Y-%m-%d %H:%M:%S} UTC (`callqa users unlock`)")
    for e in events:
        print(f"{e.occurred_at:%Y-%m-%d %H:%M:%S}  {e.outcome:<11} {e.user_name!r:<24} {e.address or '-':<15} "
              f"{e.scope or ''} {e.detail or ''}".rstrip())
    if not events:
        print("no login events")
    return EXIT_OK


def cmd_users_add(args: argparse.Namespace) -> int:
    from qa_app import auth

    path = _users_file(args)
    if args.sso:
        auth.add_oidc_role(path, args.name, args.role)
        print(f"OIDC identity {args.name.lower()} may log in as {args.role} ({path})")
        return EXIT_OK
    auth.check_new_user(path, args.name, args.role)  # a bad name or role, or a duplicate, fails before the prompt
    user = auth.add_user(path, args.name, args.role, _new_password(args, args.name), display_name=args.display_name,
                         policy=_password_policy(args))
    print(f"added {user.name} ({user.role.value}) to {path}")
    return EXIT_OK


def cmd_users_list(args: argparse.Namespace) -> int:
    from qa_app import auth

    path = _users_file(args)
    users = auth.list_users(path)
    if args.json:
        print(json.dumps([{"name": u.name, "role": u.role.value, "display_name": u.display_name, "source": u.source}
                          for u in users], ensure_ascii=False))
        return EXIT_OK
    if not users:
        print(f"no users in {path}: `callqa app` runs as local admin on 127.0.0.1 only")
    for u in users:
        print(f"{u.name:<32} {u.role.value:<9} {'sso' if u.source == 'oidc' else 'password':<9} {u.display_name or ''}".rstrip())
    return EXIT_OK


def cmd_users_remove(args: argparse.Namespace) -> int:
    from qa_app import auth

    path = _users_file(args)
    removed = auth.remove_user(path, args.name)
    print(f"removed {args.name} ({' and '.join(removed)}) from {path}")
    return EXIT_OK


def cmd_users_passwd(args: argparse.Namespace) -> int:
    from qa_app import auth

    path = _users_file(args)
    if args.name not in auth.load(path).users:  # fail before the prompt
        raise auth.UsersError(f"no local user {args.name!r} in {path}")
    auth.set_password(path, args.name, _new_password(args, args.name), policy=_password_policy(args))
    print(f"changed the password of {args.name} ({path})")
    return EXIT_OK


def cmd_models(args: argparse.Namespace) -> int:
    from models.weights import WeightsNotFound, resolve_whisper

    settings = _settings(args)
    try:
        weights = resolve_whisper(settings.asr.model, settings.asr.models_dir,
                                  allow_download=settings.asr.allow_download)
    except WeightsNotFound as err:
        print(f"whisper {settings.asr.model}: MISSING\n  {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"whisper {settings.asr.model}: {weights.path} (from {weights.source})")
    return EXIT_OK


def cmd_models_prepare(args: argparse.Namespace) -> int:
    """Build the openai-whisper checkpoint from the CTranslate2 weights, offline."""
    from models.weights import WeightsNotFound
    from models.whisper_convert import prepare_openai_whisper

    settings = _settings(args)
    try:
        prepared = prepare_openai_whisper(settings.asr.model, settings.asr.models_dir)
    except WeightsNotFound as err:
        print(f"whisper {settings.asr.model}: MISSING\n  {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"openai-whisper {settings.asr.model}: {prepared.path}")
    print(f"  sha256 {prepared.sha256}")
    print(f"  {prepared.size_bytes} bytes, built from {prepared.source} in {prepared.seconds:.1f} s")
    return EXIT_OK


def cmd_diarize(args: argparse.Namespace) -> int:
    from models.diarization import load_diarizer
    from pipeline.speech.audio import decode
    from pipeline.errors import BadRecording

    path = Path(args.path)
    if not path.is_file():
        print(f"callqa: error: {path}: no such file", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.num_speakers is not None and args.num_speakers < 1:
        print("callqa: error: --num-speakers must be at least 1", file=sys.stderr)
        return EXIT_BAD_INPUT
    settings = _settings(args)
    try:
        audio = decode(path, settings.audio.limits())
    except BadRecording as err:
        print(f"callqa: error: {path}: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    pipeline = str(settings.asr.diarization_pipeline) if settings.asr.diarization_pipeline else None
    result = load_diarizer(pipeline, str(settings.asr.models_dir)).diarize(audio.mono(), num_speakers=args.num_speakers)
    if args.rttm:
        print("\n".join(result.to_rttm(path.stem)))
        return EXIT_OK
    print(f"{path.name}: {audio.duration_s:.2f} s, {len(result.speakers)} speakers")
    for t in result.turns:
        print(f"  [{t.start:7.2f}-{t.end:7.2f}] {t.speaker}")
    return EXIT_OK


def cmd_sentiment(args: argparse.Namespace) -> int:
    """One text per line on stdin -> one JSON object per line: {text, score, label}."""
    import io

    from models.sentiment import guess_language, label_for, load_sentiment

    raw = getattr(sys.stdin, "buffer", None)  # decode as UTF-8 whatever the locale says
    lines = io.TextIOWrapper(raw, encoding="utf-8", errors="replace") if raw is not None else sys.stdin
    for line in lines:
        text = line.strip()
        if not text:
            continue
        score = load_sentiment(args.language or guess_language(text)).score([text])[0]
        print(json.dumps({"text": text, "score": round(score, 4), "label": label_for(score)}, ensure_ascii=False))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="callqa", description="Offline speech analytics for call-center QA.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress and model loading")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("analyze", help="transcribe and score one recording")
    p.add_argument("path")
    p.add_argument("--language", choices=["ru", "en", "auto"], default=None)
    p.add_argument("--scorecard", default=None, help="scorecard name (in scorecards/) or path to a YAML file")
    p.add_argument("--operator-channel", choices=["left", "right"], default=None)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_analyze)

    p = sub.add_parser("run", help="run the nightly flow once, now")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar on stderr: calls done, audio hours, ETA (default: when stderr is a terminal)")
    p.add_argument("--inbox", default=None)
    p.add_argument("--db", default=None)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--dask-workers", type=int, default=None, help="analyse on a local Dask cluster of N worker processes")
    p.add_argument("--dask-address", default=None, help="analyse on an existing Dask cluster (tcp://host:8786)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("backfill", help="process the archive's calls of a period (by call time), as the nightly flow would")
    p.add_argument("--since", required=True, help="first day (YYYY-MM-DD)")
    p.add_argument("--until", required=True, help="the day after the last (YYYY-MM-DD)")
    p.add_argument("--inbox", default=None)
    p.add_argument("--db", default=None)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None)
    p.add_argument("--dask-workers", type=int, default=None, help="analyse on a local Dask cluster of N worker processes")
    p.add_argument("--dask-address", default=None, help="analyse on an existing Dask cluster (tcp://host:8786)")
    p.set_defaults(func=cmd_run, backfill=True)

    p = sub.add_parser("load", help="store the per-call results waiting in the results store (what a killed run left)")
    p.add_argument("--db", default=None)
    p.add_argument("--results", default=None, help="the results store: a folder or an fsspec URL (default: beside the database)")
    p.set_defaults(func=cmd_load)

    p = sub.add_parser("schedule", help="serve the nightly flow on a cron schedule (needs a Prefect server)")
    p.add_argument("--cron", default="0 2 * * *", help='five-field cron expression (default "0 2 * * *": 02:00 daily)')
    p.add_argument("--timezone", default=None, help="IANA timezone of the cron, e.g. Europe/Moscow (default: this machine's, else UTC)")
    p.add_argument("--inbox", default=None)
    p.add_argument("--db", default=None)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--reports-cron", default=None,
                   help='cron of the periodic reports flow (default: reports_cron, "0 6 * * 1": Monday 06:00)')
    p.add_argument("--no-reports", action="store_true", help="serve only the nightly flow, no periodic reports")
    p.add_argument("--dry-run", action="store_true", help="print the deployments, their next 3 runs and parameters as JSON; serve nothing")
    p.set_defaults(func=cmd_schedule)

    p = sub.add_parser("report", help="write the QA reports (HTML and Excel, per team and site) of the last complete period")
    p.add_argument("--period", choices=["day", "week", "month"], default=None, help="default: report_period (week)")
    p.add_argument("--end", default=None,
                   help="report the last complete period ending on or before this day (YYYY-MM-DD; default today)")
    p.add_argument("--latest", action="store_true",
                   help="report the period holding the latest processed call instead (e.g. calls loaded from an archive)")
    p.add_argument("--db", default=None)
    p.add_argument("--out", default=None, help="the reports folder (default: reports_dir, a reports folder beside the database)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("diarize", help="who spoke when in one recording (mono mix)")
    p.add_argument("path")
    p.add_argument("--num-speakers", type=int, default=None, help="number of voices, when known (default: estimated)")
    p.add_argument("--rttm", action="store_true", help="print RTTM lines")
    p.set_defaults(func=cmd_diarize)

    p = sub.add_parser("sentiment", help="sentiment of texts: one per line on stdin, one JSON object per line out")
    p.add_argument("--language", choices=["ru", "en"], default=None, help="default: guessed per line (Cyrillic -> ru)")
    p.set_defaults(func=cmd_sentiment)

    p = sub.add_parser("stats", help="counts of calls, verdicts and reviews")
    p.add_argument("--db", default=None)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("rescore", help="re-judge stored transcripts with a scorecard (version), without re-transcribing")
    p.add_argument("--scorecard", required=True, help="NAME or NAME@VERSION (older versions: scorecards/archive or the database)")
    p.add_argument("--db", default=None)
    p.add_argument("--since", default=None, help="only calls from this date (YYYY-MM-DD)")
    p.add_argument("--until", default=None, help="only calls before this date")
    p.add_argument("--operator", default=None)
    p.add_argument("--flipped", action="store_true", help="only calls whose operator/customer roles a reviewer flipped")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_rescore)

    p = sub.add_parser("coaching", help="criteria each operator fails more often than the team, with example calls")
    p.add_argument("--db", default=None)
    p.add_argument("--since", default=None, help="period start (default: 30 days before --until)")
    p.add_argument("--until", default=None, help="period end (default: tomorrow)")
    p.add_argument("--operator", default=None)
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_coaching)

    p = sub.add_parser("compare", help="sites, vendors or teams side by side, with confidence intervals and "
                                       "which differences are real")
    p.add_argument("--by", choices=("vendor", "site", "team"), default="vendor")
    p.add_argument("--db", default=None)
    p.add_argument("--since", default=None, help="period start, call time (YYYY-MM-DD; default: the first call)")
    p.add_argument("--until", default=None, help="period end, exclusive (default: after the last call)")
    p.add_argument("--min-n", type=int, default=20, help="fewest values per group for a difference to be tested")
    p.add_argument("--correction", choices=("holm", "bh"), default="holm",
                   help="multiple-comparison correction: holm (family-wise) or bh (false discovery rate)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("retention", help="delete what is past its retention term now (the nightly flow does after each run)")
    p.add_argument("--db", default=None)
    p.add_argument("--inbox", default=None, help="the inbox whose recordings may be deleted (default: the configured one)")
    p.add_argument("--dry-run", action="store_true", help="only say what would be deleted")
    p.add_argument("--by", default=None, help="who applies it, for the audit log (default: this user)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_retention)

    p = sub.add_parser("erase", help="erase every call of one customer's phone number (recordings, transcripts, verdicts)")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--customer-number", action="append",
                       help="the number as the recorder gives it; repeat it, or - (one number a line on stdin), "
                            "to erase several with one rewrite of the database")
    which.add_argument("--reapply", action="store_true",
                       help="erase again the calls of every logged erasure (after restoring a backup); "
                            "also rewrites the database file if an erasure's rewrite failed")
    p.add_argument("--db", default=None)
    p.add_argument("--inbox", default=None, help="the inbox whose recordings may be deleted (default: the configured one)")
    p.add_argument("--reason", default=None, help="why, for the audit log (e.g. the request's reference)")
    p.add_argument("--by", default=None, help="who asked or applies it, for the audit log (default: this user)")
    p.add_argument("--dry-run", action="store_true", help="only say what would be erased")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_erase)

    p = sub.add_parser("import-csat", help="import survey scores (CSAT 1-5) from a CSV: call_id or file, csat or score")
    p.add_argument("file", help="CSV with a call_id (or file: the recording's name) and a csat (or score) column")
    p.add_argument("--db", default=None)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_import_csat)

    p = sub.add_parser("satisfaction", help="predict customer satisfaction now for calls without a current prediction")
    p.add_argument("--db", default=None)
    p.set_defaults(func=cmd_satisfaction)

    p = sub.add_parser("csat-agreement", help="how predicted satisfaction agrees with the imported surveys")
    p.add_argument("--db", default=None)
    p.add_argument("--since", default=None, help="only calls from this date (YYYY-MM-DD)")
    p.add_argument("--until", default=None, help="only calls before this date")
    p.add_argument("--team", action="append", help="only this team (repeatable)")
    p.add_argument("--calibrate", action="store_true",
                   help="also refit the weights to the surveys (needs 50 or more) and say if that beats the defaults")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_csat_agreement)

    p = sub.add_parser("app", help="start the QA review app")
    p.add_argument("--db", default=None)
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--address", "--host", dest="host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1; any other address requires a login)")
    p.add_argument("--users", default=None, help="users file (default: users.toml beside the database, or $CALLQA_USERS)")
    p.set_defaults(func=cmd_app)

    p = sub.add_parser("users", help="who may use the QA app: add, list, remove users, change passwords")
    users_sub = p.add_subparsers(dest="users_command", required=True)
    users_file = argparse.ArgumentParser(add_help=False)
    users_file.add_argument("--users", default=None, help="users file (default: users.toml beside the database, or $CALLQA_USERS)")
    users_file.add_argument("--db", default=None, help="database whose folder holds the default users file")
    password_stdin = argparse.ArgumentParser(add_help=False)
    password_stdin.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    u = users_sub.add_parser("add", parents=[users_file, password_stdin], help="add a user (prompts for the password twice)")
    u.add_argument("name", help="user name, or with --sso the OIDC e-mail")
    u.add_argument("--role", required=True, help="reviewer, trainer or admin")
    u.add_argument("--display-name", default=None)
    u.add_argument("--sso", action="store_true", help="grant an OIDC identity (e-mail) a role; it logs in with st.login, no password")
    u.set_defaults(func=cmd_users_add)
    u = users_sub.add_parser("list", parents=[users_file], help="list users and OIDC identities with their roles")
    u.add_argument("--json", action="store_true")
    u.set_defaults(func=cmd_users_list)
    u = users_sub.add_parser("remove", parents=[users_file], help="remove a user or an OIDC identity")
    u.add_argument("name")
    u.set_defaults(func=cmd_users_remove)
    u = users_sub.add_parser("passwd", parents=[users_file, password_stdin], help="change a user's password")
    u.add_argument("name")
    u.set_defaults(func=cmd_users_passwd)
    u = users_sub.add_parser("unlock", parents=[users_file], help="lift a login lockout of a user name (or --address)")
    u.add_argument("name", nargs="?", default=None, help="the user name as typed at the login")
    u.add_argument("--address", default=None, help="a client address to unlock (its failures no longer count)")
    u.set_defaults(func=cmd_users_unlock)
    u = users_sub.add_parser("events", parents=[users_file], help="recent logins, failures, lockouts and logouts (newest first)")
    u.add_argument("--user", default=None, help="only this user name")
    u.add_argument("--address", default=None, help="only this client address")
    u.add_argument("--limit", type=int, default=50)
    u.add_argument("--json", action="store_true")
    u.set_defaults(func=cmd_users_events)

    p = sub.add_parser("models", help="show (and assemble) the offline model weights")
    p.set_defaults(func=cmd_models)
    models_sub = p.add_subparsers(dest="models_command", metavar="{prepare}")
    models_sub.add_parser(
        "prepare", help="build the openai-whisper checkpoint (for asr_backend = openai-whisper) from the local weights"
    ).set_defaults(func=cmd_models_prepare)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except Exception as err:  # one line for users; the traceback with CALLQA_DEBUG=1
        from models.weights import WeightsNotFound
        from pipeline.judging.scorecard import ScorecardError

        if os.environ.get("CALLQA_DEBUG"):
            raise
        code = EXIT_BAD_INPUT if isinstance(err, (ScorecardError, ValueError, FileNotFoundError)) and not isinstance(err, WeightsNotFound) else EXIT_INTERNAL
        message = " ".join(str(err).split()) or type(err).__name__
        print(f"callqa: error: {message}", file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main())
