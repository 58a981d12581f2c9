"""Re-judging stored transcripts with another scorecard (version), without re-transcribing.

The new verdicts are stored under the new scorecard version and become the
calls' current ones; verdicts of earlier versions stay queryable.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pipeline.analyze import build_judge
from pipeline.judging.assess import assess_transcript
from pipeline.judging.scorecard import (
    Scorecard,
    ScorecardError,
    load_scorecard,
    parse_scorecard_text,
    split_label,
)
from storage.calls import register_scorecard, save_rescore, stored_scorecard_text
from storage.db import connect
from storage.transcripts import load_stored_call, processed_call_ids


@dataclass(frozen=True)
class RescoreSummary:
    scorecard: str
    calls: int
    changed_scores: int
    wall_s: float

    def to_json(self) -> dict:
        return self.__dict__.copy()


def resolve_for_rescore(label: str, db: Path, scorecards_dir: Path | None) -> Scorecard:
    """NAME[@VERSION] from the scorecards folder, else the exact text stored when that version was used."""
    try:
        return load_scorecard(label, scorecards_dir)
    except ScorecardError as not_on_disk:
        name, version = split_label(label)
        if version is None:
            raise
        with connect(db, read_only=True) as con:
            text = stored_scorecard_text(con, name, version)
        if text is None:
            raise not_on_disk
        return parse_scorecard_text(text, source=f"{db}:{label}")


def rescore(db: Path, scorecard: Scorecard, since: datetime | None = None, until: datetime | None = None,
            operator: str | None = None, flipped_only: bool = False) -> RescoreSummary:
    """Re-judge stored transcripts; ``flipped_only``: just the calls whose roles a reviewer flipped."""
    started = time.perf_counter()
    judge = build_judge(scorecard)
    changed = 0
    with connect(db) as con:
        register_scorecard(con, scorecard)
        call_ids = processed_call_ids(con, since, until, operator, flipped_since_scored=flipped_only)
        for call_id in call_ids:
            stored = load_stored_call(con, call_id)
            if stored is None:
                continue
            # The stored text is already redacted; its words keep their times, so evidence keeps its place.
            assessment = assess_transcript(stored.transcript, stored.duration_s, judge, redact=False)
            before = con.execute(
                "SELECT s.score FROM scores s JOIN calls c USING (call_id) WHERE s.call_id = ?"
                " AND s.scorecard_name = c.scorecard_name AND s.scorecard_version = c.scorecard_version",
                [call_id],
            ).fetchone()
            if before is None or before[0] != assessment.score.value:
                changed += 1
            save_rescore(con, call_id, scorecard, assessment.criteria, assessment.score, assessment.detections)
    return RescoreSummary(scorecard.label, len(call_ids), changed, time.perf_counter() - started)
