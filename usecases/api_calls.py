"""What the REST API does with calls: take a recording in (an upload or a path) into the inbox exactly once by
content, say a call's status and results, its transcript and recording as the token's role may see them, pages
of calls, operators' scores and coaching topics, and write verdicts, survey scores and erasures through the
same use cases as the app and the CLI.

A submitted recording goes to ``<inbox>/api/<call id><ext>`` with a ``<call id>.meta.json`` sidecar (the
customer's number only as its keyed hash), written under a hidden temporary name and renamed, sidecar first,
so the nightly run (or ``callqa watch``) never sees half a file or a recording without its metadata; from
there it takes the nightly inbox's path. A recording named by a path already in the inbox is left where it
is (a sidecar is added beside it when none exists); one under another allowed root is copied in.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import threading
import uuid
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import duckdb

from pipeline.intake.call_meta import parse_time
from pipeline.intake.csat_file import CsatFile, SurveyRow, parse_score
from pipeline.intake.customer_id import customer_hash, load_key
from pipeline.intake.identity import call_id_from_sha256, content_sha256
from pipeline.intake.inbox import is_url
from pipeline.intake.spreadsheet_csv import LineProblem
from storage import api_calls, coaching, csat, queries
from storage.api_calls import CallContext, ListedCall, OperatorScore, Submission
from storage.coaching import CoachingTopic
from storage.db import PROCESS_LOCK, now
from storage.operations import schema_version
from storage.review_queue import QueueFilter
from usecases import call_details, review
from usecases.call_details import CallView
from usecases.masking import masked
from usecases.settings import Settings
from usecases.shared_database import DatabaseBusy, connection, write_or_journal
from usecases.users import User, can_see_unredacted, is_staff, may_see_call

API_FOLDER = "api"  # the inbox's sub-folder for submitted recordings
META_FIELDS = ("operator", "team", "queue", "site", "vendor", "direction", "started_at", "external_id")
MAX_TEXT = 200  # a metadata value longer than this is refused
_CHUNK = 1 << 20
_SUBMIT_LOCK = threading.Lock()  # two uploads of the same bytes at once: one file, one row


class NotFound(LookupError):
    """No such call, or one this token may not see: the same answer, so a call's existence is never revealed."""


class Refused(ValueError):
    """A submission that breaks a rule (a path outside the allowed roots, not a recording): nothing was written."""


class TooLarge(Refused):
    pass


@dataclass(frozen=True)
class CallMetadata:
    operator: str | None = None
    team: str | None = None
    queue: str | None = None
    site: str | None = None
    vendor: str | None = None
    direction: str | None = None
    started_at: str | None = None
    external_id: str | None = None  # the CRM's own id of the call
    customer_number: str | None = None  # hashed before anything is written; never kept in clear

    def check(self) -> None:
        for name, value in asdict(self).items():
            if value is not None and (not isinstance(value, str) or len(value) > MAX_TEXT):
                raise Refused(f"{name}: expected a text of at most {MAX_TEXT} characters")
        if self.started_at:
            try:
                parse_time(self.started_at)
            except ValueError as err:
                raise Refused(f"started_at: {err}") from None

    def sidecar(self, settings: Settings) -> dict[str, str]:
        """The sidecar's fields (pipeline.intake.call_meta): the number replaced by its keyed hash."""
        out = {k: v for k, v in asdict(self).items() if k in META_FIELDS and v}
        if self.customer_number:
            try:
                out["customer_hash"] = customer_hash(self.customer_number, load_key(Path(settings.storage.db).parent))
            except ValueError:
                raise Refused("customer_number: not a phone number") from None
        return out


@dataclass(frozen=True)
class Submitted:
    call_id: str
    status: str  # queued, or the call's status when its content was known already
    duplicate: bool  # the same content was submitted or processed before: nothing new was written


def _inbox(settings: Settings) -> Path:
    if is_url(settings.intake.inbox):
        raise Refused("the inbox is an object-store URL: submit recordings there, or by a path the workers read")
    return Path(settings.intake.inbox)


def _extension(name: str, settings: Settings) -> str:
    ext = Path(name).suffix.lower()
    if ext not in settings.intake.audio_extensions:
        expected = ", ".join(settings.intake.audio_extensions)
        raise Refused(f"{Path(name).name!r}: not a recording's name (expected {expected})")
    return ext


