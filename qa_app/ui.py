"""Small drawing helpers shared by the pages: times, labels and colours."""

from __future__ import annotations

import functools

from pathlib import Path

from pipeline.privacy.pii import TAGS, redact_text
from qa_app.mdtext import md  # noqa: F401  (the pages escape outside text with ui.md)

RESULT_COLORS = {"pass": "green", "fail": "red", "unknown": "orange", "na": "gray"}
SPEAKER_COLORS = {"operator": "blue", "customer": "violet", "unknown": "gray"}
VERDICT_LABELS = {"pass": "pass", "fail": "fail", "na": "not applicable"}
FLAG_COLORS = {"critical_fail": "red", "forbidden_phrase": "red", "escalation": "red"}


def clock(seconds: float | None) -> str:
    """``83.4`` -> ``01:23``; ``3725`` -> ``1:02:05``."""
    if seconds is None:
        return "–"
    total = max(int(seconds), 0)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def label(identifier: str) -> str:
    """``no_forbidden_phrases`` -> ``No forbidden phrases``."""
    text = identifier.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def badge(text: str, color: str) -> str:
    """Markdown for a coloured badge around ``text`` (shown literally)."""
    return f":{color}-badge[{md(text)}]"


def result_badge(result: str) -> str:
    return badge(result, RESULT_COLORS.get(result, "gray"))


def flag_badges(flags: tuple[str, ...] | list[str]) -> str:
    if not flags:
        return badge("no flags", "green")
    return " ".join(badge(label(f), FLAG_COLORS.get(f, "orange")) for f in flags)


def quote(text: str) -> str:
    """A transcript quote, safe to put into markdown (shown literally: ``mdtext.md``)."""
    return md(text)


def highlight(text: str, marks: tuple[tuple[int, int], ...] | list[tuple[int, int]] = ()) -> str:
    """A transcript quote for markdown with ``marks`` ([start, end) character ranges, sorted) highlighted."""
    out, pos = [], 0
    for start, end in marks:
        marked = quote(text[start:end])
        out += [quote(text[pos:start]), f":orange-background[{marked}]"]
        pos = end
    out.append(quote(text[pos:]))
    return "".join(out)


@functools.lru_cache(maxsize=1)
def _centre_names() -> dict[str, tuple[str, ...]]:
    """The configured scorecard's brands: masking on display keeps them as the analysis did."""
    from usecases.settings import load_settings
    from usecases.runtime import scorecard_for

    try:
        return dict(scorecard_for(load_settings()).brands)
    except Exception:  # a broken scorecard file must not stop the pages; names are then masked
        return {}


def masked(text: str, language: str | None) -> str:
    """``text`` as non-admins see it: personal data masked again on display, in case it was
    stored unmasked (``redact_pii = false`` for a while); the centre's own names kept."""
    language = language or "ru"
    return redact_text(text, language, keep=_centre_names().get(language, ()))[0]


def redact_marked(text: str, marks: tuple[tuple[int, int], ...], language: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    """``text`` with personal data masked (as the call page shows it to non-admins) and ``marks`` moved
    to match; a mark that overlaps masked data is dropped, so nothing masked is ever highlighted."""
    redacted, found = redact_text(text, language, keep=_centre_names().get(language, ()))
    moved = []
    for start, end in marks:
        if any(start < e and s < end for _, s, e in found):
            continue
        # Each masked span before the mark is replaced by its tag: the mark moves by the difference.
        shift = sum(len(TAGS[kind]) - (e - s) for kind, s, e in found if e <= start)
        moved.append((start + shift, end + shift))
    return redacted, tuple(moved)


def seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} s"


def number(value: float | None, digits: int) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def mtime(path: str) -> float:
    try:
        return Path(path).stat().st_mtime
    except OSError:
        return 0.0
