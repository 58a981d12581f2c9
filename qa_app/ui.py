"""Small drawing helpers shared by the pages: times, labels and colours."""

from __future__ import annotations

from pathlib import Path

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


def seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} s"


def number(value: float | None, digits: int) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def mtime(path: str) -> float:
    try:
        return Path(path).stat().st_mtime
    except OSError:
        return 0.0
