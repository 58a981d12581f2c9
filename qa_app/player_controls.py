"""The call page's player controls: speech/silence bars per speaker with the flagged moments marked,
the transcript line being played highlighted, keyboard shortcuts, and seeking by a click, all in the
browser without a rerun.

A small ``st.components.v2`` component (qa_app/assets/player_controls.{js,css}), mounted in the page's
own DOM (no iframe, no HTTP route of its own). It drives Streamlit's ``<audio>`` element in the sticky
container ``call_player`` (fed qa_app.player's ``data:`` URL, never ``/media``) and marks the transcript
lines drawn as containers keyed ``line_<idx>``. It receives times and labels only: the transcript's
text stays in the page, masked for non-admins as before.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal, Sequence

import streamlit as st

_ASSETS = Path(__file__).resolve().parent / "assets"
_HTML = '<div class="callqa-player"><div class="callqa-bars"></div><div class="callqa-keys"></div></div>'
_controls = st.components.v2.component(
    "callqa_player_controls",
    html=_HTML,
    css=(_ASSETS / "player_controls.css").read_text(encoding="utf-8"),
    js=(_ASSETS / "player_controls.js").read_text(encoding="utf-8"),
    isolate_styles=False,  # its CSS pins the player container and marks transcript lines of the page
)

# The parties' colours, as the transcript's badges show them (qa_app.ui.SPEAKER_COLORS).
LANE_COLORS = {"operator": "#1c83e1", "customer": "#803df5", "unknown": "#a3a8b8"}


@dataclass(frozen=True)
class Line:
    idx: int
    start: float
    end: float
    speaker: str
    title: str  # the tooltip on its bar: time and speaker in words


@dataclass(frozen=True)
class Lane:
    speaker: str
    label: str
    color: str


@dataclass(frozen=True)
class Mark:
    at: float
    end: float | None
    kind: Literal["flag", "pii"]
    label: str


def player_controls(*, key: str, duration: float, lines: Sequence[Line], lanes: Sequence[Lane],
                    marks: Sequence[Mark], start: float | None, marks_label: str, keys_help: str) -> None:
    """Draw the bars under the player and wire the shortcuts; ``start``: the moment a play button asked for."""
    data = {
        "duration": duration,
        "segments": [asdict(x) for x in lines],
        "lanes": [asdict(x) for x in lanes],
        "marks": [asdict(x) for x in marks],
        "start": start,
        "nonce": f"{key}:{start}",
        "labels": {"marks": marks_label, "keys": keys_help},
    }
    _controls(key=key, data=data)
