"""What the ``callqa`` commands share: exit codes, settings from the flags, the database guard, dates, JSON
output, the input-file guard, the audit name and the run's progress bar.

Imports stay lazy (inside functions) so that ``callqa --help`` and the light commands start fast."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tqdm import tqdm

    from flows.progress import Progress
    from usecases.settings import Settings

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2
EXIT_BUSY = 75  # sysexits' EX_TEMPFAIL: a scheduler may simply try again later

# What a missing database is told: most commands read or change the database that `callqa run` creates.
NOT_CREATED_YET = " yet (run `callqa run` first)"


def load_settings(**overrides: Any) -> Settings:
    """The settings (defaults < config file < environment) with the command's flags as ``overrides``; imported
    here, on use, because the pipeline it brings takes a second to import."""
    from usecases.settings import load_settings as load

    return load(**overrides)


def existing_database(settings: Settings, missing: str = NOT_CREATED_YET) -> Path | None:
    """The configured database when it exists; else None, once ``callqa: error: database X does not exist``
    and ``missing`` are said on stderr (the caller then exits with EXIT_BAD_INPUT)."""
    if Path(settings.storage.db).exists():
        return Path(settings.storage.db)
    print(f"callqa: error: database {settings.storage.db} does not exist{missing}", file=sys.stderr)
    return None


def existing_file(value: str) -> Path | None:
    """The input file a command was given when it is a file; else None, once ``callqa: error: X: no such
    file`` is said on stderr (the caller then exits with EXIT_BAD_INPUT)."""
    path = Path(value)
    if path.is_file():
        return path
    print(f"callqa: error: {path}: no such file", file=sys.stderr)
    return None


def day(value: str | None) -> datetime | None:
    """A --since/--until flag (YYYY-MM-DD, or an ISO time) as a datetime; None when not given."""
    return datetime.fromisoformat(value) if value else None


def print_json(data: Any, indent: int | None = None, ensure_ascii: bool = False) -> None:
    """One JSON document on stdout; names and texts stay readable (not \\u-escaped) unless ``ensure_ascii``."""
    print(json.dumps(data, ensure_ascii=ensure_ascii, indent=indent))


def who(by: str | None) -> str:
    """Who applies a change, for the audit log: --by, else this machine's user name."""
    import getpass

    if by:
        return by
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment
        return "unknown"


class ProgressBar:
    """Calls done of the run's new recordings, audio hours so far, and an ETA (from bytes, since
    calls differ in length) on stderr."""

    def __init__(self) -> None:
        self._bar: tqdm | None = None
        self._started = 0.0

    def update(self, p: Progress) -> None:
        import time

        from tqdm import tqdm

        bar = self._bar
        if bar is None:
            bar = self._bar = tqdm(total=p.total_calls, unit="call", file=sys.stderr, dynamic_ncols=True,
                                   bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} calls [{elapsed}{postfix}]")
            self._started = time.monotonic()
        bar.n = p.done_calls
        eta = "?"
        if p.done_bytes and p.total_bytes:
            spent = time.monotonic() - self._started
            left = spent * (p.total_bytes - p.done_bytes) / p.done_bytes
            eta = f"{int(left // 60)}:{int(left % 60):02d}"
        bar.set_postfix_str(f"audio {p.audio_s / 3600:.2f} h, ETA {eta}", refresh=False)
        bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
