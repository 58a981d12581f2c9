"""The morning digest (issue #18): after each night, per team, what waits for its reviewers (the night's
critical calls and escalations not reviewed yet, operators' open disputes, the audit sample still to
review), sent by ``usecases.digest_delivery`` to the digest webhook and the team's e-mail addresses.

The teams are those of the night's calls, and any other team with a dispute or a sampled call waiting; a
team whose night left nothing waiting still gets its digest ("nothing waits"), so silence never means
the digest was lost.
"""

from __future__ import annotations

import logging

from storage import digest as waiting_calls
from storage.db import connect, now
from usecases.digest_delivery import (
    MAX_CALLS,
    SECTION_KINDS,
    DeliveryResult,
    DigestCall,
    DigestSection,
    TeamDigest,
    deliver_digests,
    webhook_url,
)
from usecases.settings import Settings


def team_digests(settings: Settings, run_id: str) -> list[TeamDigest]:
    """One digest per team for the run ``run_id``: its sections in ``SECTION_KINDS`` order."""
    with connect(settings.storage.db, read_only=True) as con:
        teams, first, last = waiting_calls.run_teams(con, run_id)
        found = waiting_calls.waiting(con, run_id, MAX_CALLS)
    since = first or now()
    until = last or since
    for _kind, team in found.counts:
        if team not in teams:
            teams.append(team)
    digests = []
    for team in sorted(teams):
        sections = tuple(
            DigestSection(kind, found.counts.get((kind, team), 0),
                          tuple(DigestCall(c.call_id, c.recording, c.operator_id, c.call_at)
                                for c in found.calls if (c.kind, c.team) == (kind, team)))
            for kind in SECTION_KINDS
        )
        digests.append(TeamDigest(team, since, until, sections))
    return digests


def send_morning_digest(settings: Settings, run_id: str,
                        logger: logging.Logger | logging.LoggerAdapter | None = None) -> list[DeliveryResult]:
    """Build the run's digests and deliver them where the settings say; nothing configured, nothing built.
    Delivery failures come back as results (and warnings), never as exceptions."""
    if not _configured(settings):
        return []
    return deliver_digests(settings, team_digests(settings, run_id), settings.digest.app_url, logger)


def _configured(settings: Settings) -> bool:
    d = settings.digest
    return bool(webhook_url(d.webhook, settings.alerts.webhook)) or bool(d.smtp_host and d.to)



