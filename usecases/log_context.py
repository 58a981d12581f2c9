"""Which run and which call a log line is about, without passing them to every logger: the flow and the
analysis set them around their work (``with log_context(run_id=...)``), and the command line's log handler
(callqa/logs.py) copies them onto each record it writes (the JSON lines' ``run_id`` and ``call_id``)."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

__all__ = ["ContextFilter", "log_context"]

_RUN_ID: ContextVar[str | None] = ContextVar("callqa_run_id", default=None)
_CALL_ID: ContextVar[str | None] = ContextVar("callqa_call_id", default=None)


@contextmanager
def log_context(run_id: str | None = None, call_id: str | None = None) -> Iterator[None]:
    """Within this block (and the threads Prefect starts from it), log records carry these ids."""
    tokens = [(var, var.set(value)) for var, value in ((_RUN_ID, run_id), (_CALL_ID, call_id)) if value]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


class ContextFilter(logging.Filter):
    """Puts the current run id and call id on each record (``record.run_id``, ``record.call_id``), unless the
    record already has them (``extra=``); lets every record through."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, var in (("run_id", _RUN_ID), ("call_id", _CALL_ID)):
            if getattr(record, name, None) is None:
                setattr(record, name, var.get())
        return True
