"""What a run has to analyse: the recordings in the inbox not yet processed or quarantined.

Exactly-once by content: a recording already processed or quarantined (same sha256) is not
found again, so rerunning a run changes nothing. An entry that cannot be read is skipped with
its reason: one bad entry never stops the night.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from pipeline.intake.inbox import InboxPath, Unreadable, identify, scan, settled
from storage.calls import SKIP_STATUSES, SourceFile, call_statuses
from storage.db import connect
from usecases.settings import Settings
from usecases.sources import SourceReader


@dataclass(frozen=True)
class FoundRecordings:
    new: list[SourceFile]  # not yet processed or quarantined
    discovered: int  # audio-named inbox entries found in all, readable or not
    unreadable: list[Unreadable]  # entries skipped, with why (loops, broken links, vanished, no permission)


def new_recordings(settings: Settings, logger: logging.Logger | logging.LoggerAdapter,
                   since: datetime | None = None, until: datetime | None = None) -> FoundRecordings:
    """Recordings in the inbox that are not yet processed or quarantined, how many were found in all,
    and the entries that could not be read; with ``since``/``until``, only calls that took place in
    [since, until) (a backfill).

    Files still being written (size or time changing over ``settle_s``) are left for the next run."""
    listing = scan(settings.intake.inbox, settings.intake.audio_extensions)
    unreadable = list(listing.unreadable)
    for entry in unreadable:
        logger.warning("skipped %s: %s", entry.path, entry.reason)

    def skip(path: InboxPath, err: OSError) -> None:
        reason = "vanished before it could be read" if isinstance(err, FileNotFoundError) else f"cannot be read: {err}"
        unreadable.append(Unreadable(str(path), reason))
        logger.warning("skipped %s: %s", path, reason)

    found = listing.found
    reader = SourceReader(settings, logger)
    if since is not None or until is not None:  # by metadata, before hashing a whole archive
        within = []
        for p in found:
            try:
                if _within(reader.call_time(p), since, until):
                    within.append(p)
            except OSError as err:
                skip(p, err)
        found = within
    paths, writing = settled(found, settings.intake.settle_s)
    for path in writing:
        try:
            path.stat()
        except OSError as err:  # gone during the settle check, not growing
            skip(path, err)
            continue
        logger.info("%s is still being written: left for the next run", path)
    sources: dict[str, SourceFile] = {}
    for path in paths:
        try:
            call_id, sha, size = identify(path)
            if call_id in sources:  # same bytes twice: one call
                continue
            sources[call_id] = reader.source(path, call_id, sha, size)
        except OSError as err:  # vanished or unreadable between listing and reading
            skip(path, err)
    with connect(settings.storage.db) as con:
        statuses = call_statuses(con, list(sources))
    new = [s for cid, s in sources.items() if statuses.get(cid) not in SKIP_STATUSES]
    # A backfill counts only its period's recordings (the filter above), as before entries were checked.
    return FoundRecordings(new, len(found) + len(listing.unreadable), unreadable)


def _within(when: datetime | None, since: datetime | None, until: datetime | None) -> bool:
    if when is None:
        return False
    return (since is None or when >= since) and (until is None or when < until)
