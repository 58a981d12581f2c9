"""Reading a CSV of survey scores (CSAT) for ``callqa import-csat``.

Columns (header names are case-insensitive; others are ignored):

- the call: ``call_id`` (as the database has it), or ``file`` (the recording's file name, as
  in the CSV manifests ``pipeline.intake.call_meta`` reads; a path is reduced to its name);
- the score: ``csat`` or ``score``, an integer 1..5 ("4.0", as spreadsheets write it, is 4).

Columns are separated by commas, or by semicolons when the header has more of those.

Every line is checked; a bad line (no key, a score that is not an integer 1..5) is reported
with its line number and skipped, the good lines are kept. A call listed twice keeps its
later line, with a warning.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pipeline.intake.spreadsheet_csv import LineProblem, delimiter, read_text

KEY_COLUMNS = ("call_id", "file")
SCORE_COLUMNS = ("csat", "score")
KeyKind = Literal["call_id", "file"]


class CsatFileError(ValueError):
    """The file as a whole cannot be read (missing columns, not a CSV)."""


@dataclass(frozen=True)
class SurveyRow:
    line: int
    key: str
    score: int


@dataclass(frozen=True)
class CsatFile:
    key_kind: KeyKind
    rows: tuple[SurveyRow, ...]  # one per call key (the last line for a repeated key)
    errors: tuple[LineProblem, ...]  # lines skipped
    warnings: tuple[LineProblem, ...]  # lines kept, with something to know (a repeated call)


def parse_score(text: str) -> int:
    """An integer 1..5; raises ValueError with a message for people."""
    value = text.strip()
    if not value:
        raise ValueError("the score is empty")
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        raise ValueError(f"score {value!r} is not a number (expected an integer 1-5)") from None
    if number != int(number) or not 1 <= number <= 5:
        raise ValueError(f"score {value!r} is not an integer 1-5")
    return int(number)


def _column(header: dict[str, str], names: tuple[str, ...]) -> str | None:
    return next((header[n] for n in names if n in header), None)


def read_csat_text(text: str) -> CsatFile:
    text = text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    # Spreadsheets set to Russian write ";" between columns (the comma is their decimal mark).
    reader = csv.reader(io.StringIO(text), delimiter=delimiter(first))
    try:
        header_row = next(reader)
    except StopIteration:
        raise CsatFileError("the file is empty (expected a header with call_id or file, and csat or score)") from None
    except csv.Error as err:
        raise CsatFileError(f"not a readable CSV: {err}") from None
    header = {name.strip().lower(): name for name in header_row if name.strip()}
    positions = {name.strip().lower(): i for i, name in enumerate(header_row)}
    key_name = _column(header, KEY_COLUMNS)
    score_name = _column(header, SCORE_COLUMNS)
    if key_name is None or score_name is None:
        missing = [f"call column ({' or '.join(KEY_COLUMNS)})"] if key_name is None else []
        missing += [f"score column ({' or '.join(SCORE_COLUMNS)})"] if score_name is None else []
        raise CsatFileError(f"the header has no {' and no '.join(missing)}; it has: {', '.join(header_row)}")
    key_kind: KeyKind = "call_id" if key_name.strip().lower() == "call_id" else "file"
    key_at, score_at = positions[key_name.strip().lower()], positions[score_name.strip().lower()]
    rows: dict[str, SurveyRow] = {}
    errors, warnings = [], []
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue  # blank lines are no data
            key = cells[key_at].strip() if key_at < len(cells) else ""
            if key_kind == "file":
                key = Path(key.replace("\\", "/")).name
            if not key:
                errors.append(LineProblem(line, f"no {key_kind}"))
                continue
            try:
                score = parse_score(cells[score_at] if score_at < len(cells) else "")
            except ValueError as err:
                errors.append(LineProblem(line, f"{key}: {err}"))
                continue
            if key in rows:
                warnings.append(
                    LineProblem(line, f"{key} is listed again (first on line {rows[key].line}): this line wins")
                )
            rows[key] = SurveyRow(line, key, score)
    except csv.Error as err:
        raise CsatFileError(f"line {reader.line_num}: not readable CSV: {err}") from None
    return CsatFile(key_kind, tuple(rows.values()), tuple(errors), tuple(warnings))


def read_csat_file(path: str | Path) -> CsatFile:
    return read_csat_text(read_text(path))
