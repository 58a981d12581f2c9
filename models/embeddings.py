"""Speaker embeddings: a fixed-size voice print per stretch of speech.

Backend: resemblyzer's GE2E encoder, whose 17 MB of weights ship inside the
PyPI wheel (nothing is downloaded). Embeddings are L2-normalised, so the dot
product of two is their cosine similarity.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Protocol

import numpy as np

SAMPLE_RATE = 16_000


class SpeakerEncoder(Protocol):
    name: str

    def embed(self, audio: np.ndarray) -> np.ndarray: ...


class ResemblyzerEncoder:
    name = "resemblyzer-ge2e"

    def __init__(self, device: str = "cpu") -> None:
        from resemblyzer import VoiceEncoder

        self._encoder = VoiceEncoder(device, verbose=False)

    def embed(self, audio: np.ndarray) -> np.ndarray:
        """Embedding of 16 kHz mono float audio (at least ~0.3 s)."""
        wav = np.ascontiguousarray(audio, dtype=np.float32)
        peak = float(np.max(np.abs(wav))) if wav.size else 0.0
        if peak > 0:
            wav = wav / peak * 0.9  # level differences between parties must not decide the voice
        emb = self._encoder.embed_utterance(wav)
        return emb / (np.linalg.norm(emb) + 1e-9)


@lru_cache(maxsize=1)
def load_speaker_encoder(device: str = "cpu") -> SpeakerEncoder:
    return ResemblyzerEncoder(device)
