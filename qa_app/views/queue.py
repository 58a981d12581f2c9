"""Review queue: the period's flagged calls, critical first; filters kept in the page's address, saved views,
pages of 100, CSV export.

The filters live in the link (``qa_app.queue_params``): coming back from a call, reloading, the
browser's back button or a shared link bring back the same queue, and the call page's *next call*
walks the same list. A click on any cell of a row opens that call.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import cast

import pandas as pd
import streamlit as st

from qa_app import auth, data, downloads, periods, queue_params, ui
from qa_app.i18n import N_, _, plural, words
from qa_app.queue_params import QueueList, QueueView
from storage.review_queue import Sort
from usecases.saved_views import MAX_NAME

user = auth.require()  # also when a view is reached without the entrypoint
db = str(data.database_path())

st.title(_("Review queue"))

run = data.last_run(db)
if run is not None:
    finished = ui.when(run.finished_at) if run.finished_at else _("still running")
    st.caption(_("Last run: {finished} ({status}) · {processed} · {quarantined} · {failed}").format(
        finished=finished, status=words().of("run_status", run.status),
        processed=plural("{n} call processed", "{n} calls processed", run.processed),
        quarantined=plural("{n} quarantined", "{n} quarantined", run.quarantined),
        failed=plural("{n} failed", "{n} failed", run.failed)))

options = data.filter_options(db)

SORTS: dict[Sort, str] = {"priority": N_("Priority: critical first"), "newest": N_("Newest first"),
                          "oldest": N_("Oldest first"), "score": N_("Lowest score first")}
REVIEWED: dict[str, str] = {"any": N_("Reviewed or not"), "no": N_("Not reviewed"), "yes": N_("Reviewed")}
QUEUE_LISTS: dict[QueueList, str] = {"flagged": N_("Flagged calls"), "sample": N_("Audit sample")}
# Session keys: the widgets', the link last applied to them, the queue as last shown (for a visit through
# the sidebar, whose link carries no filters), a view to open (set by a callback), notes about the link.
WIDGETS = ("f_operator", "f_team", "f_queue", "f_language", "f_flag", "f_score", "f_reviewed",
           "f_sort", "show_all", "f_list")
APPLIED, LAST, OPEN, NOTES, FLASH = "queue_applied", "queue_last", "queue_open", "queue_notes", "queue_flash"
PERIOD = "queue_period_shown"  # (generation, days): the period widget gets a new key each time the link sets it


def _normal(params: dict) -> dict[str, list[str]]:
    return {k: list(v) if isinstance(v, (list, tuple)) else [v] for k, v in params.items()}


def _apply(view: QueueView) -> None:
    """Sets the filter widgets to ``view`` (before they are drawn in this run)."""
    st.session_state[PERIOD] = (st.session_state.get(PERIOD, (0, None))[0] + 1, view.period(options))
    st.session_state["f_operator"] = list(view.operators)
    st.session_state["f_team"] = list(view.teams)
    st.session_state["f_queue"] = list(view.queues)
    st.session_state["f_language"] = list(view.languages)
    st.session_state["f_flag"] = list(view.flags)
    st.session_state["f_score"] = view.score
    st.session_state["f_reviewed"] = view.reviewed
    st.session_state["f_sort"] = view.sort
    st.session_state["show_all"] = view.show_all
    st.session_state["f_list"] = view.queue_list
    st.session_state["queue_page"] = view.page


# ---- the link's filters onto the widgets ----------------------------------------------------------------
asked = queue_params.from_query(st.query_params)
opened = st.session_state.pop(OPEN, None)  # a saved view picked, or "clear filters"
if opened is not None:
    asked = opened
elif not asked and st.session_state.get(LAST):
    asked = st.session_state[LAST]  # the sidebar's link has no filters: the queue as the reviewer left it
period_key = f"queue_period_{st.session_state.get(PERIOD, (0, None))[0]}"
# Apply the link when it changed, and when the widgets were dropped (Streamlit forgets a page's widgets
# while another page is shown: coming back from a call, the link is what is left of the queue).
if (opened is not None or asked != st.session_state.get(APPLIED)
        or any(k not in st.session_state for k in (*WIDGETS, period_key))):
    parsed = queue_params.parse(asked, options)
    _apply(parsed.view)
    st.session_state[APPLIED] = asked
    st.session_state[NOTES] = parsed.problems
st.session_state.setdefault("queue_page", 1)
for note in st.session_state.get(NOTES, []):
    st.warning(note, icon=":material/link_off:")


def _first_page() -> None:
    st.session_state["queue_page"] = 1
    st.session_state[NOTES] = []


shown_in = words()  # the format functions keep this run's language (AppTest calls them outside the run too)
# Which list: the calls the automatic checks flagged, or the audit sample (drawn at random, flagged or not:
# the reviews that measure what the checks miss).
queue_list = cast(QueueList, st.radio(
    _("List"), list(QUEUE_LISTS), format_func=lambda k: shown_in(QUEUE_LISTS[k]), key="f_list", horizontal=True,
    on_change=_first_page,
    help=_("The audit sample: calls drawn at random each night, flagged or not. Reviewing them shows what the "
           "automatic checks miss (the accuracy sheet counts only these).")))
with st.container(border=True, key="queue_filters"):
    top = st.columns([2.2, 1.6, 1.6, 1.6, 1.4], vertical_alignment="bottom")
    with top[0]:
        generation, shown_period = st.session_state[PERIOD]
        since, until = periods.period_input(f"queue_period_{generation}", options.first, options.last,
                                            value=shown_period)
    chosen_operators = top[1].multiselect(_("Operator"), options.operators, key="f_operator", on_change=_first_page,
                                          placeholder=_("All operators"))
    chosen_teams = top[2].multiselect(_("Team"), options.teams, key="f_team", on_change=_first_page,
                                      placeholder=_("All teams"))
    chosen_queues = top[3].multiselect(_("Queue"), options.queues, key="f_queue", on_change=_first_page,
                                       placeholder=_("All queues"))
    chosen_languages = top[4].multiselect(_("Language"), options.languages, key="f_language",
                                          format_func=lambda lang: shown_in.of("language", lang),
                                          on_change=_first_page, placeholder=_("All languages"))
    bottom = st.columns([2.6, 1.4, 1.6, 1.6, 1.2], vertical_alignment="bottom")
    chosen_flags = bottom[0].multiselect(_("Flag"), options.flags, format_func=shown_in.flag, key="f_flag",
                                         on_change=_first_page, placeholder=_("Any flag"))
    low, high = cast(tuple[int, int], bottom[1].slider(_("Score"), 0, 100, key="f_score", on_change=_first_page))
    reviewed = bottom[2].selectbox(_("Review state"), list(REVIEWED), format_func=lambda k: shown_in(REVIEWED[k]),
                                   key="f_reviewed", on_change=_first_page)
    sort = cast(Sort, bottom[3].selectbox(_("Sort"), list(SORTS), format_func=lambda k: shown_in(SORTS[k]),
                                          key="f_sort", on_change=_first_page))
    show_all = bottom[4].toggle(_("Unflagged too"), key="show_all", on_change=_first_page,
                                disabled=queue_list == "sample")

view = QueueView(since=since.date(), until=(until - pd.Timedelta(days=1)).date(), operators=tuple(chosen_operators),
                 teams=tuple(chosen_teams), queues=tuple(chosen_queues), languages=tuple(chosen_languages),
                 flags=tuple(chosen_flags), score=(int(low), int(high)), reviewed=reviewed, sort=sort,
                 show_all=show_all, queue_list=queue_list)
filt = view.queue_filter(options)
total = data.queue_size(db, filt)
pages = max(1, math.ceil(total / data.PAGE_SIZE))
if st.session_state["queue_page"] > pages:
    st.session_state["queue_page"] = pages


# ---- saved views ------------------------------------------------------------------------------------------
def _flash(kind: str, message: str) -> None:
    st.session_state[FLASH] = (kind, message)


def _open_view() -> None:
    name = st.session_state.get("queue_view")
    try:
        chosen = next((v for v in data.saved_views(db, user.name) if v.name == name), None)
    except data.DatabaseUnavailable as err:
        _flash("error", _("Not opened: {reason}").format(reason=ui.md(err)))
        return
    if chosen is not None:
        st.session_state[OPEN] = _normal(chosen.params)


def _save_view() -> None:
    name = st.session_state.get("queue_view_name", "")
    try:
        shown = {k: v for k, v in st.session_state.get(LAST, {}).items() if k != "page"}
        stored = data.save_view(db, user.name, name, shown)
    except ValueError:
        _flash("warning", _("Give the view a name of 1 to {n} characters.").format(n=MAX_NAME))
        return
    except data.DatabaseUnavailable as err:
        _flash("error", _("Not saved: {reason}").format(reason=ui.md(err.in_words(ui.words()))))
        return
    if stored:
        _flash("success", _("View “{name}” saved.").format(name=ui.md(" ".join(name.split()))))
        st.session_state["queue_view_name"] = ""
    else:
        _flash("warning", _("Not saved: the nightly load holds the database. Try again in a minute."))


def _delete_view() -> None:
    name = st.session_state.get("queue_view")
    if not name:
        return
    try:
        deleted = data.delete_view(db, user.name, name)
    except data.DatabaseUnavailable as err:
        _flash("error", _("Not deleted: {reason}").format(reason=ui.md(err)))
        return
    if deleted is None:
        _flash("warning", _("Not deleted: the nightly load holds the database. Try again in a minute."))
    else:
        _flash("success", _("View “{name}” deleted.").format(name=ui.md(name)))


def _clear() -> None:
    st.session_state[OPEN] = {}


params = queue_params.to_params(replace(view, page=int(st.session_state["queue_page"])), options)
current = _normal(params)
try:
    saved = data.saved_views(db, user.name)
except data.DatabaseUnavailable:
    saved = []
names = [v.name for v in saved]
st.session_state["queue_view"] = next(
    (v.name for v in saved if _normal(v.params) == {k: p for k, p in current.items() if k != "page"}), None)
with st.container(horizontal=True, vertical_alignment="bottom", key="queue_views"):
    st.selectbox(_("Saved views"), names, key="queue_view", on_change=_open_view, width=260,
                 placeholder=_("Pick a saved view") if names else _("No saved views yet"), disabled=not names)
    st.button(_("Delete view"), key="queue_view_delete", on_click=_delete_view,
              disabled=st.session_state.get("queue_view") is None, icon=":material/delete:")
    st.text_input(_("Save these filters as"), key="queue_view_name", max_chars=MAX_NAME, width=260,
                  placeholder=_("e.g. Team A, not reviewed"))
    st.button(_("Save view"), key="queue_view_save", on_click=_save_view, icon=":material/bookmark_add:")
    st.button(_("Clear filters"), key="queue_clear", on_click=_clear, icon=":material/filter_alt_off:")
flash = st.session_state.pop(FLASH, None)
if flash:
    getattr(st, flash[0])(flash[1])

# ---- the page of calls -----------------------------------------------------------------------------------
if total == 0:
    if queue_list == "sample":
        st.info(_("No calls of the audit sample match. The nightly run draws it; `callqa sample` draws one "
                  "on demand."))
    else:
        st.info(_("No calls match: nothing needs review in this period.") if not show_all
                else _("No processed calls match."))
    page_no = 1
else:
    nav, export = st.columns([3, 1], vertical_alignment="bottom")
    with nav:
        if pages > 1:
            page_no = int(st.number_input(_("Page (of {pages})").format(pages=words().integer(pages)), min_value=1,
                                          max_value=pages, step=1, key="queue_page", width=180))
        else:
            page_no = 1
    with export:
        downloads.download_button(_("Export CSV"), lambda: data.queue_csv(db, filt, sort),
                                  file_name="review_queue.csv", mime="text/csv", key="export_queue",
                                  help=_("Opens in Excel: your language's separator, times in the site's zone."))

# The link says what is shown: written after the widgets, read back on the next visit.
params = queue_params.to_params(replace(view, page=page_no), options)
if _normal(params) != queue_params.from_query(st.query_params):
    st.query_params.from_dict(params)
st.session_state[APPLIED] = st.session_state[LAST] = _normal(params)

if total:
    offset = (page_no - 1) * data.PAGE_SIZE
    rows = data.queue(db, filt, data.PAGE_SIZE, offset, sort)
    if queue_list == "sample":
        what = _("Audit sample calls {first}–{last} of {total}. Click a row to open the call.")
    else:
        what = (_("Flagged calls {first}–{last} of {total}. Click a row to open the call.") if not show_all
                else _("Processed calls {first}–{last} of {total}. Click a row to open the call."))
    st.caption(what.format(first=words().integer(offset + 1), last=words().integer(offset + len(rows)),
                           total=words().integer(total)))
    w = words()
    table = pd.DataFrame(
        {
            "call_id": rows["call_id"],
            "Recording": rows["file_name"],
            "Operator": rows["operator_id"],
            "Team": rows["team"],
            "Time": [w.local(t.to_pydatetime()).replace(tzinfo=None) if not pd.isna(t) else None
                     for t in rows["call_at"]],
            "Duration": [ui.clock(v) for v in rows["duration_s"]],
            "Language": [w.of("language", v) if v else "–" for v in rows["language"]],
            "Score": rows["score"],
            "Flags": [[ui.flag(f) for f in flags] if flags is not None else [] for flags in rows["flags"]],
            "Reviewed": ["✓" if r else "" for r in rows["reviewed"]],
        }
    )
    event = st.dataframe(
        table,
        key="queue_table",
        on_select="rerun",
        selection_mode="single-cell",  # a click on any cell opens the call: no tick boxes that suggest a multi-select
        hide_index=True,
        width="stretch",
        column_order=["Recording", "Operator", "Team", "Time", "Duration", "Language", "Score", "Reviewed", "Flags"],
        column_config={
            "Recording": st.column_config.TextColumn(_("Recording"), width=170),
            "Operator": st.column_config.TextColumn(_("Operator")),
            "Team": st.column_config.TextColumn(_("Team")),
            "Time": st.column_config.DatetimeColumn(_("Time"), format=w.datetime_format, width=125),
            "Duration": st.column_config.TextColumn(_("Duration"), width=100),
            "Language": st.column_config.TextColumn(_("Language"), width=85),
            "Score": st.column_config.ProgressColumn(_("Score"), min_value=0, max_value=100, format="%.0f",
                                                     width=120, color="blue"),
            "Flags": st.column_config.ListColumn(_("Flags"), width="large"),
            "Reviewed": st.column_config.TextColumn(_("Reviewed"), width=85),
        },
    )
    cells = event.selection.cells if event is not None else []
    if cells:
        st.session_state.pop("queue_table", None)  # coming back, no cell is still selected
        st.switch_page("views/call.py", query_params={"call_id": table.iloc[int(cells[0][0])]["call_id"], **params})

problems = data.problem_calls(db)
with st.expander(_("Quarantined and failed recordings ({count})").format(count=words().integer(len(problems))),
                 expanded=False):
    if problems.empty:
        st.caption(_("None: every recording was readable and processed."))
    else:
        w = words()
        st.dataframe(
            pd.DataFrame(
                {
                    _("Recording"): problems["file_name"],
                    _("Status"): [w.of("call_status", s) for s in problems["status"]],
                    _("Reason"): problems["error"],
                    _("Path"): problems["source_path"],
                    _("When"): [w.when(t.to_pydatetime()) if not pd.isna(t) else "–" for t in problems["processed_at"]],
                }
            ),
            key="problems_table",
            hide_index=True,
            width="stretch",
        )
