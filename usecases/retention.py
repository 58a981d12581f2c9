"""Applying the retention policy, and erasing one customer's calls.

Retention (``apply_policy``; the nightly flow runs it after each run, ``callqa retention``
now) deletes, per kind, what is past its term (``pipeline.stats.retention``), in this order:
recordings, transcripts, verdicts (folded into the daily aggregates first, leaving
tombstones), then the aggregates' own old days. Each kind's rows and its audit row commit
in one transaction; recordings are deleted first and marked after, so a crash in between
leaves files already gone that the next pass marks. A pass that finds nothing past its
term writes no audit row. A reviewer's comment goes with the transcript (it may quote it).

Erasure (``erase_customer``; ``callqa erase``) hashes the number with the installation's
key and removes every call of that hash whatever its age: recordings, sidecars and
quarantined copies, every per-call row, leaving tombstones; one audit row holds the hash
(never the number), the calls, the counts and who asked. A request that finds no call is
audited too (the answer "nothing held" is part of the record). Recordings the database
does not know yet (not processed) are not found: erase again after the next run if needed.
Several numbers are erased as one batch (``erase_customers``). Each erasure that found calls
is also logged outside the database (``storage.erasure_log``): ``reapply_erasures``
(``callqa erase --reapply``) erases them again after a backup from before it is restored.

Both leave nothing of what they deleted: the full-text index loses the deleted utterances in
the same transaction, and once a pass or a batch has deleted anything the database file is
rewritten (``storage.scrub``) so the deleted rows' bytes are gone from it. The running app
sees the new file and drops its caches (``qa_app.data.follow_database``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

from pipeline.intake.call_meta import sidecar_path
from pipeline.intake.customer_id import KEY_FILE, customer_hash, load_key
from pipeline.stats.retention import (
    KINDS,
    FileCheck,
    check_file,
    delete_file,
    real_roots,
)
from storage import aggregates, erasure_log
from storage.db import connect, now
from storage.retention import (
    Deletion,
    StoredRecording,
    any_hashed_customers,
    audio_candidates,
    count_rows,
    customer_calls,
    delete_transcripts,
    erased_before,
    mark_audio_deleted,
    per_call_tables,
    purge_calls,
    record_deletion,
    transaction,
    transcript_candidates,
    transcript_rows,
    verdict_candidates,
)
from storage.scrub import Rewrite, rewrite_database
from usecases.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KindResult:
    """One kind's pass: the calls it touched, rows per table, files (or, in a dry run, what would go)."""

    kind: str
    cutoff: datetime | None  # None: kept forever, nothing done
    call_ids: tuple[str, ...] = ()
    rows: dict[str, int] = field(default_factory=dict)
    files: tuple[str, ...] = ()  # deleted
    files_missing: int = 0  # already gone (marked)
    files_left: tuple[str, ...] = ()  # "path: why", found but not deleted (refused): retried next pass
    deletion_id: str | None = None  # the audit row; None in a dry run or when nothing went

    @property
    def anything(self) -> bool:
        return bool(self.call_ids or self.rows or self.files)

    def to_json(self) -> dict:
        return dict(kind=self.kind, cutoff=self.cutoff.isoformat() if self.cutoff else None,
                    calls=len(self.call_ids), call_ids=list(self.call_ids), rows=dict(self.rows),
                    files=list(self.files), files_missing=self.files_missing, files_left=list(self.files_left),
                    deletion_id=self.deletion_id)


@dataclass(frozen=True)
class RetentionSummary:
    today: date
    dry_run: bool
    results: tuple[KindResult, ...]
    wall_s: float
    rewrite: Rewrite | None = None  # the database file rewritten after the deletions (None: nothing deleted)
    rewrite_error: str | None = None  # why it was not: the deleted rows' bytes may still be in the file

    def result(self, kind: str) -> KindResult:
        return next(r for r in self.results if r.kind == kind)

    def to_json(self) -> dict:
        return dict(today=self.today.isoformat(), dry_run=self.dry_run, wall_s=round(self.wall_s, 3),
                    kinds=[r.to_json() for r in self.results],
                    rewrite=self.rewrite.to_json() if self.rewrite else None, rewrite_error=self.rewrite_error)


