"""What one run did, read back from the database: counts, durations, throughput, the files
it quarantined or failed with their reasons, the shares alert rules watch, and the same
figures for the runs before it (the baseline "rising" rules compare against).

Shares are of the calls the run attempted or processed; a share with nothing to divide
is None, not 0, so a night without calls never looks like a perfect one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from statistics import fmean

import duckdb

# The metrics alert rules may name (pipeline.stats.alerts): shares, the mean score, and the
# counts each share is taken over, so a rule can ignore nights too small to mean anything.
SHARE_METRICS = ("flagged_share", "failed_share", "quarantined_share", "negative_end_share")


@dataclass(frozen=True)
class ProblemFile:
    call_id: str
    file_name: str
    source_path: str
    status: str  # quarantined | failed | unreadable (an inbox entry that could not be read: no call id)
    reason: str


@dataclass(frozen=True)
class RunFigures:
    """One run's counts (from its ``runs`` row) and what its processed calls got (from ``calls``)."""

    run_id: str
    flow: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    discovered: int
    new_calls: int
    processed: int
    quarantined: int
    failed: int
    skipped: int
    unreadable: int  # inbox entries skipped because they could not be read
    audio_s: float
    wall_s: float | None
    flagged: int  # processed calls with at least one flag (they are in the review queue)
    measured_ends: int  # processed calls whose customer's end sentiment could be measured
    negative_ends: int  # of those, flagged negative_customer_end
    mean_score: float | None

    @property
    def attempted(self) -> int:
        """New recordings the run went through: processed, quarantined or failed."""
        return self.processed + self.quarantined + self.failed

    @property
    def flagged_share(self) -> float | None:
        return _share(self.flagged, self.processed)

    @property
    def failed_share(self) -> float | None:
        return _share(self.failed, self.attempted)

    @property
    def quarantined_share(self) -> float | None:
        return _share(self.quarantined, self.attempted)

    @property
    def negative_end_share(self) -> float | None:
        return _share(self.negative_ends, self.measured_ends)

    @property
    def calls_per_hour(self) -> float | None:
        """Processed calls per hour of the run's wall time."""
        return self.processed / self.wall_s * 3600 if self.wall_s else None

    @property
    def audio_hours_per_hour(self) -> float | None:
        """Hours of audio analysed per hour of wall time (the speed over real time)."""
        return self.audio_s / self.wall_s if self.wall_s else None

    def metrics(self) -> dict[str, float | None]:
        return {
            **{name: getattr(self, name) for name in SHARE_METRICS},
            "mean_score": self.mean_score,
            "processed": float(self.processed),
            "attempted": float(self.attempted),
            "measured_ends": float(self.measured_ends),
        }


@dataclass(frozen=True)
class RunReport(RunFigures):
    problems: tuple[ProblemFile, ...] = ()  # quarantined, failed and unreadable files, with reasons
    baseline: tuple[RunFigures, ...] = field(default=())  # earlier completed runs with calls, newest first

    def baseline_metrics(self) -> dict[str, float | None]:
        """Per share metric and the mean score: the mean over the baseline runs where it is defined."""
        out: dict[str, float | None] = {}
        for name in (*SHARE_METRICS, "mean_score"):
            values = [v for v in (run.metrics()[name] for run in self.baseline) if v is not None]
            out[name] = fmean(values) if values else None
        return out


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


_FIGURES_SQL = """
WITH done AS (
    SELECT c.run_id,
           count(*) AS processed_calls,
           count(*) FILTER (WHERE len(coalesce(s.flags, [])) > 0) AS flagged,
           count(a.customer_end_sentiment) AS measured_ends,
           count(*) FILTER (WHERE list_contains(s.flags, 'negative_customer_end')) AS negative_ends,
           avg(s.score) AS mean_score
    FROM calls c
    LEFT JOIN scores s ON s.call_id = c.call_id AND s.scorecard_name = c.scorecard_name
         AND s.scorecard_version = c.scorecard_version
    LEFT JOIN call_analytics a ON a.call_id = c.call_id
    WHERE c.status = 'processed' AND c.run_id IN (SELECT unnest(?))
    GROUP BY c.run_id
)
SELECT r.run_id, r.flow, r.status, r.started_at, r.finished_at,
       coalesce(r.discovered, 0), coalesce(r.new_calls, 0), coalesce(r.processed, 0),
       coalesce(r.quarantined, 0), coalesce(r.failed, 0), coalesce(r.skipped, 0),
       coalesce(r.unreadable, 0), coalesce(r.audio_s, 0), r.wall_s,
       coalesce(d.flagged, 0), coalesce(d.measured_ends, 0), coalesce(d.negative_ends, 0), d.mean_score
FROM runs r LEFT JOIN done d USING (run_id)
WHERE r.run_id IN (SELECT unnest(?))
ORDER BY r.started_at DESC
"""


def run_figures(con: duckdb.DuckDBPyConnection, run_ids: list[str]) -> list[RunFigures]:
    """Figures of the given runs, newest first; unknown ids are left out."""
    if not run_ids:
        return []
    rows = con.execute(_FIGURES_SQL, [run_ids, run_ids]).fetchall()
    names = [f.name for f in fields(RunFigures)]
    return [RunFigures(**dict(zip(names, row))) for row in rows]


def baseline_run_ids(con: duckdb.DuckDBPyConnection, run: RunFigures, limit: int) -> list[str]:
    """The ``limit`` completed runs of the same flow before ``run`` that went through at least one call
    (nights with nothing new say nothing about shares)."""
    rows = con.execute(
        """
        SELECT run_id FROM runs
        WHERE flow = ? AND status = 'completed' AND run_id <> ? AND started_at < ?
          AND coalesce(processed, 0) + coalesce(quarantined, 0) + coalesce(failed, 0) > 0
        ORDER BY started_at DESC LIMIT ?
        """,
        [run.flow, run.run_id, run.started_at, limit],
    ).fetchall()
    return [r[0] for r in rows]


def problem_files(con: duckdb.DuckDBPyConnection, run_id: str) -> list[ProblemFile]:
    """Recordings the run quarantined (bad input) or failed on (internal error), then the inbox entries it
    could not read (no content, so no call id), with their reasons.

    A call keeps the id of the run that last tried it, so a file that failed before and was
    processed by a later run is listed under neither."""
    rows = con.execute(
        """
        SELECT call_id, file_name, source_path, status, coalesce(error, '')
        FROM calls WHERE run_id = ? AND status NOT IN ('processed', 'purged')
        ORDER BY status DESC, file_name, call_id
        """,
        [run_id],
    ).fetchall()
    rows += con.execute(
        """
        SELECT '', regexp_extract(path, '[^/]*$'), path, 'unreadable', reason
        FROM unreadable_entries WHERE run_id = ? ORDER BY path
        """,
        [run_id],
    ).fetchall()
    return [ProblemFile(*row) for row in rows]


def run_report(con: duckdb.DuckDBPyConnection, run_id: str, baseline_runs: int = 7) -> RunReport:
    """The report of one run, with up to ``baseline_runs`` earlier runs as its baseline."""
    found = run_figures(con, [run_id])
    if not found:
        raise KeyError(f"no run {run_id}")
    run = found[0]
    baseline = run_figures(con, baseline_run_ids(con, run, baseline_runs)) if baseline_runs > 0 else []
    values = {f.name: getattr(run, f.name) for f in fields(RunFigures)}
    return RunReport(**values, problems=tuple(problem_files(con, run_id)), baseline=tuple(baseline))
