"""A recording's identity is its content: the same bytes are the same call, wherever they lie."""

from __future__ import annotations

from models.weights import file_sha256 as content_sha256

__all__ = ["call_id_from_sha256", "content_sha256"]


def call_id_from_sha256(sha256: str) -> str:
    # 80 bits: short enough for URLs, and collisions are out of reach for any call center's archive.
    return sha256[:20]
