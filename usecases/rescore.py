"""Re-judging stored transcripts with another scorecard (version), without re-transcribing.

The new verdicts are stored under the new scorecard version and become the
calls' current ones; verdicts of earlier versions stay queryable.

``rejudge_call`` re-judges one call with the scorecard version it was judged with, from its stored
transcript read with the reviewers' role changes (a flip of the whole call, one utterance's speaker):
what the app asks for right after such a change, so the reviewer sees verdicts on the right roles at
once. It is the same judging as ``callqa rescore --flipped`` for that one call, no audio, no ASR.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from pipeline.analyze import build_judge
from pipeline.judging.assess import assess_transcript
from pipeline.judging.scorecard import (
    Scorecard,
    ScorecardError,
    load_scorecard,
    parse_scorecard_text,
    split_label,
)
from pipeline.judging.scoring import ScorecardJudge
from storage.calls import register_scorecard, save_rescore, stored_scorecard_text
from storage.db import connect
from storage.transcripts import load_stored_call, processed_call_ids, roles_changed_since_scored
from usecases.shared_database import WRITE_WAIT_S, connection


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
    """Re-judge stored transcripts; ``flipped_only``: just the calls whose roles a reviewer flipped or corrected."""
    started = time.perf_counter()
    judge = build_judge(scorecard)
    changed = 0
    with connect(db) as con:
        register_scorecard(con, scorecard)
        call_ids = processed_call_ids(con, since, until, operator, flipped_since_scored=flipped_only)
        for call_id in call_ids:
            scores = _rejudge(con, call_id, scorecard, judge)
            if scores is not None and scores[0] != scores[1]:
                changed += 1
    return RescoreSummary(scorecard.label, len(call_ids), changed, time.perf_counter() - started)


def _rejudge(con: duckdb.DuckDBPyConnection, call_id: str, scorecard: Scorecard,
             judge: ScorecardJudge) -> tuple[float | None, float | None] | None:
    """Judge the call's stored transcript (roles as reviewers left them) and store the verdicts as its
    current ones; (score before, score after), or None when the call has no transcript to judge."""
    stored = load_stored_call(con, call_id)
    if stored is None:
        return None
    # The stored text is already redacted; its words keep their times, so evidence keeps its place.
    assessment = assess_transcript(stored.transcript, stored.duration_s, judge, redact=False)
    before = con.execute(
        "SELECT s.score FROM scores s JOIN calls c USING (call_id) WHERE s.call_id = ?"
        " AND s.scorecard_name = c.scorecard_name AND s.scorecard_version = c.scorecard_version",
        [call_id],
    ).fetchone()
    save_rescore(con, call_id, scorecard, assessment.criteria, assessment.score, assessment.detections)
    return (None if before is None else before[0]), assessment.score.value


@dataclass(frozen=True)
class Rejudged:
    """One call judged again on its stored transcript."""

    call_id: str
    scorecard: str
    score_before: float | None
    score_after: float | None  # None: nothing judgeable (no speech)
    wall_s: float


# Compiled scorecards (lemmatizers, the sentence encoder) by exact text: building one takes seconds,
# re-judging a call with it a fraction of that, and a reviewer re-judges call after call.
_JUDGES: dict[tuple[str, int, str], ScorecardJudge] = {}
_JUDGES_LOCK = threading.Lock()  # guards _WARMING


_BUILD_LOCK = threading.Lock()  # one build at a time: a click waits for the warm-up's build, not a second one


def _judge_for(scorecard: Scorecard) -> ScorecardJudge:
    key = (scorecard.name, scorecard.version, scorecard.digest or scorecard.source)
    with _BUILD_LOCK:
        if key not in _JUDGES:
            _JUDGES[key] = build_judge(scorecard)
        return _JUDGES[key]


def _scorecard_of(db: str, call_id: str, scorecards_dir: Path | None) -> Scorecard | None:
    """The exact scorecard version the call was last judged with: its stored text, else the file."""
    with connection(db, read_only=True) as con:
        row = con.execute("SELECT scorecard_name, scorecard_version FROM calls WHERE call_id = ?"
                          " AND status = 'processed'", [call_id]).fetchone()
    if row is None or row[0] is None or row[1] is None:
        return None
    return _scorecard(db, row[0], int(row[1]), scorecards_dir)


def _scorecard(db: str, name: str, version: int, scorecards_dir: Path | None) -> Scorecard:
    with connection(db, read_only=True) as con:
        text = stored_scorecard_text(con, name, version)
    if text is not None:
        return parse_scorecard_text(text, source=f"{db}:{name}@{version}")
    return load_scorecard(f"{name}@{version}", scorecards_dir)


_WARMING: set[tuple[str, str, int]] = set()


def warm_judge(db: str, scorecard_name: str, scorecard_version: int, scorecards_dir: Path | None = None) -> None:
    """Compile this scorecard version in the background, once per process: the first re-judging in a fresh
    app otherwise waits for the lemmatizers and the sentence encoder to load (half a minute on 2 cores);
    compiled, a call is re-judged in about a second. A click meanwhile waits for this build, not a second one."""
    key = (db, scorecard_name, scorecard_version)
    with _JUDGES_LOCK:
        if key in _WARMING:
            return
        _WARMING.add(key)

    def build() -> None:
        try:
            _judge_for(_scorecard(db, scorecard_name, scorecard_version, scorecards_dir))
        except Exception:  # noqa: BLE001 - a scorecard that cannot be built: the click says why, not this thread
            with _JUDGES_LOCK:
                _WARMING.discard(key)

    threading.Thread(target=build, name="callqa-warm-judge", daemon=True).start()


def rejudge_call(db: str, call_id: str, scorecards_dir: Path | None = None, only_if_roles_changed: bool = False,
                 wait_s: float = WRITE_WAIT_S) -> Rejudged | None:
    """Judge one call again from its stored transcript with the reviewers' role changes, under the
    database's write lock (``DatabaseBusy`` after ``wait_s`` while the nightly flow holds it; the role
    change itself stays journalled and is re-judged on the next try). None: nothing to judge (no
    transcript, or ``only_if_roles_changed`` and the verdicts already follow the latest change)."""
    started = time.perf_counter()
    scorecard = _scorecard_of(db, call_id, scorecards_dir)
    if scorecard is None:
        return None
    judge = _judge_for(scorecard)  # before taking the lock: the flow should not wait on a model load
    # The write connection first applies the journal (storage.db.connect), so a flip journalled while
    # the flow held the file is in the transcript read here.
    with connection(db, read_only=False, wait_s=wait_s) as con:
        if only_if_roles_changed and not roles_changed_since_scored(con, call_id):
            return None
        register_scorecard(con, scorecard)
        scores = _rejudge(con, call_id, scorecard, judge)
    if scores is None:
        return None
    return Rejudged(call_id, scorecard.label, scores[0], scores[1], time.perf_counter() - started)
