"""The QA review app's entrypoint: navigation, the reviewer's name, and the database check.

`callqa app` runs it with CALLQA_DB set to the database; the pages only draw,
reading and writing through ``qa_app.data``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run` puts this folder, not the project, on sys.path.
_PROJECT = str(Path(__file__).resolve().parent.parent)
if _PROJECT not in sys.path:
    sys.path.insert(0, _PROJECT)

from qa_app import data  # noqa: E402

st.set_page_config(page_title="callqa · QA review", page_icon=":material/headset_mic:", layout="wide")

page = st.navigation(
    [
        st.Page("pages/queue.py", title="Review queue", icon=":material/inbox:", default=True),
        st.Page("pages/call.py", title="Call", icon=":material/call:", url_path="call"),
    ]
)

# The name lives under a plain key (kept across pages); the widget only edits it.
st.session_state.setdefault("reviewer", data.DEFAULT_REVIEWER)


def _set_reviewer() -> None:
    st.session_state["reviewer"] = st.session_state["reviewer_input"].strip() or data.DEFAULT_REVIEWER


st.sidebar.text_input(
    "Reviewer",
    value=st.session_state["reviewer"],
    key="reviewer_input",
    on_change=_set_reviewer,
    help="Your name, stored with every verdict you save.",
)

try:
    st.sidebar.caption(f"Database: `{data.database_path()}`")
    page.run()
except data.DatabaseUnavailable as err:
    st.error(str(err), icon=":material/database:")
