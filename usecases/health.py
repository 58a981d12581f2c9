"""Is this installation healthy? For a load balancer or monitoring: ``callqa health`` (exit status 0/1) and,
after merging, the API's ``GET /v1/health``.

Checks, each cheap: the database is readable and at this release's schema; the latest completed run is not
older than ``health_max_run_age_h``; the Whisper weights resolve offline (found, not assembled or hashed);
the disks beside the database and the inbox have ``health_min_free_gb`` free. While the nightly run holds the
database the database check passes as "busy" and the run's age is not read: a nightly run is no outage.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from models.weights import WeightsNotFound, whisper_source
from storage.operations import DatabaseBusy, last_completed_run, latest_schema_version, read_only, schema_version
from usecases.settings import Settings

__all__ = ["Check", "Health", "health"]


@dataclass(frozen=True)
class Check:
    name: str  # database | last_run | models | disk
    ok: bool
    detail: str  # what was found, in English (for operators; no personal data)


@dataclass(frozen=True)
class Health:
    ok: bool  # every check passed
    checks: tuple[Check, ...]
    checked_at: datetime  # UTC

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked_at": self.checked_at.isoformat(timespec="seconds"),
                "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in self.checks}}


def _database_and_run(settings: Settings, now: datetime) -> list[Check]:
    db = settings.storage.db
    max_age_h = settings.operations.health_max_run_age_h
    try:
        with read_only(db, settings.operations.metrics_db_wait_s) as con:
            version = schema_version(con)
            latest = last_completed_run(con)
    except FileNotFoundError:
        return [Check("database", False, f"{db} does not exist (run `callqa run` first)"),
                Check("last_run", False, "no database")]
    except DatabaseBusy:
        return [Check("database", True, "busy: another process (a run) is writing it; not read"),
                Check("last_run", True, "not read: the database is busy")]
    except Exception as err:  # noqa: BLE001 - a broken database is what this check reports
        return [Check("database", False, f"not readable: {type(err).__name__}: {err}"),
                Check("last_run", False, "no database")]
    release = latest_schema_version()
    checks = [Check("database", version == release,
                    f"schema version {version}" + ("" if version == release else f", this release needs {release} "
                                                   "(any `callqa run` migrates it)"))]
    if latest is None:
        checks.append(Check("last_run", max_age_h == 0, "no completed run yet"))
    else:
        flow, finished = latest
        age_h = (now - finished.replace(tzinfo=timezone.utc)).total_seconds() / 3600
        fresh = max_age_h == 0 or age_h <= max_age_h
        limit = "" if max_age_h == 0 else f" (limit {max_age_h:g} h)"
        checks.append(Check("last_run", fresh, f"{flow} run completed {age_h:.1f} h ago{limit}"))
    return checks


def _models(settings: Settings) -> Check:
    asr = settings.asr
    try:
        source = whisper_source(asr.model, asr.models_dir, asr.allow_download)
    except WeightsNotFound as err:
        return Check("models", False, " ".join(str(err).split()))
    if asr.backend == "openai-whisper":
        from models.weights import openai_whisper_checkpoint

        checkpoint = openai_whisper_checkpoint(asr.model, asr.models_dir)
        if not checkpoint.is_file():
            return Check("models", False, f"openai-whisper checkpoint {checkpoint} missing (`callqa models prepare`)")
    return Check("models", True, f"whisper {asr.model} from {source}")


def _existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path(".")


def _disk(settings: Settings) -> Check:
    need_gb = settings.operations.health_min_free_gb
    places = {"database": Path(settings.storage.db).absolute().parent}
    inbox = str(settings.intake.inbox)
    if "://" not in inbox:  # an object store has no disk of ours to fill
        places["inbox"] = Path(inbox).absolute()
    parts, ok = [], True
    for name, place in places.items():
        free_gb = shutil.disk_usage(_existing(place)).free / 1e9
        ok = ok and free_gb >= need_gb
        parts.append(f"{name} {free_gb:.1f} GB free")
    return Check("disk", ok, ", ".join(parts) + f" (need {need_gb:g} GB)")


def health(settings: Settings) -> Health:
    now = datetime.now(timezone.utc)
    checks = (*_database_and_run(settings, now), _models(settings), _disk(settings))
    return Health(all(c.ok for c in checks), tuple(checks), now)
