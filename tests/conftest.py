"""Shared fixtures: real models, real audio, a real DuckDB file filled by a real flow run."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples" / "calls"
EVAL = Path(os.environ.get("CALLQA_EVAL_DIR", REPO.parent / "shared" / "eval"))

# The sample calls carry fixed dates: without this, the nightly flow's retention would start
# deleting their recordings and transcripts once those dates are old enough. Flows started by
# tests (in this process or in subprocesses) keep everything; tests of retention set terms themselves.
for _kind in ("AUDIO", "TRANSCRIPTS", "VERDICTS", "AGGREGATES"):
    os.environ.setdefault(f"CALLQA_RETENTION_{_kind}_DAYS", "0")
# The site's interface language defaults to Russian; the tests written against the English text run the
# app (in this process and in the servers they start) in English, and the Russian tests ask for Russian.
os.environ.setdefault("CALLQA_UI_LANGUAGE", "en")
# Prefect's temporary server must answer within 20 s by default; on a loaded 2-core CI machine it
# sometimes does not, and a flow test fails for no fault of the flow.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")


@pytest.fixture(scope="session")
def chromium() -> str:
    """Headless Chromium for what a person sees (pages, reports)."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("chromium is not installed (scripts/bootstrap.sh installs it with apt-get where it can)")
    return path


@pytest.fixture(scope="session")
def eval_dir() -> Path:
    if not EVAL.is_dir():
        pytest.skip(f"evaluation audio not found at {EVAL} (it sits beside the repo as ../shared/eval in CI)")
    return EVAL


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    assert SAMPLES.is_dir() and any(SAMPLES.glob("*.flac")), "bundled sample calls are missing from samples/calls"
    return SAMPLES


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory) -> Path:
    """Where the tests' weights are assembled: $CALLQA_MODELS_DIR when set (reused), else a fresh folder."""
    configured = os.environ.get("CALLQA_MODELS_DIR")
    return Path(configured) if configured else tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def settings(models_dir, tmp_path_factory):
    from usecases.settings import load_settings

    work = tmp_path_factory.mktemp("callqa")
    return load_settings(models_dir=models_dir, db=work / "callqa.duckdb", inbox=work / "inbox")


@pytest.fixture(scope="session")
def analyzer(settings):
    from usecases.runtime import build_analyzer

    return build_analyzer(settings)


def copy_database(source: Path, target: Path) -> Path:
    """A private copy of a DuckDB file with its write-ahead log (a flow's last writes may still be there)."""
    shutil.copyfile(source, target)
    wal = Path(str(source) + ".wal")
    if wal.exists():
        shutil.copyfile(wal, str(target) + ".wal")
    return target


def write_bad_files(folder: Path) -> dict[str, str]:
    """Files that are not usable audio, named as audio; returns name -> expected reason fragment."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "random.wav").write_bytes(os.urandom(4096))
    (folder / "empty.flac").write_bytes(b"")
    (folder / "notes.mp3").write_text("this is a text file, not a recording\n")
    return {
        "random.wav": "not a readable audio file",
        "empty.flac": "empty file",
        "notes.mp3": "not a readable audio file",
    }


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def flow_db(prefect_harness, settings, samples_dir, tmp_path_factory, monkeypatch_session):
    """A DuckDB file filled by one real nightly run over the sample calls plus bad files."""
    from flows.nightly import nightly

    work = tmp_path_factory.mktemp("nightly")
    inbox = work / "inbox"
    # Who handled each call comes from the sidecar shipped next to the recording (NAME.meta.json).
    shutil.copytree(samples_dir, inbox, ignore=shutil.ignore_patterns("*.truth.json", "*.md"))
    bad = write_bad_files(inbox / "bad")
    db = work / "callqa.duckdb"
    monkeypatch_session.setenv("CALLQA_MODELS_DIR", str(settings.asr.models_dir))
    summary = nightly(inbox=str(inbox), db=str(db), batch_size=4)
    return {"db": db, "inbox": inbox, "summary": summary, "bad": bad, "work": work}


@pytest.fixture(scope="session")
def monkeypatch_session():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


@pytest.fixture()
def smtp():
    """A real SMTP server on 127.0.0.1: (its inbox, its port)."""
    from tests.mail_servers import smtp_server

    with smtp_server() as server:
        yield server


@pytest.fixture()
def hook():
    """A real incoming webhook on 127.0.0.1: (its URL, the JSON bodies it received)."""
    from tests.mail_servers import webhook_server

    with webhook_server() as server:
        yield server
