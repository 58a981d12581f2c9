"""A reviewer's saved queue views: name the queue's filters, open them later, delete them.

A view is the queue's link parameters (``qa_app.queue_params`` writes and checks them), kept as
they are: opening a view goes through the same checks as opening a link.
"""

from __future__ import annotations

from storage import saved_views
from storage.saved_views import Params, SavedView
from usecases.shared_database import DatabaseBusy, connection

__all__ = ["MAX_NAME", "SavedView", "delete", "save", "views"]

MAX_NAME = 60


def views(db: str, user_name: str) -> list[SavedView]:
    """``user_name``'s saved views, by name."""
    with connection(db, read_only=True) as con:
        return saved_views.read(con, user_name)


def clean_name(name: str) -> str:
    """The view's name as stored: one line, spaces trimmed; ValueError when empty or too long."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ValueError("a view needs a name")
    if len(cleaned) > MAX_NAME:
        raise ValueError(f"a view's name is at most {MAX_NAME} characters")
    return cleaned


def save(db: str, user_name: str, name: str, params: Params) -> bool:
    """Saves ``params`` as ``user_name``'s view ``name`` (replacing one of that name); False when the
    nightly run holds the database (nothing saved: the reviewer tries again). ValueError for a bad name."""
    cleaned = clean_name(name)
    try:
        with connection(db, read_only=False) as con:
            saved_views.write(con, user_name, cleaned, params)
    except DatabaseBusy:
        return False
    return True


def delete(db: str, user_name: str, name: str) -> bool | None:
    """Deletes ``user_name``'s view ``name``: True, False when there was none, None when the database is busy."""
    try:
        with connection(db, read_only=False) as con:
            return saved_views.delete(con, user_name, name)
    except DatabaseBusy:
        return None
