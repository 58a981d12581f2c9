"""Transcript search (deep link ``?q=...``): words and "quoted phrases" in every stored call.

Any word form finds the others (Russian and English are stemmed), so «руководитель» finds
«с руководителем». Filters: who said it, the call's date, operator, team. A result opens the
call review page at that moment (``&t=``) with the utterance marked (``&seg=``, ``&q=``).
Non-admins see personal data masked, as on the call page.
"""

from __future__ import annotations

import math

import streamlit as st

from qa_app import auth, data, links, periods, ui
from qa_app.i18n import N_, _, plural
from storage.search import Role, SearchFilter
from usecases import masking, users

user = auth.require()
db = str(data.database_path())
show_raw = users.can_see_unredacted(user)
PAGE_SIZE = 50
QUERY_KEY = "search_q"
ROLES: dict[Role | None, str] = {None: N_("Anyone"), "operator": N_("Operator"), "customer": N_("Customer")}

st.title(_("Transcript search"))

status = data.search_index_status(db)
if status is None:
    st.info(_("The search index has not been built yet: it is built at the end of each nightly run "
              "(`callqa run`)."), icon=":material/search_off:")
    st.stop()
st.caption(_("Search index: {utterances}, {calls}; built {when}.").format(
    utterances=plural("{n} utterance", "{n} utterances", status.utterances),
    calls=plural("{n} call", "{n} calls", status.calls), when=ui.when(status.built_at)))
if status.calls_since:
    st.warning(_("Stored since then and not searchable until the next nightly run: {calls}.").format(
        calls=plural("{n} call", "{n} calls", status.calls_since)), icon=":material/update:")


def _first_page() -> None:
    st.session_state["search_page"] = 1


# The query survives a visit to a call: the call page links back with ``?q=``.
if QUERY_KEY not in st.session_state:
    asked = links.text("q", st.query_params.get("q"))
    if asked.problem:
        st.warning(asked.problem, icon=":material/link_off:")
    st.session_state[QUERY_KEY] = asked.value or ""

options = data.filter_options(db)
with st.container(border=True, key="search_filters"):
    query = st.text_input(_("Search"), key=QUERY_KEY, max_chars=200, on_change=_first_page,
                          placeholder=_('words or "a phrase in quotes", any word form, Russian or English'))
    row = st.columns([2.2, 1.2, 1.8, 1.8], vertical_alignment="bottom")
    with row[0]:
        days = (options.last - options.first).days + 1 if options.first and options.last else periods.DEFAULT_DAYS
        since, until = periods.period_input("search_period", options.first, options.last, days=days)
    role = row[1].selectbox(_("Said by"), list(ROLES), format_func=lambda r: _(ROLES[r]), key="search_role",
                            on_change=_first_page)
    chosen_operators = row[2].multiselect(_("Operator"), options.operators, key="search_operator",
                                          on_change=_first_page, placeholder=_("Any operator"))
    chosen_teams = row[3].multiselect(_("Team"), options.teams, key="search_team", on_change=_first_page,
                                      placeholder=_("Any team"))

query = query.strip()
if not query:
    st.query_params.pop("q", None)
    st.caption(_('Type words to find the utterances that contain all of them; put a phrase in "quotes" to find '
                 "its words in a row."))
    st.stop()
st.query_params["q"] = query

filt = SearchFilter(role=role, since=since, until=until, operators=tuple(chosen_operators), teams=tuple(chosen_teams))
page_no = int(st.session_state.get("search_page", 1))
try:
    results = data.search(db, query, filt, PAGE_SIZE, (page_no - 1) * PAGE_SIZE)
except data.SearchUnavailable as err:
    st.error(_("Search is unavailable: {reason}").format(reason=ui.md(err.in_words(ui.words()))),
             icon=":material/search_off:")
    st.stop()

if results.total == 0:
    st.info(_("No utterance matches: try another word form's stem, fewer words, or a wider period."))
    st.stop()

pages = max(1, math.ceil(results.total / PAGE_SIZE))
if page_no > pages:  # fewer matches than before (a new index): back to the last page
    st.session_state["search_page"] = pages
    st.rerun()
if pages > 1:
    st.number_input(_("Page (of {pages})").format(pages=ui.words().integer(pages)), min_value=1, max_value=pages,
                    step=1, key="search_page", width=180)
first = (page_no - 1) * PAGE_SIZE + 1
st.caption(_("Matches {first}–{last} of {total}, best first. Open one to hear the call from that moment.").format(
    first=ui.words().integer(first), last=ui.words().integer(first + len(results.hits) - 1),
    total=ui.words().integer(results.total)))

for hit in results.hits:
    text, marks = (hit.text, hit.spans) if show_raw else masking.redact_marked(hit.text, hit.spans,
                                                                               hit.language or "ru")
    with st.container(border=True, key=f"hit_{hit.call_id}_{hit.idx}"):
        link, said = st.columns([2.2, 7], vertical_alignment="center")
        with link:
            st.page_link("views/call.py", label=f"{ui.md(hit.file_name)} · {ui.clock(hit.start_s)}",
                         icon=":material/play_circle:",
                         query_params={"call_id": hit.call_id, "t": f"{hit.start_s:.1f}", "seg": str(hit.idx),
                                       "q": query})
            when = ui.when(hit.call_at) if hit.call_at else None
            st.caption(" · ".join(ui.md(v) for v in (hit.operator_id, hit.team, when) if v))
        said.markdown(f"{ui.speaker_badge(hit.role)} {ui.highlight(text, marks)}")
