"""The nightly schedule: the deployment with its cron reaches the Prefect API, the server turns it into
runs at the right local times, prefect.yaml deploys, and bad input fails with one line.

Runs on the temporary Prefect API of ``prefect_test_harness``; no flow run is executed.
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from callqa.cli import main
from flows.schedule import (
    DEFAULT_CRON,
    ScheduleError,
    check_schedule,
    describe,
    nightly_deployment,
    serve_nightly,
)
from usecases.settings import load_settings

REPO = Path(__file__).resolve().parent.parent
MOSCOW = ZoneInfo("Europe/Moscow")
WEEKDAYS_0130 = "30 1 * * 1-5"  # not the default: what reaches the API is what was passed


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("schedule").resolve()


@pytest.fixture(scope="module")
def registered(prefect_harness, work):
    """The nightly deployment, built from settings and registered on the test API."""
    settings = load_settings(inbox=work / "inbox", db=work / "callqa.duckdb", batch_size=3)
    deployment = nightly_deployment(settings, WEEKDAYS_0130, "Europe/Moscow")
    return deployment, deployment.apply()  # what serving does first (Prefect's Runner.add_deployment)


def _api() -> str:
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value().rstrip("/")


def test_deployment_with_cron_is_created(registered, work):
    from prefect import get_client

    _, deployment_id = registered
    with get_client(sync_client=True) as client:
        stored = client.read_deployment_by_name("nightly/nightly")
    assert stored.id == deployment_id
    assert stored.entrypoint == "flows.nightly.nightly"
    assert not stored.paused
    assert len(stored.schedules) == 1
    schedule = stored.schedules[0]
    assert schedule.active
    assert schedule.schedule.cron == WEEKDAYS_0130
    assert schedule.schedule.timezone == "Europe/Moscow"
    assert stored.parameters == {"inbox": str(work / "inbox"), "db": str(work / "callqa.duckdb"), "batch_size": 3}
    assert stored.global_concurrency_limit is not None and stored.global_concurrency_limit.limit == 1


def test_server_schedules_runs_at_the_cron_times(registered):
    """The server's own scheduling code (what its scheduler service runs) makes the runs we promise."""
    import httpx
    from prefect import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    deployment, deployment_id = registered
    start = datetime.now(timezone.utc)
    response = httpx.post(
        f"{_api()}/deployments/{deployment_id}/schedule", json={"min_runs": 3, "max_runs": 3}, timeout=30
    )
    assert response.status_code < 300, response.text
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])))
    scheduled = sorted(r.expected_start_time for r in runs if r.state_type and r.state_type.value == "SCHEDULED")
    assert len(scheduled) == 3
    local = [t.astimezone(MOSCOW) for t in scheduled]
    assert all((t.hour, t.minute, t.second) == (1, 30, 0) and t.weekday() < 5 for t in local)
    promised = [datetime.fromisoformat(s) for s in describe(deployment, 3, start)["next_runs"]]
    assert scheduled == promised
    assert all(r.parameters == deployment.parameters for r in runs)


def test_next_runs_follow_daylight_saving():
    """09:00 in New York stays 09:00 local across the March 2026 clock change (offset -5 h, then -4 h)."""
    runs = check_schedule("0 9 * * *", "America/New_York").next_runs(3, datetime(2026, 3, 7, 12, tzinfo=timezone.utc))
    assert [r.isoformat() for r in runs] == [
        "2026-03-07T09:00:00-05:00", "2026-03-08T09:00:00-04:00", "2026-03-09T09:00:00-04:00",
    ]


@pytest.mark.parametrize(
    ("cron", "zone", "fragment"),
    [
        ("0 25 * * *", "UTC", 'invalid cron expression "0 25 * * *"'),
        ("0 2 * *", "UTC", "invalid cron expression"),
        ("0 0 2 * * *", "UTC", "invalid cron expression"),  # croniter's seconds field: not cron as people read it
        ("H 2 * * *", "UTC", "invalid cron expression"),
        (DEFAULT_CRON, "Europe/Moskow", 'unknown timezone "Europe/Moskow"'),
        (DEFAULT_CRON, "", "unknown timezone"),
    ],
)
def test_bad_cron_or_timezone_is_one_clear_error(cron, zone, fragment):
    with pytest.raises(ScheduleError) as err:
        check_schedule(cron, zone)
    assert fragment in str(err.value) and "\n" not in str(err.value)


