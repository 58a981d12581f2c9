"""The per-token rate limit: a token bucket per token in this server process."""

from __future__ import annotations

import math
import threading
import time
from typing import Callable


class RateLimiter:
    """Each key may spend ``per_minute`` requests at once (the bucket's size) and earns them back at
    ``per_minute / 60`` a second. ``take`` answers 0 when the request may go, else the seconds to wait."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic):
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, key: str) -> int:
        with self._lock:
            now = self.clock()
            tokens, at = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / self.rate))
