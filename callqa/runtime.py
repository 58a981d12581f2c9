"""Builds the pipeline's objects from settings (shared by the CLI and the flows)."""

from __future__ import annotations

from functools import lru_cache

from callqa.config import Settings
from models.asr import FasterWhisperRecognizer, load_recognizer
from pipeline.analyze import CallAnalyzer
from pipeline.scorecard import Scorecard, load_scorecard


@lru_cache(maxsize=4)
def recognizer_for(settings: Settings) -> FasterWhisperRecognizer:
    """One recognizer per process and configuration: loading Whisper takes seconds."""
    return load_recognizer(
        size=settings.asr_model,
        models_dir=str(settings.models_dir),
        device=settings.asr_device,
        compute_type=settings.asr_compute_type,
        allow_download=settings.allow_download,
    )


def scorecard_for(settings: Settings) -> Scorecard:
    return load_scorecard(settings.scorecard, settings.scorecards_dir)


def build_analyzer(settings: Settings) -> CallAnalyzer:
    return CallAnalyzer(recognizer_for(settings), scorecard_for(settings), settings.analyze_options())
