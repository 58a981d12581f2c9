"""The call's recording for the browser's player, sent only inside the logged-in session.

The recording goes as a ``data:`` URL inside the script run's websocket message, never from
Streamlit's unguarded ``/media`` endpoint, muted where non-admins must not hear
(usecases.recording says why and how). This module only caches it per session server.
"""

from __future__ import annotations

import streamlit as st

from usecases.recording import muted_recording_url


@st.cache_data(max_entries=16, show_spinner=False)
def recording_url(source_path: str, muted: tuple[tuple[float, float], ...], mtime: float) -> str:
    """The recording at ``source_path`` as a ``data:`` URL for ``st.audio``, the ``muted`` spans
    (seconds) silenced; ``mtime`` keys the cache so a replaced file is read again."""
    return muted_recording_url(source_path, muted)
