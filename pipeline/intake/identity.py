"""A recording's identity is its content: the same bytes are the same call, wherever they lie."""

from __future__ import annotations

import hashlib
import os
from typing import Any

__all__ = ["call_id_from_sha256", "content_sha256"]


def content_sha256(path: str | os.PathLike | Any) -> str:
    """sha256 of a file: a local path, or anything with ``open("rb")`` (an fsspec UPath)."""
    opener = open(path, "rb") if isinstance(path, (str, os.PathLike)) else path.open("rb")
    with opener as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def call_id_from_sha256(sha256: str) -> str:
    # 80 bits: short enough for URLs, and collisions are out of reach for any call center's archive.
    return sha256[:20]