@dataclass(frozen=True)
class ErasureSummary:
    customer_hash: str | None  # None: no key, so no call can carry this number
    dry_run: bool
    call_ids: tuple[str, ...]
    rows: dict[str, int]
    files: tuple[str, ...]  # deleted (printed for the operator; the audit row keeps only their count)
    files_left: tuple[str, ...]  # "path: why": still on disk, the erasure is not complete
    deletion_id: str | None
    rewrite: Rewrite | None = None  # the database file rewritten after the deletions (None: dry run, or failed)
    rewrite_error: str | None = None  # why it was not: the erased bytes may still be in the file

    @property
    def complete(self) -> bool:
        return not self.files_left and self.rewrite_error is None

    def to_json(self) -> dict:
        return dict(customer_hash=self.customer_hash, dry_run=self.dry_run, calls=len(self.call_ids),
                    call_ids=list(self.call_ids), rows=dict(self.rows), files=list(self.files),
                    files_left=list(self.files_left), complete=self.complete, deletion_id=self.deletion_id,
                    rewrite=self.rewrite.to_json() if self.rewrite else None, rewrite_error=self.rewrite_error)


# -- recordings on disk ------------------------------------------------------------------------

@dataclass
class _FilePass:
    done: list[str] = field(default_factory=list)  # calls whose files are all gone now
    deleted: list[str] = field(default_factory=list)
    missing: int = 0  # calls whose recording was gone already
    left: list[tuple[str, FileCheck]] = field(default_factory=list)  # (call id, refused file)


def _recording_files(rec: StoredRecording, roots, quarantine_dir: Path | str | None, dry_run: bool,
                     out: _FilePass) -> None:
    """The inbox recording and its sidecar, the quarantined copy and its reason; each checked first."""
    recordings = [check_file(rec.source_path, roots, rec.sha256, rec.size)]
    if quarantine_dir is not None and rec.file_name:
        recordings.append(check_file(str(Path(quarantine_dir) / f"{rec.call_id}-{rec.file_name}"), roots,
                                     rec.sha256, rec.size))
    # The sidecar holds the customer's number: it goes with its recording, but not when another
    # recording now has that name (the sidecar is that one's).
    extras = []
    if recordings[0].state in ("delete", "missing"):
        extras.append(check_file(str(sidecar_path(Path(rec.source_path))), roots))
    if len(recordings) > 1 and recordings[1].state in ("delete", "missing"):
        extras.append(check_file(recordings[1].path + ".reason.txt", roots))
    results = [c if dry_run else delete_file(c) for c in recordings + extras]
    refused = [c for c in results if c.state == "refused"]
    out.deleted += [c.path for c in results if c.state == "delete"]
    out.missing += all(c.state == "missing" for c in results[: len(recordings)])
    out.left += [(rec.call_id, c) for c in refused]
    if not refused:
        out.done.append(rec.call_id)


def _delete_recordings(recs: list[StoredRecording], settings: Settings, dry_run: bool) -> _FilePass:
    roots = real_roots([settings.intake.inbox, settings.intake.quarantine_dir])
    out = _FilePass()
    for rec in recs:
        _recording_files(rec, roots, settings.intake.quarantine_dir, dry_run, out)
    return out


# -- retention ---------------------------------------------------------------------------------

def apply_policy(settings: Settings, run_id: str | None = None, requested_by: str = "retention policy",
                 dry_run: bool = False, today: date | None = None,
                 logger: logging.Logger | logging.LoggerAdapter | None = None) -> RetentionSummary:
    """Delete what is past its term, kind by kind; ``dry_run``: only say what would go."""
    started = time.perf_counter()
    logger = logger or log
    today = today or date.today()
    policy = settings.retention.policy()
    results = []
    for kind in KINDS:
        cutoff = policy.cutoff(kind, today)
        if cutoff is None:
            results.append(KindResult(kind, None))
            continue
        audit = Deletion(kind, "retention", requested_by, detail=policy.describe(kind, today), run_id=run_id,
                         cutoff=cutoff)
        result = _STEPS[kind](settings, cutoff, audit, dry_run)
        for left in result.files_left:
            logger.warning("retention: %s not deleted: %s", kind, left)
        if result.anything:
            logger.info("retention%s: %s (%s): %d calls, rows %s, %d files", " (dry run)" if dry_run else "", kind,
                        policy.describe(kind, today), len(result.call_ids), result.rows, len(result.files))
        results.append(result)
    rewrite, error = None, None
    if not dry_run and any(r.deletion_id for r in results):
        try:
            rewrite = rewrite_database(settings.storage.db)
            logger.info("retention: %s rewritten in %.1f s (%d -> %d bytes)", settings.storage.db, rewrite.seconds,
                        rewrite.bytes_before, rewrite.bytes_after)
        except Exception as err:  # noqa: BLE001 - the rows are gone; `callqa erase --reapply` rewrites the file
            error = f"{type(err).__name__}: {err}"
            logger.error("retention: %s not rewritten, deleted rows' bytes may remain in it: %s", settings.storage.db,
                         error)
    return RetentionSummary(today, dry_run, tuple(results), time.perf_counter() - started, rewrite, error)


