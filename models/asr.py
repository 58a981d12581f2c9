"""Speech recognition behind one small interface.

The default backend is faster-whisper (CTranslate2): int8 on CPU, float16 on
CUDA. Weights are resolved offline by :mod:`models.weights`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol, Sequence

import numpy as np

from models.weights import ResolvedWeights, resolve_whisper

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000


@dataclass(frozen=True)
class AsrOptions:
    language: str | None = None  # None: detect among ``languages``
    languages: tuple[str, ...] = ("ru", "en")
    beam_size: int = 5
    vad_filter: bool = True
    # Split speech at pauses this long, so one segment rarely spans two turns.
    vad_min_silence_ms: int = 500
    word_timestamps: bool = True


@dataclass(frozen=True)
class AsrWord:
    start: float
    end: float
    text: str
    probability: float


@dataclass(frozen=True)
class AsrSegment:
    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float
    words: tuple[AsrWord, ...]


@dataclass(frozen=True)
class AsrResult:
    language: str
    language_probability: float
    segments: tuple[AsrSegment, ...]


@dataclass(frozen=True)
class LanguageGuess:
    language: str
    probability: float


class SpeechRecognizer(Protocol):
    name: str

    def detect_language(self, audio: np.ndarray, languages: Sequence[str]) -> LanguageGuess: ...

    def transcribe(self, audio: np.ndarray, options: AsrOptions) -> AsrResult: ...


def cuda_available() -> bool:
    try:
        import ctranslate2

        return ctranslate2.get_cuda_device_count() > 0
    except Exception:  # no CUDA runtime at all
        return False


class FasterWhisperRecognizer:
    """faster-whisper over 16 kHz mono float32 arrays."""

    def __init__(
        self,
        weights: ResolvedWeights,
        device: str = "auto",
        compute_type: str = "auto",
        cpu_threads: int = 0,
    ) -> None:
        from faster_whisper import WhisperModel

        if device == "auto":
            device = "cuda" if cuda_available() else "cpu"
        if compute_type == "auto":
            compute_type = "float16" if device == "cuda" else "int8"
        self.device = device
        self.compute_type = compute_type
        self.name = f"{weights.name}:{compute_type}"
        self._model = WhisperModel(
            str(weights.path), device=device, compute_type=compute_type, cpu_threads=cpu_threads
        )
        log.info("loaded %s on %s (%s)", weights.name, device, compute_type)

    def detect_language(self, audio: np.ndarray, languages: Sequence[str]) -> LanguageGuess:
        """Most likely language among ``languages`` (free detection confuses short Russian with Polish)."""
        _, _, all_probs = self._model.detect_language(audio=audio, vad_filter=True)
        scores = {lang: prob for lang, prob in all_probs if lang in languages}
        if not scores:
            return LanguageGuess(languages[0], 0.0)
        best = max(scores, key=scores.__getitem__)
        total = sum(scores.values()) or 1.0
        return LanguageGuess(best, scores[best] / total)

    def transcribe(self, audio: np.ndarray, options: AsrOptions) -> AsrResult:
        language = options.language
        language_probability = 1.0
        if language is None:
            guess = self.detect_language(audio, options.languages)
            language, language_probability = guess.language, guess.probability
        segments, _info = self._model.transcribe(
            audio,
            language=language,
            beam_size=options.beam_size,
            word_timestamps=options.word_timestamps,
            vad_filter=options.vad_filter,
            vad_parameters={"min_silence_duration_ms": options.vad_min_silence_ms} if options.vad_filter else None,
            # Context carried across turns makes Whisper repeat itself on dialogue.
            condition_on_previous_text=False,
        )
        out = []
        for seg in segments:  # the generator does the decoding: consume it here
            words = tuple(
                AsrWord(float(w.start), float(w.end), w.word.strip(), float(w.probability))
                for w in (seg.words or ())
                if w.word.strip()
            )
            text = seg.text.strip()
            if not text:
                continue
            out.append(
                AsrSegment(float(seg.start), float(seg.end), text, float(seg.avg_logprob), float(seg.no_speech_prob), words)
            )
        return AsrResult(language, language_probability, tuple(out))


def load_recognizer(
    size: str = "base",
    models_dir: str = "data/models",
    device: str = "auto",
    compute_type: str = "auto",
    allow_download: bool = False,
) -> FasterWhisperRecognizer:
    weights = resolve_whisper(size, models_dir, allow_download=allow_download)
    return FasterWhisperRecognizer(weights, device=device, compute_type=compute_type)
