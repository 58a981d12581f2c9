"""The results store: one JSON file per analysed call, written by whichever worker analysed it.

Workers on several machines share a folder or an object-store prefix (any fsspec URL:
``/mnt/calls/results``, ``s3://bucket/callqa/results``) and never open DuckDB; a single loader
(``usecases.load``) reads the files, writes DuckDB (one writer) and removes them. A result that
reached the store survives the flow being killed: the next run loads it instead of analysing
the call again.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from fsspec.core import url_to_fs
from fsspec.implementations.local import LocalFileSystem

from pipeline.record_codec import decode, encode
from pipeline.records import CallAnalysis
from storage.calls import SourceFile

FORMAT = 1
Status = Literal["processed", "quarantined", "failed"]


@dataclass(frozen=True)
class ProcessingResult:
    """What became of one recording: its analysis, or why it was quarantined or failed."""

    source: SourceFile
    status: Status
    analysis: CallAnalysis | None = None
    reason: str | None = None
    analysis_s: float = 0.0  # wall time of the analysis itself (the stage time), retries included
    worker: str = ""  # host and process that analysed it


class UnreadableResult(ValueError):
    """A result file that is not a result (truncated, another format): set aside, the call is redone."""


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class ResultsStore:
    def __init__(self, location: str | os.PathLike):
        self.location = str(location)
        self.fs, self.root = url_to_fs(self.location)
        self.fs.makedirs(self.root, exist_ok=True)

    def _path(self, call_id: str, folder: str = "") -> str:
        base = f"{self.root}/{folder}" if folder else self.root
        return f"{base}/{call_id}.json"

    def put(self, outcome: ProcessingResult) -> None:
        payload = json.dumps({"format": FORMAT, "outcome": encode(outcome)}, ensure_ascii=False).encode("utf-8")
        target = self._path(outcome.source.call_id)
        if isinstance(self.fs, LocalFileSystem):
            # A local or mounted folder: write aside, then rename, so the loader never reads half a file.
            tmp = f"{self.root}/.{outcome.source.call_id}.{uuid.uuid4().hex}.tmp"
            self.fs.pipe_file(tmp, payload)
            os.replace(tmp, target)
        else:  # object stores make an object visible only once it is whole
            self.fs.pipe_file(target, payload)

    def has(self, call_id: str) -> bool:
        return self.fs.exists(self._path(call_id))

    def pending(self) -> list[str]:
        """Call ids with a result waiting to be loaded, oldest name first."""
        names = [Path(p).name for p in self.fs.ls(self.root, detail=False)]
        return sorted(n[: -len(".json")] for n in names if n.endswith(".json") and not n.startswith("."))

    def get(self, call_id: str) -> ProcessingResult:
        path = self._path(call_id)
        try:
            data = json.loads(self.fs.cat_file(path))
            outcome = data["outcome"] if data.get("format") == FORMAT else None
            if outcome is not None:
                return decode(ProcessingResult, outcome)
        except (ValueError, TypeError, KeyError, AttributeError) as err:
            raise UnreadableResult(f"{path}: {err}") from err
        raise UnreadableResult(f"{path}: result format {data.get('format')!r}, expected {FORMAT}")

    def remove(self, call_id: str) -> None:
        try:
            self.fs.rm_file(self._path(call_id))
        except FileNotFoundError:
            pass

    def set_aside(self, call_id: str) -> str:
        """Move an unreadable result to ``rejected/``, where it stays for inspection."""
        target = self._path(call_id, "rejected")
        self.fs.makedirs(f"{self.root}/rejected", exist_ok=True)
        self.fs.mv(self._path(call_id), target)
        return target
