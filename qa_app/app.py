"""The QA review app's entrypoint: login, navigation, and the database check.

`callqa app` runs it with CALLQA_DB set to the database; the pages only draw,
reading and writing through ``qa_app.data``. Nothing but the login page is drawn
until ``auth.gate`` lets a user in.

Nothing the app shows or exports goes through Streamlit's ``/media`` endpoint, which serves
files to any HTTP client that has the URL, logged in or not: the recording reaches the player
as a ``data:`` URL (``qa_app.player``) and exports as bytes in a download component
(``qa_app.downloads``), both inside the logged-in session's own websocket messages.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run` puts this folder, not the project, on sys.path.
_PROJECT = str(Path(__file__).resolve().parent.parent)
if _PROJECT not in sys.path:
    sys.path.insert(0, _PROJECT)

from qa_app import auth, data  # noqa: E402 - after the sys.path line above
from qa_app.i18n import _, language_switch, words  # noqa: E402
from usecases import users  # noqa: E402

# The favicon is an emoji, which Streamlit draws as an inline SVG: a ":material/..." icon would make every
# browser fetch it from a public font service, a request leaving the site's network on every page.
st.set_page_config(page_title=_("callqa · QA review"), page_icon="🎧", layout="wide")

user = auth.gate(sidebar=False, banner=False)  # the login page, in the site's language, until someone is in
try:
    language_switch(str(data.database_path()), user.name)
except data.DatabaseUnavailable:  # no database yet: the site's language; the message below says why
    language_switch("", None)
auth.show_banner(user)  # in the user's own language from here on
auth.show_sidebar(user)

if users.is_staff(user):
    pages = {
        _("Review"): [
            st.Page("views/queue.py", title=_("Review queue"), icon=":material/inbox:", default=True),
            st.Page("views/call.py", title=_("Call review"), icon=":material/call:", url_path="call"),
            st.Page("views/search.py", title=_("Transcript search"), icon=":material/search:", url_path="search"),
            st.Page("views/calibration.py", title=_("Calibration"), icon=":material/balance:", url_path="calibration"),
            st.Page("views/accuracy.py", title=_("Accuracy sheet"), icon=":material/verified:", url_path="accuracy"),
            st.Page("views/calibration_sessions.py", title=_("Calibration sessions"), icon=":material/groups:",
                    url_path="calibration-sessions"),
            st.Page("views/calibration_scoring.py", title=_("Blind scoring"), icon=":material/rate_review:",
                    url_path="blind-scoring"),
        ],
        _("Coaching"): [
            st.Page("views/operator.py", title=_("Operator dashboard"), icon=":material/person:", url_path="operator"),
            st.Page("views/training.py", title=_("Training needs"), icon=":material/school:", url_path="training"),
        ],
        _("Insights"): [
            st.Page("views/reasons.py", title=_("Call reasons"), icon=":material/insights:", url_path="reasons"),
            st.Page("views/satisfaction.py", title=_("Satisfaction"), icon=":material/sentiment_satisfied:",
                    url_path="satisfaction"),
            st.Page("views/reports.py", title=_("Reports"), icon=":material/summarize:", url_path="reports"),
            st.Page("views/comparison.py", title=_("Sites & vendors"), icon=":material/compare_arrows:",
                    url_path="comparison"),
        ],
        _("Operations"): [
            st.Page("views/runs.py", title=_("Runs"), icon=":material/schedule:", url_path="runs"),
        ],
    }
    if users.can_resolve_disputes(user):
        pages[_("Review")].append(st.Page("views/disputes.py", title=_("Disputes"), icon=":material/gavel:",
                                          url_path="disputes"))
else:  # an operator: their own evaluations and nothing else (every other page refuses them too)
    pages = {
        _("My work"): [
            st.Page("views/my_calls.py", title=_("My evaluations"), icon=":material/fact_check:", default=True,
                    url_path="my"),
        ],
    }
# Every page listed: collapsed, Streamlit hides the last ones (Runs) behind "View more".
page = st.navigation(pages, expanded=True)
auth.return_to({p.url_path: p for section in pages.values() for p in section})  # a deep link the login interrupted

try:
    if users.is_staff(user):  # an operator needs no server paths
        st.sidebar.caption(_("Database: `{path}`").format(path=data.database_path()))
    data.follow_database(str(data.database_path()))  # an erasure since the last rerun: nothing cached survives it
    page.run()
except data.DatabaseUnavailable as err:
    st.error(err.in_words(words()), icon=":material/database:")
