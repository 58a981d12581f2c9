"""Runs: the nightly run history, what each run could not process, with reasons, and what retention
and erasure deleted."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from qa_app import auth, data, ui
from qa_app.i18n import N_, _

# Stored ids of flows, deletions and entries the call table does not know, in words (translated on display).
FLOWS = {"nightly": N_("nightly"), "backfill": N_("backfill"), "watch": N_("watcher")}
DELETED = {"audio": N_("audio"), "transcripts": N_("transcripts"), "verdicts": N_("verdicts"),
           "aggregates": N_("daily totals"), "erasure": N_("erasure")}
WHY_DELETED = {"retention": N_("retention"), "erasure": N_("erasure")}
UNREADABLE = N_("unreadable")

auth.require()  # also when a view is reached without the entrypoint
db = str(data.database_path())
w = ui.words()
st.title(_("Runs"))


def _words(table: dict[str, str], identifier: str | None) -> str:
    return _(table[identifier]) if identifier in table else w.of("", identifier)


def _local(column: pd.Series) -> pd.Series:
    """Stored UTC times (naive) as the site's wall-clock times, for a date-time column."""
    times = pd.to_datetime(column)
    return times.dt.tz_localize("UTC").dt.tz_convert(w.tz).dt.tz_localize(None)


def _rows_deleted(row_counts: object) -> int:
    """The total of a deletion's ``{"table": rows}`` record."""
    counts = json.loads(row_counts) if isinstance(row_counts, str) else row_counts
    return int(sum(counts.values())) if isinstance(counts, dict) else 0


history = data.runs(db)
if history.empty:
    st.info(_("No runs yet: `callqa run` processes the inbox (the nightly schedule runs it every night)."))
    st.stop()

STARTED, STATUS, FLOW = _("Started"), _("Status"), _("Flow")
PROCESSED, QUARANTINED, FAILED, SKIPPED = _("Processed"), _("Quarantined"), _("Failed"), _("Skipped")
AUDIO, DURATION = _("Audio (min)"), _("Duration (s)")
view = pd.DataFrame({
    "run_id": history["run_id"],  # not shown: the row a selection names
    STARTED: _local(history["started_at"]),
    STATUS: [w.of("run_status", s) for s in history["status"]],
    FLOW: [_words(FLOWS, f) for f in history["flow"]],
    PROCESSED: history["processed"].fillna(0).astype(int),
    QUARANTINED: history["quarantined"].fillna(0).astype(int),
    FAILED: history["failed"].fillna(0).astype(int),
    SKIPPED: history["skipped"].fillna(0).astype(int),
    AUDIO: (history["audio_s"].fillna(0) / 60).round(1),
    DURATION: history["wall_s"].round(1),
})
counts = {c: st.column_config.NumberColumn(format="%d") for c in (PROCESSED, QUARANTINED, FAILED, SKIPPED)}
event = st.dataframe(
    view, key="runs_table", on_select="rerun", selection_mode="single-row", hide_index=True, width="stretch",
    placeholder="–", column_order=[c for c in view.columns if c != "run_id"],
    column_config={STARTED: st.column_config.DatetimeColumn(format=w.datetime_format, width="medium"),
                   STATUS: st.column_config.TextColumn(width="medium"),
                   AUDIO: st.column_config.NumberColumn(format="%.1f"),
                   DURATION: st.column_config.NumberColumn(format="%.1f"), **counts},
)
st.caption(_("Select a run in the table to see what it could not process."))
chosen = event.selection.rows[0] if event is not None and event.selection.rows else 0
run = history.iloc[chosen]
st.subheader(_("Run of {when}").format(when=ui.when(run["started_at"])))
problems = data.run_problems(db, run["run_id"])
if problems.empty:
    st.caption(_("Every recording of this run was processed."))
else:
    RECORDING, REASON, PATH = _("Recording"), _("Reason"), _("Path")
    st.dataframe(
        pd.DataFrame({RECORDING: problems["file_name"],
                      STATUS: [_(UNREADABLE) if s == "unreadable" else w.of("call_status", s)
                               for s in problems["status"]],
                      REASON: problems["error"].fillna("–"), PATH: problems["source_path"].fillna("–")}),
        key="run_problems", hide_index=True, width="stretch", placeholder="–",
        column_config={RECORDING: st.column_config.TextColumn(width="medium"),
                       REASON: st.column_config.TextColumn(width="large")},
    )

st.subheader(_("Deletions"))
log = data.deletions(db)
if log.empty:
    st.caption(_("Nothing deleted yet: retention deletes data past its term after each run; "
                 "`callqa erase` deletes one customer's calls."))
else:
    WHEN, KIND, WHY, DETAIL, BY = _("When"), _("Kind"), _("Why"), _("Detail"), _("By")
    CALLS, FILES, ROWS, LEFT = _("Calls"), _("Files"), _("Rows"), _("Not deleted")
    # Retention's detail is its cut-off day (the stored English "term ... days" is for the log); an
    # erasure's is the reason its requester gave, shown as written.
    details = [_("calls before {day}").format(day=ui.day(cutoff)) if reason == "retention" and pd.notna(cutoff)
               else (detail if isinstance(detail, str) and detail else "–")
               for reason, cutoff, detail in zip(log["reason"], log["cutoff"], log["detail"])]
    whole = {c: st.column_config.NumberColumn(format="%d") for c in (CALLS, FILES, ROWS, LEFT)}
    st.dataframe(
        pd.DataFrame({WHEN: _local(log["deleted_at"]), KIND: [_words(DELETED, k) for k in log["kind"]],
                      WHY: [_words(WHY_DELETED, r) for r in log["reason"]], DETAIL: details,
                      BY: log["requested_by"].fillna("–"), CALLS: log["calls"].fillna(0).astype(int),
                      FILES: log["files_deleted"].fillna(0).astype(int),
                      ROWS: [_rows_deleted(r) for r in log["row_counts"]],
                      LEFT: log["files_left"].map(len).astype(int)}),
        key="deletions_table", hide_index=True, width="stretch", placeholder="–",
        column_config={WHEN: st.column_config.DatetimeColumn(format=w.datetime_format, width="medium"),
                       DETAIL: st.column_config.TextColumn(width="large"), **whole},
    )