def test_cli_dry_run_prints_the_schedule(tmp_path, capsys):
    code = main([
        "schedule", "--dry-run", "--timezone", "America/New_York", "--cron", "15 2 * * *",
        "--inbox", str(tmp_path / "in"), "--db", str(tmp_path / "q.duckdb"), "--batch-size", "5",
    ])
    out = capsys.readouterr().out
    assert code == 0
    data = json.loads(out)
    assert data["deployment"] == "nightly/nightly"
    assert (data["cron"], data["timezone"]) == ("15 2 * * *", "America/New_York")
    assert data["parameters"] == {
        "inbox": str((tmp_path / "in").resolve()),
        "db": str((tmp_path / "q.duckdb").resolve()),
        "batch_size": 5,
    }
    runs = [datetime.fromisoformat(s) for s in data["next_runs"]]
    assert len(runs) == 3
    now = datetime.now(timezone.utc)
    assert now < runs[0] <= now + timedelta(days=1)
    for run in runs:  # 02:15 New York time, with that day's offset
        assert (run.hour, run.minute) == (2, 15)
        assert run.utcoffset() == run.replace(tzinfo=None).replace(tzinfo=ZoneInfo("America/New_York")).utcoffset()
    assert [(b.date() - a.date()).days for a, b in zip(runs, runs[1:])] == [1, 1]


def test_cli_dry_run_defaults(capsys):
    assert main(["schedule", "--dry-run"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["cron"] == DEFAULT_CRON
    assert data["timezone"]  # the machine's zone, else UTC
    assert all(datetime.fromisoformat(s).astimezone(ZoneInfo(data["timezone"])).hour == 2 for s in data["next_runs"])


@pytest.mark.parametrize("args", [["--cron", "every night"], ["--timezone", "Mars/Olympus"]])
def test_cli_bad_schedule_exits_2_with_one_line(args, capsys):
    assert main(["schedule", "--dry-run", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("callqa: error: ") and captured.err.count("\n") == 1


@pytest.mark.timeout(60)
def test_serving_without_a_prefect_server_is_refused(tmp_path):
    """The temporary API runs no scheduler: serving there would wait forever for runs that never come."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    deployment = nightly_deployment(load_settings(inbox=tmp_path, db=tmp_path / "q.duckdb"), DEFAULT_CRON, "UTC")
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        with pytest.raises(ScheduleError, match="prefect server start"):
            serve_nightly(deployment)


def _prefect_yaml() -> dict:
    return yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))


def test_prefect_yaml_points_at_the_nightly_flow():
    from prefect.flows import load_flow_from_entrypoint

    from flows.nightly import nightly

    (entry,) = [d for d in _prefect_yaml()["deployments"] if d["name"] == "nightly"]
    path, function = entry["entrypoint"].split(":")
    assert (REPO / path).resolve() == Path(inspect.getfile(nightly.fn)).resolve()
    loaded = load_flow_from_entrypoint(f"{REPO / path}:{function}")
    assert loaded.name == nightly.name
    assert inspect.signature(loaded.fn).parameters.keys() == inspect.signature(nightly.fn).parameters.keys()
    assert set(entry["parameters"]) <= set(inspect.signature(nightly.fn).parameters)
    (schedule,) = entry["schedules"]
    assert check_schedule(schedule["cron"], schedule["timezone"]).cron == DEFAULT_CRON
    assert entry["work_pool"]["name"] == "callqa-cpu"
    assert entry["concurrency_limit"] == 1


def test_prefect_deploy_accepts_prefect_yaml(prefect_harness, tmp_path):
    """`prefect deploy` itself reads the file and creates the deployment in the work pool, with its cron."""
    from prefect import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists

    config = _prefect_yaml()
    config["deployments"][0]["name"] = "nightly-from-yaml"  # beside the served "nightly" of the tests above
    prefect_file = tmp_path / "prefect.yaml"
    prefect_file.write_text(yaml.safe_dump(config), encoding="utf-8")
    with get_client(sync_client=True) as client:
        try:
            client.create_work_pool(WorkPoolCreate(name="callqa-cpu", type="process"))
        except ObjectAlreadyExists:
            pass
    env = dict(os.environ, PREFECT_API_URL=_api())
    done = subprocess.run(
        [sys.executable, "-m", "prefect", "--no-prompt", "deploy", "--name", "nightly-from-yaml",
         "--prefect-file", str(prefect_file)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    with get_client(sync_client=True) as client:
        stored = client.read_deployment_by_name("nightly/nightly-from-yaml")
    assert stored.work_pool_name == "callqa-cpu"
    assert stored.entrypoint == "flows/nightly.py:nightly"
    assert [(s.schedule.cron, s.schedule.timezone) for s in stored.schedules] == [(DEFAULT_CRON, "UTC")]
    assert stored.pull_steps == [{"prefect.deployments.steps.set_working_directory": {"directory": str(REPO)}}]
