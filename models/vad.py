"""Voice activity detection: where in a channel somebody speaks.

Backend: silero-vad, whose model ships inside its wheel (run with onnxruntime,
no download). Used to skip silence before recognition, to tell a silent
channel from a live one, and to gate crosstalk between stereo channels.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from models.levels import block_db, loud_level_db
from models.sample_rate import SAMPLE_RATE


@dataclass(frozen=True)
class SpeechRegion:
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


# Silero looks at 32 ms windows one by one: skip stretches that are plainly silent first.
ENERGY_BLOCK_S = 0.25
ENERGY_FLOOR_DBFS = -55.0
ENERGY_RANGE_DB = 45.0


def _loud_stretches(audio: np.ndarray, pad_s: float = 0.5) -> list[tuple[int, int]]:
    """Sample ranges whose level is above the silence floor (with padding), in order."""
    block = int(ENERGY_BLOCK_S * SAMPLE_RATE)
    n = len(audio) // block
    if n == 0:
        return [(0, len(audio))]
    level = block_db(audio, block)
    # Plainly silent is relative to the channel's own loud blocks: a party recorded 25 dB below the
    # other speaks below an absolute floor, and its words must still reach the VAD.
    floor = min(ENERGY_FLOOR_DBFS, loud_level_db(level, ENERGY_BLOCK_S) - ENERGY_RANGE_DB)
    loud = level > floor
    if len(audio) > n * block:
        loud = np.append(loud, True)  # the tail is short: just look at it
    pad = int(np.ceil(pad_s / ENERGY_BLOCK_S))
    stretches: list[tuple[int, int]] = []
    for i in map(int, np.flatnonzero(loud)):
        start, end = max(0, (i - pad) * block), min(len(audio), (i + 1 + pad) * block)
        if stretches and start <= stretches[-1][1]:
            stretches[-1] = (stretches[-1][0], max(stretches[-1][1], end))
        else:
            stretches.append((start, end))
    return stretches


@dataclass(frozen=True)
class VadOptions:
    threshold: float = 0.5
    min_speech_s: float = 0.25
    min_silence_s: float = 0.3
    speech_pad_s: float = 0.1


class SileroVad:
    name = "silero-vad"

    def __init__(self) -> None:
        from silero_vad import load_silero_vad

        self._model = load_silero_vad(onnx=True)

    def speech_regions(self, audio: np.ndarray, options: VadOptions = VadOptions()) -> list[SpeechRegion]:
        import torch
        from silero_vad import get_speech_timestamps

        if audio.size < SAMPLE_RATE // 10:
            return []
        regions: list[SpeechRegion] = []
        for a, b in _loud_stretches(audio):
            stamps = get_speech_timestamps(
                torch.from_numpy(np.ascontiguousarray(audio[a:b], dtype=np.float32)),
                self._model,
                sampling_rate=SAMPLE_RATE,
                threshold=options.threshold,
                min_speech_duration_ms=int(options.min_speech_s * 1000),
                min_silence_duration_ms=int(options.min_silence_s * 1000),
                speech_pad_ms=int(options.speech_pad_s * 1000),
            )
            regions += [SpeechRegion((a + s["start"]) / SAMPLE_RATE, (a + s["end"]) / SAMPLE_RATE) for s in stamps]
        return regions


@lru_cache(maxsize=1)
def load_vad() -> SileroVad:
    return SileroVad()
