"""Personal data masked on display, for users who may not see it (non-admins): transcripts may have been
stored unmasked (``redact_pii = false`` for a while), so the pages and exports mask them again, with the
centre's own names (the configured scorecard's brands) kept as the analysis kept them."""

from __future__ import annotations

import functools

from pipeline.privacy.pii import TAGS, redact_text


@functools.lru_cache(maxsize=1)
def _centre_names() -> dict[str, tuple[str, ...]]:
    """The configured scorecard's brands: masking on display keeps them as the analysis did."""
    from usecases.runtime import scorecard_for
    from usecases.settings import load_settings

    try:
        return dict(scorecard_for(load_settings()).brands)
    except Exception:  # a broken scorecard file must not stop the pages; names are then masked
        return {}


def masked(text: str, language: str | None) -> str:
    """``text`` as non-admins see it: personal data masked again on display, in case it was
    stored unmasked (``redact_pii = false`` for a while); the centre's own names kept."""
    language = language or "ru"
    return redact_text(text, language, keep=_centre_names().get(language, ()))[0]


def redact_marked(text: str, marks: tuple[tuple[int, int], ...],
                  language: str) -> tuple[str, tuple[tuple[int, int], ...]]:
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