def _audio(settings: Settings, cutoff: datetime, audit: Deletion, dry_run: bool) -> KindResult:
    with connect(settings.storage.db) as con:
        recs = audio_candidates(con, cutoff)
    files = _delete_recordings(recs, settings, dry_run)
    left = tuple(f"{c.path}: {c.reason}" for _, c in files.left)
    result = KindResult("audio", cutoff, tuple(files.done), {}, tuple(files.deleted), files.missing, left)
    if dry_run or not files.done:
        return result
    with connect(settings.storage.db) as con, transaction(con):
        mark_audio_deleted(con, files.done)
        deletion_id = record_deletion(con, _with(audit, result, files_missing=files.missing))
    return replace(result, deletion_id=deletion_id)


def _transcripts(settings: Settings, cutoff: datetime, audit: Deletion, dry_run: bool) -> KindResult:
    with connect(settings.storage.db) as con:
        ids = transcript_candidates(con, cutoff)
        if dry_run or not ids:
            return KindResult("transcripts", cutoff, tuple(ids), transcript_rows(con, ids))
        with transaction(con):
            rows = delete_transcripts(con, ids)
            result = KindResult("transcripts", cutoff, tuple(ids), rows)
            deletion_id = record_deletion(con, _with(audit, result))
    return replace(result, deletion_id=deletion_id)


def _verdicts(settings: Settings, cutoff: datetime, audit: Deletion, dry_run: bool) -> KindResult:
    with connect(settings.storage.db) as con:
        ids = verdict_candidates(con, cutoff)
        if dry_run or not ids:
            return KindResult("verdicts", cutoff, tuple(ids), count_rows(con, ids, per_call_tables(con)))
        with transaction(con):
            rows = purge_calls(con, ids, "retention")
            result = KindResult("verdicts", cutoff, tuple(ids), rows)
            deletion_id = record_deletion(con, _with(audit, result))
    return replace(result, deletion_id=deletion_id)


def _aggregates(settings: Settings, cutoff: datetime, audit: Deletion, dry_run: bool) -> KindResult:
    with connect(settings.storage.db) as con:
        if dry_run:
            rows = {t: n for t, n in aggregates.count_before(con, cutoff.date()).items() if n}
            return KindResult("aggregates", cutoff, (), rows)
        with transaction(con):
            rows = {t: n for t, n in aggregates.delete_before(con, cutoff.date()).items() if n}
            result = KindResult("aggregates", cutoff, (), rows)
            if not rows:
                return result
            deletion_id = record_deletion(con, _with(audit, result))
    return replace(result, deletion_id=deletion_id)


_STEPS = {"audio": _audio, "transcripts": _transcripts, "verdicts": _verdicts, "aggregates": _aggregates}


def _with(audit: Deletion, result: KindResult, files_missing: int = 0) -> Deletion:
    rows = dict(result.rows, **({"files_missing": files_missing} if files_missing else {}))
    return Deletion(audit.kind, audit.reason, audit.requested_by, result.call_ids, rows, result.files,
                    len(result.files), result.files_left, audit.detail, audit.run_id, audit.customer_hash,
                    audit.cutoff)


# -- erasure -----------------------------------------------------------------------------------

def _erase(settings: Settings, ids: list[str], recs: list[StoredRecording], hashed: str | None, reason: str,
           requested_by: str, dry_run: bool) -> ErasureSummary:
    """Delete these calls' recordings, then every per-call row (leaving tombstones), with one audit row.
    The file is rewritten once per batch, after (``_batch``)."""
    with connect(settings.storage.db) as con:
        rows = count_rows(con, ids, per_call_tables(con))
    files = _delete_recordings(recs, settings, dry_run)
    # Where a file was left, say which call (not the path: a file name may hold the number).
    left_paths = tuple(f"{c.path}: {c.reason}" for _, c in files.left)
    if dry_run:
        return ErasureSummary(hashed, True, tuple(ids), rows, tuple(files.deleted), left_paths, None)
    audit_left = tuple(f"call {call_id}: {c.reason}" for call_id, c in files.left)
    with connect(settings.storage.db) as con, transaction(con):
        mark_audio_deleted(con, files.done)
        rows = purge_calls(con, ids, "erasure")
        deletion_id = record_deletion(con, Deletion(
            "erasure", "erasure", requested_by or "unknown", tuple(ids), rows, (), len(files.deleted), audit_left,
            detail=reason or None, customer_hash=hashed))
    return ErasureSummary(hashed, False, tuple(ids), rows, tuple(files.deleted), left_paths, deletion_id)


