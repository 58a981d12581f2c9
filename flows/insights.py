"""Call insights (why customers call, how calls end) as Prefect work: ``refresh_insights`` for the
nightly flow's housekeeping (before retention, so a call judged tonight is judged on its
transcript) and after a rescore. Only missing and stale rows are computed (storage.insights),
so a night with nothing new costs one query (the encoder is not even loaded); an edited taxonomy
recomputes every call that still has its transcript. Calls are judged in batches, outside the
write connection, so the app's readers are not locked out while thousands of calls are judged.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from usecases.settings import Settings
from models.embeddings import load_sentence_encoder
from pipeline.insights.call_insights import InsightsJudge, insights_version
from pipeline.insights.taxonomy import Taxonomy, load_taxonomy
from storage.db import connect
from storage.insights import save_insights, stale_call_ids
from storage.transcripts import load_stored_call

_JUDGES: dict[str, InsightsJudge] = {}
BATCH_CALLS = 64  # calls read, judged, then written per short connection


@dataclass(frozen=True)
class InsightsSummary:
    version: str
    calls: int
    matched: int  # calls given a taxonomy reason
    wall_s: float


def insights_judge(taxonomy_path: Path | str | None, taxonomy: Taxonomy | None = None) -> InsightsJudge:
    """The judge for the taxonomy file as it is now (cached per file content), on the pipeline's encoder."""
    taxonomy = taxonomy or load_taxonomy(taxonomy_path)
    if taxonomy.digest not in _JUDGES:
        _JUDGES[taxonomy.digest] = InsightsJudge(taxonomy, load_sentence_encoder())
    return _JUDGES[taxonomy.digest]


def compute_insights(db: Path | str, taxonomy_path: Path | str | None = None,
                     call_ids: list[str] | None = None) -> InsightsSummary:
    """Judge the reason and outcome of every call (of ``call_ids``) whose insights are missing or stale."""
    started = time.perf_counter()
    taxonomy = load_taxonomy(taxonomy_path)
    version = insights_version(taxonomy)
    with connect(db) as con:
        todo = stale_call_ids(con, version, call_ids)
    matched = 0
    # The list is taken once: a call that changes meanwhile is picked up by the next refresh.
    for first in range(0, len(todo), BATCH_CALLS):
        judge = insights_judge(taxonomy_path, taxonomy)
        with connect(db, read_only=True) as con:
            stored = [load_stored_call(con, call_id) for call_id in todo[first:first + BATCH_CALLS]]
        judged = [(s.call_id, judge.judge(s.transcript)) for s in stored if s is not None]
        with connect(db) as con:
            for call_id, insights in judged:
                save_insights(con, call_id, version, insights)
        matched += sum(insights.reason_id is not None for _, insights in judged)
    return InsightsSummary(version, len(todo), matched, time.perf_counter() - started)


@task(cache_policy=NO_CACHE)
def refresh_insights(settings: Settings) -> InsightsSummary:
    summary = compute_insights(settings.storage.db, settings.judging.reasons_taxonomy)
    get_run_logger().info("call insights (%s): %d calls judged, %d with a taxonomy reason, %.1f s",
                          summary.version, summary.calls, summary.matched, summary.wall_s)
    return summary
