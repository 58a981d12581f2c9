"""The app's words in the reader's language: ``_("Review queue")``, ``plural(...)``, ``words().when(t)``.

The language is the user's own choice (the sidebar switch, kept in the database), else the site's
(``ui_language``); times are shown in the site's zone (``ui_time_zone``). The catalogue and the
formatting are ``reporting.i18n``; this module only knows where this session's choice lives.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from reporting.i18n import LOCALES, N_, Words

if TYPE_CHECKING:
    from usecases.settings import InterfaceSettings  # imported when needed: it brings the analysis pipeline

__all__ = ["N_", "_", "language_switch", "plural", "site", "words"]

_LANGUAGE = "callqa_language"  # this session's language, once known
_NAMES = {"ru": "Русский", "en": "English"}


@st.cache_resource(ttl=60, show_spinner=False)
def site() -> InterfaceSettings:
    """The site's interface settings (language, time zone) from the config file and environment."""
    from usecases.settings import load_settings

    return load_settings().interface


def words() -> Words:
    return site().words(st.session_state.get(_LANGUAGE))


def _(message: str) -> str:
    return words()(message)


def plural(singular: str, plural_: str, count: int) -> str:
    return words().plural(singular, plural_, count)


def language_switch(db: str, user_name: str | None) -> None:
    """Sets this session's language (the user's saved choice, else the site's) and draws the switch in the sidebar."""
    from usecases import preferences
    from usecases.shared_database import DatabaseUnavailable

    if _LANGUAGE not in st.session_state:
        saved = None
        if user_name and db:
            try:
                saved = preferences.language(db, user_name)
            except DatabaseUnavailable:  # an old database, or the flow holds it: the site's language for now
                saved = None
        st.session_state[_LANGUAGE] = saved or site().language

    def _chosen() -> None:
        st.session_state[_LANGUAGE] = st.session_state["language_switch"]
        if user_name and db:
            try:
                preferences.set_language(db, user_name, st.session_state[_LANGUAGE])
            except DatabaseUnavailable:
                pass  # kept for this session; the next switch stores it

    current = st.session_state[_LANGUAGE]
    st.sidebar.selectbox("Язык · Language", LOCALES, index=LOCALES.index(current) if current in LOCALES else 0,
                         format_func=_NAMES.__getitem__, key="language_switch", on_change=_chosen)
