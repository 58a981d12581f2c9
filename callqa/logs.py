"""How the command line logs: plain lines, or one JSON object per line (``log_format = "json"``,
``CALLQA_LOG_FORMAT=json``) for a log collector (journald, Loki, Elasticsearch): ``time`` (UTC, ISO 8601),
``level``, ``logger``, ``message``, and ``run_id`` / ``call_id`` when the line is about a run or a call
(usecases/log_context.py), Prefect's ``flow_run_id`` / ``task_run_id`` when it comes from a flow, and
``exception`` with the traceback when there is one.

Recordings' file names reach the logs (the analysis and the loader name the file they warn about), and
recorders often put the caller's number in the name (FreePBX: ``in-200-79161234567-20240101-101010-...``).
So both formats replace runs of 10-20 digits standing alone (phone, card and account numbers) with
``[NUMBER]``; a call id (hex) or an Asterisk unique id (``1704103810.123``) is left as it is.
"""

from __future__ import annotations

import json
import logging
import os
import re
from datetime import datetime, timezone
from pathlib import Path

from usecases.log_context import ContextFilter

__all__ = ["CliLogHandler", "JsonFormatter", "TEXT_FORMAT", "TextFormatter", "configure_logging", "log_format",
           "redact"]

TEXT_FORMAT = "%(levelname)s %(name)s: %(message)s"
# 10-20 digits not inside a word or a hex id, and not the integer part of a decimal (an Asterisk unique id).
_LONG_NUMBER = re.compile(r"(?<![0-9A-Za-z.])\+?\d{10,20}(?![0-9A-Za-z]|\.\d)")
# A number written the way people write phones: +7 (916) 123-45-67, 8-916-123-45-67.
_WRITTEN_PHONE = re.compile(r"(?<![\dA-Za-z])\+?[78][\s\-]?\(?\d{3}\)?[\s\-]?\d{3}[\s\-]?\d{2}[\s\-]?\d{2}"
                            r"(?![\dA-Za-z])")
# A card written in groups: 4276 3800 1234 5679.
_WRITTEN_CARD = re.compile(r"(?<![\dA-Za-z])\d{4}(?:[ \-]\d{4}){3,4}(?![\dA-Za-z])")
_EXTRA = ("run_id", "call_id", "flow_run_id", "task_run_id")


def redact(text: str) -> str:
    """``text`` with phone-, card- and account-like numbers replaced by ``[NUMBER]``."""
    for pattern in (_WRITTEN_CARD, _WRITTEN_PHONE, _LONG_NUMBER):
        text = pattern.sub("[NUMBER]", text)
    return text


class TextFormatter(logging.Formatter):
    """The plain lines, numbers redacted."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (newlines in a message or a traceback are escaped)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for name in _EXTRA:
            value = getattr(record, name, None)
            if value:
                entry[name] = str(value)
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exception"] = redact(record.exc_text)
        return json.dumps(entry, ensure_ascii=False)


def log_format() -> str:
    """The configured ``log_format``: read from the settings only when something sets it (the environment or a
    config file), so that commands without settings start fast; "text" when the settings cannot be read (the
    command itself then says why)."""
    explicit = os.environ.get("CALLQA_CONFIG") or Path("callqa.toml").is_file() or os.environ.get("CALLQA_LOG_FORMAT")
    if not explicit:
        return "text"
    try:
        from usecases.settings import load_settings

        return load_settings().operations.log_format
    except Exception:  # noqa: BLE001 - a bad setting is reported by the command that reads the settings
        return "text"


class CliLogHandler(logging.StreamHandler):
    """The command line's own handler (so a second configuration replaces it instead of adding another). Its
    name must not start with "_": Prefect keeps a root handler it counts as the user's (prefect.logging)."""


def configure_logging(verbose: bool, fmt: str) -> None:
    """Log to stderr in ``fmt`` ("text" or "json") at INFO when ``verbose``, else WARNING (Prefect's flow and
    task loggers keep their own INFO level and reach this handler too). Text lines are set up only when nothing
    else handles the root logger yet (as ``logging.basicConfig`` did); JSON lines always."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, CliLogHandler)]:
        root.removeHandler(old)
    if fmt != "json" and root.handlers:
        return
    handler = CliLogHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter(TEXT_FORMAT))
    handler.addFilter(ContextFilter())
    root.addHandler(handler)
    root.setLevel(logging.INFO if verbose else logging.WARNING)
