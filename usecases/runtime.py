"""Builds the pipeline's objects from settings (shared by the CLI and the flows)."""

from __future__ import annotations

from functools import lru_cache

from models.asr import SpeechRecognizer, load_recognizer
from pipeline.analyze import CallAnalyzer
from pipeline.judging.scorecard import Scorecard, load_scorecard
from usecases.settings import Settings


@lru_cache(maxsize=4)
def recognizer_for(settings: Settings) -> SpeechRecognizer:
    """One recognizer per process and configuration: loading Whisper takes seconds.

    ``asr_backend = "openai-whisper"`` needs ``<models_dir>/openai-whisper-<asr_model>.pt``; when it is
    missing this raises ``WeightsNotFound`` telling the user to run ``callqa models prepare``.
    """
    return load_recognizer(
        size=settings.asr_model,
        models_dir=str(settings.models_dir),
        device=settings.asr_device,
        compute_type=settings.asr_compute_type,
        allow_download=settings.allow_download,
        backend=settings.asr_backend,
        batch_size=settings.asr_batch_size,
    )


def scorecard_for(settings: Settings) -> Scorecard:
    return load_scorecard(settings.scorecard, settings.scorecards_dir)


def build_analyzer(settings: Settings) -> CallAnalyzer:
    return CallAnalyzer(recognizer_for(settings), scorecard_for(settings), settings.analyze_options())
