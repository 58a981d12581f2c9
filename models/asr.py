"""Speech recognition behind one small interface.

Two backends implement :class:`SpeechRecognizer`:

- ``faster-whisper`` (default, CTranslate2): int8 on CPU, float16 on CUDA, and
  speech chunks decoded in batches on CUDA (on a CPU when asked) where the audio is one voice;
- ``openai-whisper`` (PyTorch): the reference implementation, run from a
  checkpoint that ``callqa models prepare`` builds offline from the same weights
  (:mod:`models.whisper_convert`); float32 on CPU, float16 on CUDA.

Weights are resolved offline by :mod:`models.weights`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol, Sequence

import numpy as np

from models.sample_rate import SAMPLE_RATE
from models.threads import analysis_threads
from models.weights import ResolvedWeights, WeightsNotFound, resolve_openai_whisper, resolve_whisper

log = logging.getLogger(__name__)

BACKENDS = ("faster-whisper", "openai-whisper")
# Whisper's fallback schedule: decode again, hotter, when the text looks repetitive or unlikely.
TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
BEST_OF = 5  # candidates sampled at each temperature above zero (faster-whisper's default)


@dataclass(frozen=True)
class AsrOptions:
    language: str | None = None  # None: detect among ``languages``
    languages: tuple[str, ...] = ("ru", "en")
    beam_size: int = 5
    vad_filter: bool = True
    # Split speech at pauses this long, so one segment rarely spans two turns.
    vad_min_silence_ms: int = 500
    word_timestamps: bool = True
    # Words the call is likely to contain (the scorecard's phrases): biases decoding towards them.
    vocabulary: str | None = None
    # Speech chunks decoded in batches when the recognizer batches. A batch gives one segment per chunk,
    # without Whisper's sentence timestamps; on a mono call's two voices those timestamps are what splits
    # the turns that diarization misses, so mono audio is decoded one chunk at a time.
    batched: bool = True


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


def _best_among(probs: dict[str, float], languages: Sequence[str]) -> LanguageGuess:
    """The likeliest of ``languages``, its probability renormalised over them."""
    scores = {lang: prob for lang, prob in probs.items() if lang in languages}
    if not scores:
        return LanguageGuess(languages[0], 0.0)
    best = max(scores, key=scores.__getitem__)
    return LanguageGuess(best, scores[best] / (sum(scores.values()) or 1.0))


def resolve_batch_size(batch_size: int, device: str) -> int:
    """``0`` means automatic: one chunk at a time on CPU, 16 speech chunks per batch on CUDA.

    Batches of 8 on a CPU were 1.14-1.3x faster on the real calls with the same verdicts, but a batch
    decodes each chunk (up to 30 s) whole, without Whisper's sentence timestamps, and on the Russian
    dictation fixture it lost the customer's "на обороте 978": the code was neither written nor
    muted. Until that is understood, a CPU decodes one chunk at a time (README, *Measured figures*)."""
    if batch_size < 0:
        raise ValueError(f"batch size must be 0 (auto) or positive, not {batch_size}")
    if batch_size == 0:
        return 16 if device == "cuda" else 1
    return batch_size


def refuse_unrunnable(weights: ResolvedWeights) -> None:
    """Raise ``WeightsNotFound`` before faster-whisper reaches for the network (no tokenizer.json) or feeds a
    128-mel model 80-mel features; a folder placed by hand is checked here, one added by `callqa models add`
    was checked when it was installed."""
    from models.whisper_inspect import NotAWhisperModel, inspect_ct2_dir

    try:
        problems = inspect_ct2_dir(weights.path).problems
    except NotAWhisperModel as err:
        raise WeightsNotFound(str(err)) from err
    if problems:
        raise WeightsNotFound(f"{weights.path} cannot run offline as it is: " + "; ".join(problems)
                              + f". `callqa models add {weights.path} --name <name> --replace` checks it and "
                              "mends what it can")


class FasterWhisperRecognizer:
    """faster-whisper over 16 kHz mono float32 arrays."""

    def __init__(
        self,
        weights: ResolvedWeights,
        device: str = "auto",
        compute_type: str = "auto",
        cpu_threads: int | None = None,
        batch_size: int = 0,
    ) -> None:
        """``cpu_threads``: None, this process' analysis threads (``models.threads``); 0, CTranslate2's default (4)."""
        from faster_whisper import BatchedInferencePipeline, WhisperModel

        if device == "auto":
            device = "cuda" if cuda_available() else "cpu"
        if compute_type == "auto":
            compute_type = "float16" if device == "cuda" else "int8"
        self.device = device
        self.compute_type = compute_type
        self.name = f"{weights.name}:{compute_type}"
        if cpu_threads is None:
            cpu_threads = analysis_threads()
        self.cpu_threads = cpu_threads
        if weights.source != "download":
            refuse_unrunnable(weights)
        self._model = WhisperModel(
            str(weights.path), device=device, compute_type=compute_type, cpu_threads=cpu_threads
        )
        self.batch_size = resolve_batch_size(batch_size, device)
        # A batch size over 1 decodes speech chunks in batches, on a GPU by default, on a CPU when asked.
        self._batched = BatchedInferencePipeline(self._model) if self.batch_size > 1 else None
        log.info("loaded %s on %s (%s, batch %d, %s threads)", weights.name, device, compute_type, self.batch_size,
                 cpu_threads or "default")

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
        kwargs = dict(
            language=language,
            beam_size=options.beam_size,
            word_timestamps=options.word_timestamps,
            vad_filter=options.vad_filter,
            vad_parameters={"min_silence_duration_ms": options.vad_min_silence_ms} if options.vad_filter else None,
            # Context carried across turns makes Whisper repeat itself on dialogue.
            condition_on_previous_text=False,
            hotwords=options.vocabulary,
        )
        # The batched pipeline needs VAD chunks to batch (without VAD it refuses audio over 30 s).
        if self._batched is not None and options.vad_filter and options.batched:
            segments, _info = self._batched.transcribe(audio, batch_size=self.batch_size, **kwargs)
        else:
            segments, _info = self._model.transcribe(audio, **kwargs)
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
                AsrSegment(
                    float(seg.start), float(seg.end), text, float(seg.avg_logprob), float(seg.no_speech_prob), words
                )
            )
        return AsrResult(language, language_probability, tuple(out))


class OpenAIWhisperRecognizer:
    """openai-whisper over 16 kHz mono float32 arrays, from a checkpoint built by ``callqa models prepare``.

    Same contract as :class:`FasterWhisperRecognizer`: VAD first (the same Silero
    model and settings faster-whisper uses, so silence on a telephone channel is
    not fed to Whisper to hallucinate on), then Whisper's own temperature fallback,
    without conditioning on the previous text; timestamps are mapped back to the
    original audio.
    """

    def __init__(self, weights: ResolvedWeights, device: str = "auto") -> None:
        import torch
        from whisper.model import ModelDimensions, Whisper

        from models.whisper_convert import alignment_heads_dump
        from models.whisper_import import read_manifest

        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        # What whisper.load_model(path) does, plus the alignment heads it only knows for hub names
        # (word timestamps rely on them).
        checkpoint = torch.load(weights.path, map_location="cpu", weights_only=True)
        model = Whisper(ModelDimensions(**checkpoint["dims"]))
        model.load_state_dict(checkpoint["model_state_dict"])
        # A site's own checkpoint (large-v3.pt) carries none: `callqa models add` recorded its architecture's.
        heads = checkpoint.get("alignment_heads") or (read_manifest(weights.path) or {}).get("alignment_heads")
        if heads:
            model.set_alignment_heads(alignment_heads_dump(heads, checkpoint["dims"]))
        del checkpoint
        self._model = model.to(device).eval()
        self.device = device
        self.fp16 = device.startswith("cuda")
        self.name = f"{weights.name}:{'float16' if self.fp16 else 'float32'}"
        log.info("loaded %s on %s", weights.name, device)

    @staticmethod
    def _speech(audio: np.ndarray, min_silence_ms: int | None) -> tuple[np.ndarray, list[dict]]:
        """The speech parts of ``audio``, concatenated, and the chunks they came from (Silero VAD)."""
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        vad = VadOptions() if min_silence_ms is None else VadOptions(min_silence_duration_ms=min_silence_ms)
        chunks = get_speech_timestamps(audio, vad, sampling_rate=SAMPLE_RATE)
        if not chunks:
            return np.zeros(0, dtype=np.float32), []
        return np.concatenate([audio[c["start"] : c["end"]] for c in chunks]), chunks

    def _language_probs(self, audio: np.ndarray) -> dict[str, float]:
        import torch
        import whisper

        mel = whisper.log_mel_spectrogram(
            whisper.pad_or_trim(np.asarray(audio, dtype=np.float32)), n_mels=self._model.dims.n_mels
        ).to(self.device)
        with torch.no_grad():
            _, probs = self._model.detect_language(mel)
        return probs

    def detect_language(self, audio: np.ndarray, languages: Sequence[str]) -> LanguageGuess:
        """Most likely language among ``languages``, judged on the first 30 s of speech."""
        speech, _ = self._speech(audio, None)
        return _best_among(self._language_probs(speech if speech.size else audio), languages)

    def transcribe(self, audio: np.ndarray, options: AsrOptions) -> AsrResult:
        import whisper
        from faster_whisper.vad import SpeechTimestampsMap

        audio = np.asarray(audio, dtype=np.float32)
        chunks: list[dict] = []
        if options.vad_filter:
            speech, chunks = self._speech(audio, options.vad_min_silence_ms)
            if not chunks:  # nothing but silence: nothing to say
                return AsrResult(options.language or options.languages[0], 1.0 if options.language else 0.0, ())
        else:
            speech = audio
        language = options.language
        language_probability = 1.0
        if language is None:  # judged on the speech this call will transcribe, as faster-whisper does
            guess = _best_among(self._language_probs(speech), options.languages)
            language, language_probability = guess.language, guess.probability
        result = whisper.transcribe(
            self._model,
            speech,
            language=language,
            task="transcribe",
            temperature=TEMPERATURES,
            beam_size=options.beam_size,
            best_of=BEST_OF,
            # Context carried across turns makes Whisper repeat itself on dialogue.
            condition_on_previous_text=False,
            word_timestamps=options.word_timestamps,
            fp16=self.fp16,
            verbose=None,
            initial_prompt=options.vocabulary,
        )
        ts_map = SpeechTimestampsMap(chunks, SAMPLE_RATE) if chunks else None
        out = []
        for seg in result["segments"]:
            text = seg["text"].strip()
            if not text:
                continue
            words = []
            for w in seg.get("words") or ():
                start, end = float(w["start"]), float(w["end"])
                if ts_map is not None:  # a word's start and end come from the chunk holding its middle
                    index = ts_map.get_chunk_index((start + end) / 2)
                    start, end = ts_map.get_original_time(start, index), ts_map.get_original_time(end, index)
                if w["word"].strip():
                    words.append(AsrWord(start, end, w["word"].strip(), float(w["probability"])))
            if words:
                start, end = words[0].start, words[-1].end
            elif ts_map is not None:
                start = ts_map.get_original_time(float(seg["start"]))
                end = ts_map.get_original_time(float(seg["end"]), is_end=True)
            else:
                start, end = float(seg["start"]), float(seg["end"])
            out.append(
                AsrSegment(start, end, text, float(seg["avg_logprob"]), float(seg["no_speech_prob"]), tuple(words))
            )
        return AsrResult(language, language_probability, tuple(out))


def load_recognizer(
    size: str = "base",
    models_dir: str = "data/models",
    device: str = "auto",
    compute_type: str = "auto",
    allow_download: bool = False,
    backend: str = "faster-whisper",
    batch_size: int = 0,
    cpu_threads: int | None = None,
) -> SpeechRecognizer:
    """The recognizer for ``backend``; raises ``WeightsNotFound`` (saying what to do) when its weights are missing."""
    if backend == "faster-whisper":
        weights = resolve_whisper(size, models_dir, allow_download=allow_download)
        return FasterWhisperRecognizer(weights, device=device, compute_type=compute_type, batch_size=batch_size,
                                       cpu_threads=cpu_threads)
    if backend == "openai-whisper":
        return OpenAIWhisperRecognizer(resolve_openai_whisper(size, models_dir), device=device)
    raise ValueError(f"unknown ASR backend {backend!r} (known: {', '.join(BACKENDS)})")