def _known(settings: Settings, call_id: str) -> str | None:
    """The status of a content already processed or waiting (queued); None when it is new."""
    with connection(str(settings.storage.db), read_only=True) as con:
        view = queries.call_detail(con, call_id)
        waiting = api_calls.submission(con, call_id)
    if view is not None:
        return str(view["status"])
    if waiting is not None and Path(waiting.path).exists():
        return "queued"
    return None


def _sidecar(recording: Path) -> Path:
    return recording.with_name(recording.stem + ".meta.json")  # pipeline.intake.call_meta.sidecar_path, local


def _write_atomically(target: Path, data: bytes) -> None:
    temp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")
    with open(temp, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, target)


def _place(settings: Settings, temp: Path, sha256: str, ext: str, meta: CallMetadata, token_name: str | None,
           operator_id: str | None) -> Submitted:
    """``temp`` (a hidden file in the API folder) becomes the call's recording, or is dropped as a duplicate."""
    call_id = call_id_from_sha256(sha256)
    with _SUBMIT_LOCK:
        status = _known(settings, call_id)
        if status is not None:
            temp.unlink(missing_ok=True)
            return Submitted(call_id, status, True)
        target = temp.with_name(call_id + ext)
        fields = meta.sidecar(settings)
        if fields:  # the metadata first: the recording never appears without it
            _write_atomically(_sidecar(target), json.dumps(fields, ensure_ascii=False).encode())
        os.replace(temp, target)
        _record(settings, Submission(call_id, str(target), now(), token_name, meta.operator or operator_id,
                                     meta.external_id))
    return Submitted(call_id, "queued", False)


def _record(settings: Settings, s: Submission) -> None:
    write_or_journal(str(settings.storage.db), "api_submissions", api_calls.submission_row(s),
                     api_calls.insert_submission)