def _customer(settings: Settings, number: str) -> tuple[str | None, list[str], list[StoredRecording]]:
    """The number's hash (with the key beside the database), its calls, and their recordings on disk."""
    key_dir = Path(settings.storage.db).parent
    with connect(settings.storage.db) as con:
        if (key_dir / KEY_FILE).exists():
            hashed = customer_hash(number, load_key(key_dir))  # a malformed number raises ValueError here
        elif any_hashed_customers(con):
            raise FileNotFoundError(
                f"{key_dir / KEY_FILE} is missing but calls carry hashed customer numbers: restore the key "
                "(from a backup of that folder) to find this customer's calls")
        else:
            return None, [], []
        ids, recs = customer_calls(con, hashed)
    return hashed, ids, recs


@dataclass(frozen=True)
class ErasureBatch:
    """Several erasures and the one rewrite of the database file after them."""

    dry_run: bool
    erasures: tuple[ErasureSummary, ...]
    rewrite: Rewrite | None = None  # None: a dry run, or the rewrite failed
    rewrite_error: str | None = None  # why it failed: the erased bytes may still be in the file

    @property
    def complete(self) -> bool:
        return all(e.complete for e in self.erasures) and self.rewrite_error is None

    def to_json(self) -> dict:
        return dict(dry_run=self.dry_run, erasures=[e.to_json() for e in self.erasures], complete=self.complete,
                    rewrite=self.rewrite.to_json() if self.rewrite else None, rewrite_error=self.rewrite_error)


def _batch(settings: Settings, summaries: list[ErasureSummary], dry_run: bool) -> ErasureBatch:
    """After the batch's deletions, the database file rewritten once: the erased bytes gone from it."""
    if dry_run:
        return ErasureBatch(True, tuple(summaries))
    try:
        done = rewrite_database(settings.storage.db)
    except Exception as err:  # noqa: BLE001 - the rows are gone; the batch says the file may still hold bytes
        log.error("erasure: %s not rewritten: %s", settings.storage.db, err)
        return ErasureBatch(False, tuple(summaries), None, f"{type(err).__name__}: {err}")
    return ErasureBatch(False, tuple(summaries), done)


def erase_customers(settings: Settings, numbers: list[str], reason: str = "", requested_by: str = "",
                    dry_run: bool = False) -> ErasureBatch:
    """Remove every call of each of these customers' numbers, one audit row per number, then rewrite the
    database file once (a batch of requests pays for one rewrite). Every number is checked before any is erased."""
    found = [_customer(settings, number) for number in numbers]
    summaries = []
    for hashed, ids, recs in found:
        summary = _erase(settings, ids, recs, hashed, reason, requested_by, dry_run)
        if summary.call_ids and summary.deletion_id is not None:  # no deletion id: a dry run
            erasure_log.append(settings.storage.db,
                               erasure_log.Erased(now(), summary.deletion_id, hashed, summary.call_ids))
        summaries.append(summary)
    return _batch(settings, summaries, dry_run)


def erase_customer(settings: Settings, number: str, reason: str = "", requested_by: str = "",
                   dry_run: bool = False) -> ErasureSummary:
    """Remove every call of this customer's number (hashed with the key beside the database), then rewrite
    the database file."""
    batch = erase_customers(settings, [number], reason, requested_by, dry_run)
    return replace(batch.erasures[0], rewrite=batch.rewrite, rewrite_error=batch.rewrite_error)


def reapply_erasures(settings: Settings, requested_by: str = "", dry_run: bool = False) -> ErasureBatch:
    """Erase again every call in the erasure log that the database holds again (a backup restored from
    before the erasure), and any of their recordings back on disk; then rewrite the file. An entry whose
    calls are all still erased does nothing and writes no audit row."""
    summaries = []
    for entry in erasure_log.entries(settings.storage.db):
        with connect(settings.storage.db) as con:
            ids, recs = erased_before(con, list(entry.call_ids))
        if not ids and not recs:
            continue
        summaries.append(_erase(settings, ids, recs, entry.customer_hash,
                                f"re-applied after a restore (erasure {entry.deletion_id})", requested_by, dry_run))
    return _batch(settings, summaries, dry_run)
