"""From a recording's path to the flow's ``SourceFile``: content identity plus the recorder's
metadata (``pipeline.intake.call_meta``), with the customer's number hashed before anything is kept."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from pipeline.intake.call_meta import CallMeta, CallMetaError, manifest_rows, read_call_meta
from pipeline.intake.customer_id import customer_hash, load_key
from pipeline.intake.inbox import InboxPath
from storage.calls import SourceFile
from usecases.settings import Settings

_HASH = re.compile(r"^[0-9a-f]{32}$")  # pipeline.intake.customer_id.customer_hash's form


class SourceReader:
    """Reads each folder's manifests once per run and the hashing key once."""

    def __init__(self, settings: Settings, logger: logging.Logger | logging.LoggerAdapter):
        self.settings = settings
        self.logger = logger
        self._manifests: dict[InboxPath, dict[str, dict[str, str]]] = {}
        self._metas: dict[InboxPath, CallMeta] = {}
        self._key: bytes | None = None

    def call_time(self, path: InboxPath):
        """When the call took place (metadata, else the file's modification time)."""
        return self._meta(path).started_at

    def source(self, path: InboxPath, call_id: str, sha256: str, size: int) -> SourceFile:
        meta = self._meta(path)
        hashed = meta.customer_hash if meta.customer_hash and _HASH.match(meta.customer_hash) else None
        if hashed is None and meta.customer_number:
            try:
                if self._key is None:
                    self._key = load_key(Path(self.settings.storage.db).parent)
                hashed = customer_hash(meta.customer_number, self._key)
            except ValueError as err:
                self.logger.warning("%s: %s", path.name, err)
        return SourceFile(str(path), sha256, call_id, size, meta.operator, meta.team, meta.queue, meta.started_at,
                          meta.direction, hashed, meta.site, meta.vendor, meta.external_id, meta.operator_channel)

    def _meta(self, path: InboxPath) -> CallMeta:
        if path not in self._metas:
            self._metas[path] = self._read_meta(path)
        return self._metas[path]

    def _read_meta(self, path: InboxPath) -> CallMeta:
        # A broken manifest or sidecar is logged and skipped: the call is still analysed,
        # and who handled it stays unknown.
        if path.parent not in self._manifests:
            try:
                self._manifests[path.parent] = manifest_rows(path.parent)
            except CallMetaError as err:
                self.logger.warning("%s", err)
                self._manifests[path.parent] = {}
        try:
            return read_call_meta(path, self.settings.intake.filename_pattern or None, self._manifests[path.parent],
                                  self.settings.intake.recorder_preset)
        except CallMetaError as err:
            self.logger.warning("%s", err)
            return CallMeta()
