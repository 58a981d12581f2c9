"""The message catalogue's upkeep: the strings marked in the code, and the Russian catalogue merged with them.

``make messages`` (scripts/messages.py) runs ``update``: strings new in the code appear in
``callqa.po`` untranslated, strings gone from it leave. ``untranslated`` is what a test asserts empty.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from reporting.i18n import DOMAIN, catalogue_path

__all__ = ["KEYWORDS", "SOURCES", "extract", "untranslated", "update"]

PROJECT = Path(__file__).resolve().parents[2]
# Where the words people read are written: the app, the reports, the use cases (CSV headers, messages) and
# the storage layer's errors and notes (marked ``N_``, worded by the page that shows them).
SOURCES = ("qa_app", "reporting", "usecases", "storage")
# ``_("...")`` (a function, or a ``Words`` bound to the name ``_``), ``N_("...")`` marked for later,
# ``plural("one", "many", n)`` and ``_.plural(...)``.
KEYWORDS = {"_": None, "N_": None, "plural": (1, 2)}


def extract(project: Path = PROJECT) -> Catalog:
    """Every marked string in ``SOURCES``, as a template catalogue."""
    template = Catalog(domain=DOMAIN, project="callqa", charset="utf-8")
    for source in SOURCES:
        root = project / source
        for filename, lineno, message, comments, context in extract_from_dir(
            str(root), method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=("TRANSLATORS:",),
        ):
            where = (f"{source}/{filename}", lineno)
            template.add(message, None, [where], auto_comments=comments, context=context)
    return template


def _read(locale: str) -> Catalog:
    path = catalogue_path(locale)
    if not path.exists():
        return Catalog(locale=locale, domain=DOMAIN, project="callqa", charset="utf-8")
    with path.open("rb") as po:
        return read_po(po, locale=locale, domain=DOMAIN)


def update(locale: str, project: Path = PROJECT) -> Catalog:
    """Merges the code's strings into ``locale``'s catalogue and writes it back, sorted, without stale entries."""
    catalog = _read(locale)
    catalog.update(extract(project), no_fuzzy_matching=True)
    path = catalogue_path(locale)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as po:
        write_po(po, catalog, width=120, sort_output=True, ignore_obsolete=True, include_lineno=False)
    return catalog


def untranslated(locale: str, project: Path = PROJECT) -> list[str]:
    """Strings marked in the code that ``locale``'s catalogue does not translate (missing, empty or fuzzy)."""
    catalog = _read(locale)
    missing = []
    for message in extract(project):
        if not message.id:  # the catalogue's header
            continue
        found = catalog.get(message.id, context=message.context)
        text = None if found is None else found.string
        done = found is not None and not found.fuzzy and (all(text) if isinstance(text, (tuple, list)) else bool(text))
        if not done:
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return sorted(missing)
