"""Builds the pipeline's objects from settings (shared by the CLI and the flows)."""

from __future__ import annotations

from functools import lru_cache

from models.asr import SpeechRecognizer, load_recognizer
from models.threads import use_threads
from pipeline.analyze import CallAnalyzer
from pipeline.judging.scorecard import Scorecard, load_scorecard
from usecases.parallelism import threads_per_analysis, with_threads
from usecases.settings import AsrSettings, Settings


def recognizer_for(settings: Settings) -> SpeechRecognizer:
    """One recognizer per process and configuration: loading Whisper takes seconds.

    ``asr_backend = "openai-whisper"`` needs ``<models_dir>/openai-whisper-<asr_model>.pt``; when it is
    missing this raises ``WeightsNotFound`` telling the user to run ``callqa models prepare``.
    """
    return _recognizer(with_threads(settings, 1).asr)  # threads unset: this process analyses one call at a time


@lru_cache(maxsize=4)
def _recognizer(asr: AsrSettings) -> SpeechRecognizer:
    # Keyed by the ASR section alone: settings that differ elsewhere (another database) share the model.
    return load_recognizer(
        size=asr.model,
        models_dir=str(asr.models_dir),
        device=asr.device,
        compute_type=asr.compute_type,
        allow_download=asr.allow_download,
        backend=asr.backend,
        batch_size=asr.batch_size,
        cpu_threads=asr.cpu_threads,
    )


def scorecard_for(settings: Settings) -> Scorecard:
    return load_scorecard(settings.judging.scorecard, settings.judging.scorecards_dir)


def build_analyzer(settings: Settings) -> CallAnalyzer:
    """The analyzer, its models computing with ``asr_cpu_threads`` threads (unset: every core; the nightly
    flow's analysis processes get their share, ``usecases.parallelism``)."""
    use_threads(threads_per_analysis(settings, 1))
    return CallAnalyzer(recognizer_for(settings), scorecard_for(settings), settings.analyze_options())
