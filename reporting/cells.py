"""Spreadsheet cells that open as text, never as formulas (CSV / formula injection).

Operator ids come from sidecar files and comments from reviewers: a value such as
``=HYPERLINK("http://evil/","x")`` in an export would become a live formula in Excel or
LibreOffice. Every CSV and Excel writer of the product passes its text through here.
The rule is OWASP's: a text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is neutralised. Numbers are never touched (a negative number stays a number).
"""

from __future__ import annotations

# Spreadsheets start a formula at these; the full-width forms are included because some
# spreadsheet locales fold them to their ASCII twins when a cell is edited.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def formula_like(value: object) -> bool:
    """True for a text a spreadsheet could take for a formula (numbers and other types: False)."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_cell(value):
    """``value`` as a CSV cell: a formula-like text gets a leading single quote, anything else is unchanged."""
    return "'" + value if formula_like(value) else value
