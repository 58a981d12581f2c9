"""A user's interface language (and other own choices), kept in the database so every session finds it."""

from __future__ import annotations

from storage import preferences
from usecases.shared_database import DatabaseBusy, connection

__all__ = ["LANGUAGE", "language", "set_language"]

LANGUAGE = "language"
LANGUAGES = ("ru", "en")


def language(db: str, user_name: str) -> str | None:
    """The language ``user_name`` chose (``ru``/``en``), or None: the site's default applies."""
    with connection(db, read_only=True) as con:
        chosen = preferences.read(con, user_name).get(LANGUAGE)
    return chosen if chosen in LANGUAGES else None


def set_language(db: str, user_name: str, chosen: str) -> bool:
    """Keeps ``chosen`` as ``user_name``'s language; False when the nightly run holds the database (the
    session keeps the choice, and the next switch stores it). ValueError for a language the app has not."""
    if chosen not in LANGUAGES:
        raise ValueError(f"{chosen!r} is not an interface language ({', '.join(LANGUAGES)})")
    try:
        with connection(db, read_only=False) as con:
            preferences.write(con, user_name, LANGUAGE, chosen)
    except DatabaseBusy:
        return False
    return True
