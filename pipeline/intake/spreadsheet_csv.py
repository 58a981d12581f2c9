"""What every CSV a call centre hands us shares (survey scores, call detail records): Russian spreadsheets'
encoding and column separator, and a bad line reported by its number while the good lines are kept."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["LineProblem", "delimiter", "read_text"]


@dataclass(frozen=True)
class LineProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


def delimiter(first_line: str) -> str:
    """``;`` when the header has more of those: spreadsheets set to Russian write it between columns (the comma is
    their decimal mark); else ``,``."""
    return ";" if first_line.count(";") > first_line.count(",") else ","


def read_text(path: str | Path) -> str:
    """The file's text: UTF-8 (a byte-order mark dropped), else Windows-1251, as Russian Excel often saves "CSV"."""
    raw = Path(path).read_bytes()
    try:
        return raw.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError:
        return raw.decode("cp1251")