def submit_upload(settings: Settings, source: BinaryIO, filename: str, meta: CallMetadata, max_bytes: int,
                  token_name: str | None = None) -> Submitted:
    """An uploaded recording into the inbox; ``TooLarge`` past ``max_bytes`` (nothing is left behind)."""
    meta.check()
    ext = _extension(filename, settings)
    folder = _inbox(settings) / API_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    temp = folder / f".upload-{uuid.uuid4().hex}.part"  # hidden, and no recording's extension: never discovered
    digest = hashlib.sha256()
    size = 0
    try:
        with open(temp, "wb") as out:
            while chunk := source.read(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(f"the recording is larger than {max_bytes} bytes")
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise Refused("the recording is empty")
        return _place(settings, temp, digest.hexdigest(), ext, meta, token_name, None)
    finally:
        temp.unlink(missing_ok=True)


def allowed_roots(settings: Settings) -> list[Path]:
    roots = [_inbox(settings), *(Path(r) for r in settings.api.allowed_roots)]
    return [r.resolve() for r in roots]


def submit_path(settings: Settings, path: str, meta: CallMetadata, token_name: str | None = None) -> Submitted:
    """A recording the server can read, named by its path: only under the inbox or an allowed root, after every
    link is followed (``..`` and links out of them are refused)."""
    meta.check()
    if not path or "\x00" in path or not os.path.isabs(path):
        raise Refused("path: give an absolute path under the inbox or an allowed root")
    real = Path(os.path.realpath(path))
    roots = allowed_roots(settings)
    root = next((r for r in roots if real.is_relative_to(r)), None)
    if root is None or not real.is_file():
        # The same words whether the file exists or not: the answer must not probe the server's disk.
        raise Refused("path: not a recording under the inbox or an allowed root")
    ext = _extension(real.name, settings)
    sha256 = content_sha256(real)
    call_id = call_id_from_sha256(sha256)
    inbox = roots[0]
    if root == inbox:  # already where the nightly run looks: leave it, add the metadata beside it
        with _SUBMIT_LOCK:
            status = _known(settings, call_id)
            if status is not None:
                return Submitted(call_id, status, True)
            fields = meta.sidecar(settings)
            if fields and not _sidecar(real).exists():
                _write_atomically(_sidecar(real), json.dumps(fields, ensure_ascii=False).encode())
            _record(settings, Submission(call_id, str(real), now(), token_name, meta.operator, meta.external_id))
        return Submitted(call_id, "queued", False)
    if _known(settings, call_id) is not None:
        return Submitted(call_id, _known(settings, call_id) or "queued", True)
    folder = inbox / API_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    temp = folder / f".copy-{uuid.uuid4().hex}.part"
    try:
        shutil.copyfile(real, temp)
        return _place(settings, temp, sha256, ext, meta, token_name, None)
    finally:
        temp.unlink(missing_ok=True)


# ---------------------------------------------------------------- reading a call


@dataclass(frozen=True)
class CallStatus:
    call_id: str
    status: str  # queued | processed | quarantined | failed | purged
    view: CallView | None  # None while queued
    submission: Submission | None
    context: CallContext | None


def status(db: str, user: User, call_id: str) -> CallStatus:
    """The call as ``user`` may see it; ``NotFound`` for an unknown call and for one ``user`` may not see."""
    with connection(db, read_only=True) as con:
        return _status_on(con, user, call_id)


def _status_on(con: duckdb.DuckDBPyConnection, user: User, call_id: str) -> CallStatus:
    waiting = api_calls.submission(con, call_id)
    context = api_calls.call_context(con, call_id)
    view = call_details.call_on(con, call_id)
    if view is None:
        if waiting is None or not Path(waiting.path).exists() or not may_see_call(user, waiting.operator_id):
            raise NotFound(call_id)
        return CallStatus(call_id, "queued", None, waiting, None)
    if not may_see_call(user, context.operator_id if context else None):
        raise NotFound(call_id)
    return CallStatus(call_id, view.status, view, waiting, context)


def _text(user: User, text: str | None, language: str | None) -> str | None:
    if text is None or can_see_unredacted(user):
        return text
    return masked(text, language)


def results(db: str, user: User, call_id: str) -> dict:
    """The call's status and, once processed, its results, as JSON: personal data masked unless ``user`` is admin."""
    with connection(db, read_only=True) as con:  # one short connection for every part of the call
        found = _status_on(con, user, call_id)
        if found.view is not None and found.view.status == "processed":
            stored = call_details.criteria_on(con, call_id)
            analytics = queries.call_analytics(con, call_id) or {}
            detections = queries.call_detections(con, call_id)
    out: dict = {"call_id": call_id, "status": found.status}
    ctx, view = found.context, found.view
    if found.submission is not None:
        out["submitted_at"] = found.submission.submitted_at.isoformat()
    if view is None:
        return out
    if ctx is not None:
        out.update(operator=ctx.operator_id, team=ctx.team, queue=ctx.queue, site=ctx.site, vendor=ctx.vendor,
                   direction=ctx.direction, external_id=ctx.external_id,
                   started_at=ctx.started_at.isoformat() if ctx.started_at else None)
    if view.status in ("quarantined", "failed"):
        out["error"] = view.error
    if view.status != "processed":
        return out
    language = view.language
    out.update(
        processed_at=view.processed_at.isoformat() if view.processed_at else None, duration_s=view.duration_s,
        language=language, channels=view.channels, score=view.score, flags=list(view.flags),
        scorecard={"name": view.scorecard_name, "version": view.scorecard_version},
        asr_confidence=view.asr_confidence,
    )
    criteria = review.with_pending_reviews(db, call_id, stored)
    out["verdicts"] = [{
        "criterion": c.id, "verdict": c.review.verdict if c.review else c.result, "auto_result": c.result,
        "method": c.method, "confidence": c.confidence, "weight": c.weight, "critical": c.critical,
        "reason": c.reason,
        "evidence": None if c.evidence is None else {"text": _text(user, c.evidence.text, language),
                                                      "start_s": c.evidence.start, "end_s": c.evidence.end},
        "review": None if c.review is None else {"verdict": c.review.verdict, "reviewer": c.review.reviewer,
                                                 "at": c.review.created_at.isoformat(), "pending": c.review.pending},
    } for c in criteria]
    out["escalations"] = [{
        "category": d.category, "method": d.method, "confidence": call_details._value(d.confidence),
        "evidence": {"text": _text(user, call_details._value(d.evidence_text), language),
                     "start_s": call_details._value(d.evidence_start), "end_s": call_details._value(d.evidence_end)},
    } for d in detections.itertuples(index=False) if d.kind == "escalation"]
    out["metrics"] = analytics.get("metrics")
    out["sentiment"] = analytics.get("sentiment")
    if ctx is not None:
        out.update(reason=ctx.reason_id, outcome=ctx.outcome, outcome_confidence=ctx.outcome_confidence,
                   predicted_satisfaction=ctx.predicted_satisfaction, csat=ctx.csat)
    return out


def transcript(db: str, user: User, call_id: str) -> dict:
    """Who said what and when; masked unless ``user`` may see personal data (admins)."""
    found = status(db, user, call_id)
    if found.view is None or found.status != "processed":
        raise NotFound(call_id)
    language = found.view.language
    return {"call_id": call_id, "language": language, "masked": not can_see_unredacted(user),
            "segments": [{"idx": s.idx, "speaker": s.speaker, "start_s": s.start, "end_s": s.end,
                          "text": _text(user, s.text, language), "asr_confidence": s.asr_confidence}
                         for s in call_details.segments(db, call_id)]}


@dataclass(frozen=True)
class Recording:
    path: Path | None  # the original file (admins)
    data: bytes | None  # Ogg Opus with personal data silenced (everyone else)
    media_type: str


def recording(db: str, user: User, call_id: str) -> Recording:
    """The recording: the original for admins; for others, Ogg Opus with every masked moment silenced (as the
    app's player plays it). ``FileNotFoundError`` when the recording is no longer kept."""
    from usecases.recording import MIME, muted_recording

    found = status(db, user, call_id)
    if found.view is None or found.status != "processed":
        raise NotFound(call_id)
    path = Path(found.view.source_path)
    if not path.is_file():
        raise FileNotFoundError(call_id)
    if can_see_unredacted(user):
        return Recording(path, None, "application/octet-stream")
    with connection(db, read_only=True) as con:
        spans = queries.call_pii_spans(con, call_id)
    muted = tuple((float(r.start_s), float(r.end_s)) for r in spans.itertuples(index=False))
    return Recording(None, muted_recording(str(path), muted), MIME)


# ---------------------------------------------------------------- lists with cursor paging


def encode_cursor(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> list:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError):
        raise ValueError("cursor: not one this API gave") from None
    if not isinstance(values, list):
        raise ValueError("cursor: not one this API gave")
    return values


@dataclass(frozen=True)
class Page:
    items: list
    next_cursor: str | None


def list_calls(db: str, user: User, filt: QueueFilter, cursor: str | None, limit: int) -> Page:
    """Processed calls, latest first; an operator token's list holds only its own calls."""
    if not is_staff(user):  # an operator: its own calls only; asking for another's gives an empty page
        own = user.operator_id or ""
        if filt.operators and own not in filt.operators:
            return Page([], None)
        filt = replace(filt, operators=(own,))
    after = None
    if cursor:
        values = decode_cursor(cursor)
        try:
            after = (datetime.fromisoformat(values[0]), str(values[1]))
        except (IndexError, ValueError, TypeError):
            raise ValueError("cursor: not one this API gave") from None
    with connection(db, read_only=True) as con:
        rows: list[ListedCall] = api_calls.calls_page(con, filt, after, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor([rows[-1].call_at.isoformat(), rows[-1].call_id]) if more else None
    return Page(rows, next_cursor)


def operator_scores(db: str, since: datetime | None, until: datetime | None, team: str | None, cursor: str | None,
                    limit: int) -> Page:
    after = str(decode_cursor(cursor)[0]) if cursor else None
    with connection(db, read_only=True) as con:
        rows: list[OperatorScore] = api_calls.operator_scores(con, since, until, team, after, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, encode_cursor([rows[-1].operator_id]) if more else None)


def coaching_topics(db: str, since: datetime, until: datetime, operator: str | None, limit: int) -> list[CoachingTopic]:
    from usecases.coaching_assignments import coaching_rule_for

    rule = coaching_rule_for(db)
    with connection(db, read_only=True) as con:
        return coaching.coaching_topics(con, since, until, operator=operator, limit=limit, examples=5, rule=rule)


def runs(db: str, limit: int) -> list[dict]:
    with connection(db, read_only=True) as con:
        df = queries.recent_runs(con, limit=limit)
    out = []
    for row in df.to_dict("records"):
        out.append({k: (v.isoformat() if hasattr(v, "isoformat") else call_details._value(v))
                    for k, v in row.items() if k != "unreadable"})
    return out


def health(db: str) -> dict:
    """``{"status": "ok", "schema_version": N}``, else ``{"status": "busy" | "unavailable"}`` (no path, no error
    text: the health check needs no token); never raises."""
    from usecases.shared_database import DatabaseUnavailable

    try:
        with connection(db, read_only=True, wait_s=2.0) as con:
            return {"status": "ok", "schema_version": schema_version(con)}
    except DatabaseUnavailable as err:
        return {"status": "busy" if isinstance(err, DatabaseBusy) else "unavailable"}


# ---------------------------------------------------------------- writes


def save_verdict(db: str, user: User, call_id: str, criterion: str, verdict: str, comment: str | None) -> bool:
    """A reviewer's verdict on one criterion, as the app saves it; True when stored now, False when journalled
    (the nightly run held the database). ``NotFound`` for an unknown call or criterion."""
    found = status(db, user, call_id)
    if found.status != "processed":
        raise NotFound(call_id)
    auto = next((c.result for c in call_details.criteria(db, call_id) if c.id == criterion), None)
    if auto is None:
        raise NotFound(f"{call_id}/{criterion}")
    saved = review.save_verdict(db, call_id, criterion, auto, verdict, user.name, comment, role=str(user.role))
    return saved.stored


def import_surveys(db: str, surveys: list[tuple[str, object]], source: str) -> csat.CsatImport:
    """CSAT scores (1-5) for calls by id, stored as ``callqa import-csat`` stores a file's."""
    rows: dict[str, SurveyRow] = {}
    errors: list[LineProblem] = []
    for line, (call_id, score) in enumerate(surveys, start=1):
        try:
            rows[call_id] = SurveyRow(line, call_id, parse_score(str(score)))
        except ValueError as err:
            errors.append(LineProblem(line, f"{call_id}: {err}"))
    parsed = CsatFile("call_id", tuple(rows.values()), tuple(errors), ())
    with connection(db, read_only=False) as con:
        return csat.import_csat(con, parsed, source)


def erase(settings: Settings, numbers: list[str], reason: str, requested_by: str) -> dict:
    """``callqa erase`` for these numbers; the answer names calls and counts, never a number or a file path."""
    from usecases.retention import erase_customers

    with PROCESS_LOCK:  # the erasure's own connections and the file's rewrite: no reader of this process between
        batch = erase_customers(settings, numbers, reason=reason, requested_by=requested_by)
    hashes = {e.customer_hash for e in batch.erasures if e.customer_hash}
    queued = _drop_queued(settings, hashes)
    return {"complete": batch.complete, "rewrite_error": batch.rewrite_error, "queued_deleted": queued,
            "erasures": [{"customer_hash": e.customer_hash, "calls": len(e.call_ids), "call_ids": list(e.call_ids),
                          "deletion_id": e.deletion_id, "files_deleted": len(e.files),
                          "files_left": len(e.files_left), "complete": e.complete} for e in batch.erasures]}


def _drop_queued(settings: Settings, hashes: set[str]) -> int:
    """Delete submissions still waiting in ``<inbox>/api`` whose sidecar names one of these customers: the
    nightly run must not bring an erased customer's call back. Returns how many recordings were deleted."""
    folder = _inbox(settings) / API_FOLDER
    if not hashes or not folder.is_dir():
        return 0
    dropped, ids = 0, []
    with _SUBMIT_LOCK:
        for sidecar in folder.glob("*.meta.json"):
            try:
                fields = json.loads(sidecar.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if not isinstance(fields, dict) or fields.get("customer_hash") not in hashes:
                continue
            stem = sidecar.name[: -len(".meta.json")]
            ids.append(stem)
            for recording in folder.glob(f"{stem}.*"):
                if recording != sidecar:
                    recording.unlink(missing_ok=True)
                    dropped += 1
            sidecar.unlink(missing_ok=True)
    if ids:
        with connection(str(settings.storage.db), read_only=False) as con:
            api_calls.forget_submissions(con, ids)
    return dropped


__all__ = ["API_FOLDER", "CallMetadata", "CallStatus", "DatabaseBusy", "NotFound", "Page", "Recording", "Refused",
           "Submitted", "TooLarge", "coaching_topics", "decode_cursor", "encode_cursor", "erase", "health",
           "import_surveys", "list_calls", "operator_scores", "recording", "results", "runs", "save_verdict", "status",
           "submit_path", "submit_upload", "transcript"]
