"""Progress of a running flow for whoever watches in the same process (the CLI's progress bar).

The flow publishes after discovery and after each stored batch; listeners must be quick and
must not raise (a failing listener is dropped, never the run).
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator


@dataclass(frozen=True)
class Progress:
    total_calls: int  # new recordings this run will analyse
    done_calls: int  # processed, quarantined or failed so far
    audio_s: float  # seconds of audio in the processed calls so far
    total_bytes: int = 0  # size of the new recordings (for a byte-based ETA)
    done_bytes: int = 0


Listener = Callable[[Progress], None]
_listeners: list[Listener] = []
_lock = threading.Lock()


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    with _lock:
        _listeners.append(listener)
    try:
        yield
    finally:
        with _lock:
            if listener in _listeners:
                _listeners.remove(listener)


def publish(progress: Progress) -> None:
    with _lock:
        current = list(_listeners)
    for listener in current:
        try:
            listener(progress)
        except Exception:  # a broken progress bar must not stop the night
            with _lock:
                if listener in _listeners:
                    _listeners.remove(listener)
