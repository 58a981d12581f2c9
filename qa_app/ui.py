"""Small drawing helpers shared by the pages: times, labels and colours, in the reader's language."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import streamlit as st

from qa_app.i18n import _, words  # noqa: F401  (words: the pages reach it as ui.words)
from qa_app.mdtext import md  # noqa: F401  (the pages escape outside text with ui.md)

# Red is bad, green is good, as a QA reader reads them.
RESULT_COLORS = {"pass": "green", "fail": "red", "unknown": "orange", "na": "gray"}
SPEAKER_COLORS = {"operator": "blue", "customer": "violet", "unknown": "gray"}
FLAG_COLORS = {"critical_fail": "red", "forbidden_phrase": "red", "escalation": "red"}


def clock(seconds: float | None) -> str:
    """``83.4`` -> ``01:23``; ``3725`` -> ``1:02:05``."""
    if seconds is None or seconds != seconds:
        return "–"
    total = max(int(seconds), 0)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


@st.cache_resource(ttl=300, show_spinner=False)
def _criterion_titles() -> dict[str, str]:
    """Criterion id -> its bilingual title ("Приветствие / Greeting"), from the site's scorecards."""
    from pipeline.judging.scorecard import load_scorecard
    from usecases.settings import load_settings

    judging = load_settings().judging
    folder = judging.scorecards_dir or Path(__file__).resolve().parent.parent / "scorecards"
    titles: dict[str, str] = {}
    for path in sorted(Path(folder).glob("*.yaml")):
        try:
            card = load_scorecard(path.stem, folder)
        except Exception:  # a broken scorecard file: its ids stay readable below, the page still draws
            continue
        titles.update({c.id: c.title for c in card.criteria if c.title and c.title != c.id})
    return titles


def criterion(criterion_id: str) -> str:
    """A criterion's title in the reader's language (``no_forbidden_phrases`` -> «Без запрещённых фраз»)."""
    title = _criterion_titles().get(criterion_id)
    return words().title(title) if title else label(criterion_id)


def label(identifier: str) -> str:
    """An id nobody gave words to, made readable: ``long_queue_wait`` -> ``Long queue wait``."""
    text = identifier.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def verdict(result: str | None) -> str:
    return words().verdict(result)


def flag(name: str) -> str:
    return words().flag(name)


def speaker(role: str) -> str:
    return words().of("speaker", role)


def badge(text: str, color: str) -> str:
    """Markdown for a coloured badge around ``text`` (shown literally)."""
    return f":{color}-badge[{md(text)}]"


def result_badge(result: str) -> str:
    return badge(verdict(result), RESULT_COLORS.get(result, "gray"))


def speaker_badge(role: str) -> str:
    return badge(speaker(role), SPEAKER_COLORS.get(role, "gray"))


def flag_badges(flags: tuple[str, ...] | list[str]) -> str:
    if not flags:
        return badge(_("no flags"), "green")
    return " ".join(badge(flag(f), FLAG_COLORS.get(f, "orange")) for f in flags)


def quote(text: str) -> str:
    """A transcript quote, safe to put into markdown (shown literally: ``mdtext.md``)."""
    return md(text)



def said(text: str | None) -> str:
    """A person's comment, quoted as ``quote`` does; the retention policy deletes it with the transcript."""
    return _("deleted with the transcript") if text is None else quote(text)

def highlight(text: str, marks: tuple[tuple[int, int], ...] | list[tuple[int, int]] = ()) -> str:
    """A transcript quote for markdown with ``marks`` ([start, end) character ranges, sorted) highlighted."""
    out, pos = [], 0
    for start, end in marks:
        marked = quote(text[start:end])
        out += [quote(text[pos:start]), f":orange-background[{marked}]"]
        pos = end
    out.append(quote(text[pos:]))
    return "".join(out)


def seconds(value: float | None) -> str:
    """``12.34`` -> ``12,3 с`` / ``12.3 s``."""
    return "–" if value is None or value != value else _("{value} s").format(value=words().number(value, 1))


def number(value: float | None, digits: int) -> str:
    return words().number(value, digits)


def percent(share: float | None, digits: int = 0) -> str:
    return words().percent(share, digits)


def when(moment: datetime | None) -> str:
    """A stored (UTC) time in the site's zone and the reader's format, to the minute."""
    return words().when(moment)


def day(value: date | datetime | None) -> str:
    return words().day(value)


def mtime(path: str) -> float:
    try:
        return Path(path).stat().st_mtime
    except OSError:
        return 0.0
