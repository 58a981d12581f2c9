"""The query parameters of the app's links (``?call_id=...&t=...&seg=...&q=...``, ``?operator=...``), checked.

A link can be edited by anyone who has it, so every value is checked before use: a value that
is not what the page expects is ignored and the page says so (``problem``), instead of failing
with a traceback (``&t=nan`` once reached ``int()``) or drawing itself from the value.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Generic, TypeVar

from qa_app.i18n import _, words
from qa_app.mdtext import md

T = TypeVar("T")
MAX_TEXT = 200  # the longest id or search query a link may carry (the search box's own limit)
_INDEX = re.compile(r"[0-9]{1,7}")


@dataclass(frozen=True)
class Param(Generic[T]):
    """A checked parameter: ``value`` when usable (else None) and, when it was given but ignored, why."""

    value: T | None
    problem: str | None = None


def _ignored(name: str, raw: str, why: str) -> str:
    """The note for a value left unused; ``why`` is already in the reader's words."""
    shown = raw if len(raw) <= 40 else raw[:40] + "…"
    return _("The link's `{name}` ({value}) was ignored: {why}.").format(name=name, value=md(shown), why=why)


def text(name: str, raw: str | None, max_len: int = MAX_TEXT) -> Param[str]:
    """An id or a query: stripped; empty is "not given"; longer than ``max_len`` is ignored."""
    value = (raw or "").strip()
    if not value:
        return Param(None)
    if len(value) > max_len or any(ord(c) < 32 for c in value):
        why = _("not a value this page uses (at most {count} characters, one line)").format(count=max_len)
        return Param(None, _ignored(name, value, why))
    return Param(value)


def moment(name: str, raw: str | None, duration_s: float | None) -> Param[float]:
    """A time into the call in seconds: a finite number from 0 to the call's length."""
    if raw is None or not raw.strip():
        return Param(None)
    try:
        value = float(raw.strip())
    except ValueError:
        return Param(None, _ignored(name, raw, _("not a number of seconds")))
    end = duration_s if duration_s is not None and math.isfinite(duration_s) else None
    if not math.isfinite(value) or value < 0 or (end is not None and value > end):
        why = (_("a time in this call is 0 to {end} seconds").format(end=words().number(end, 1)) if end is not None
               else _("a time in this call is 0 seconds or more"))
        return Param(None, _ignored(name, raw, why))
    return Param(value)


def index(name: str, raw: str | None) -> Param[int]:
    """A non-negative whole number written in ASCII digits (``"²".isdigit()`` is True, ``int("²")`` fails)."""
    if raw is None or not raw.strip():
        return Param(None)
    if not _INDEX.fullmatch(raw.strip()):
        return Param(None, _ignored(name, raw, _("not an utterance number")))
    return Param(int(raw.strip()))
