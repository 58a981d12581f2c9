"""One recording in, one scored call out: decode -> transcribe -> judge.

The models are loaded once by :class:`CallAnalyzer` and reused for every call
it analyses (a nightly batch builds one analyzer per worker).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

from models.asr import SpeechRecognizer
from models.diarization import load_diarizer
from models.embeddings import load_sentence_encoder
from models.nlp import load_lemmatizer
from models.sentiment import load_sentiment
from pipeline.intake.identity import call_id_from_sha256, content_sha256
from pipeline.judging.assess import assess_transcript
from pipeline.judging.scorecard import Scorecard
from pipeline.judging.scoring import ScorecardJudge
from pipeline.records import CallAnalysis, DecodedAudio
from pipeline.speech.audio import AudioLimits, decode
from pipeline.speech.transcribe import OperatorChannel, TranscribeOptions, transcribe_call


@dataclass(frozen=True)
class AnalyzeOptions:
    transcribe: TranscribeOptions = TranscribeOptions()
    limits: AudioLimits = AudioLimits()
    # Bias ASR towards the scorecard's phrases. Off by default: with Whisper base it made the
    # model echo the hint into silence and raised WER on the sample calls (see issue #3 notes).
    vocabulary_hint: bool = False
    # Tell ASR the scorecard's brands (hotwords, up to MAX_HINT_BRANDS of them). It helps a name Whisper
    # base does not know on a poor line ("город с культелетом" -> "Городской Телеком" at 8 kbit/s MP3),
    # but Whisper takes a hint for text already said: a clean call that opened with the brand lost its
    # greeting ("Здравствуйте, Северный банк" not transcribed), another gained it at the end. Off by default.
    brand_hint: bool = False
    # Mask phone, card and passport numbers and e-mails in everything stored.
    redact_pii: bool = True


class CallAnalyzer:
    def __init__(self, recognizer: SpeechRecognizer, scorecard: Scorecard, options: AnalyzeOptions = AnalyzeOptions()):
        self.recognizer = recognizer
        self.scorecard = scorecard
        if not options.transcribe.vocabulary:
            vocabulary = tuple(
                (lang, hint) for lang in scorecard.languages if (hint := asr_hint(scorecard, lang, options))
            )
            options = replace(options, transcribe=replace(options.transcribe, vocabulary=vocabulary))
        self.options = options
        # Load everything now, so the first call of a batch is not slower than the rest.
        self.judge = build_judge(scorecard)
        for language in scorecard.languages:
            load_sentiment(language)
        load_diarizer(options.transcribe.speakers.diarization_pipeline)

    def analyze(self, path: str | os.PathLike, sha256: str | None = None,
                operator_channel: OperatorChannel | None = None, audio: DecodedAudio | None = None) -> CallAnalysis:
        """``operator_channel``: this call's stereo channel of the operator (its recorder and direction
        say it); None: the analyzer's own setting. ``audio``: the recording already decoded (within
        ``options.limits``) by a caller that checked it before the models were loaded."""
        path = Path(path)
        transcribe = self.options.transcribe
        if operator_channel is not None and operator_channel != transcribe.operator_channel:
            transcribe = replace(transcribe, operator_channel=operator_channel)
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        sha256 = sha256 or content_sha256(path)
        if audio is None:
            audio = decode(path, self.options.limits)
        t1 = time.perf_counter()
        transcript = transcribe_call(audio, self.recognizer, transcribe)
        t2 = time.perf_counter()
        assessment = assess_transcript(transcript, audio.duration_s, self.judge, redact=self.options.redact_pii)
        t3 = time.perf_counter()
        timings.update(decode_s=t1 - t0, transcribe_s=t2 - t1, score_s=t3 - t2, total_s=t3 - t0)
        timings.update({f"{stage}_s": s for stage, s in transcript.timings_s.items()})
        return CallAnalysis(
            call_id=call_id_from_sha256(sha256),
            source_path=str(path),
            duration_s=audio.duration_s,
            channels=audio.channels,
            sample_rate=audio.source_sample_rate,
            transcript=assessment.transcript,
            criteria=assessment.criteria,
            score=assessment.score,
            scorecard_name=self.scorecard.name,
            scorecard_version=self.scorecard.version,
            timings_s=timings,
            detections=assessment.detections,
            metrics=assessment.metrics,
            sentiment=assessment.sentiment,
            pii=assessment.pii,
        )


# A centre's own name or two help recognition; a long list hurts it. With Whisper base on the Russian
# realism calls, the 12 names of the sample calls as hotwords made decoding 4-7x slower and put
# capitals after every comma (operator WER 0.126 -> 0.151); the one name of the call's centre kept
# the speed and got "Почта Экспресс" right. A longer list still counts for judging, not as a hint.
MAX_HINT_BRANDS = 3


def asr_hint(scorecard: Scorecard, language: str, options: AnalyzeOptions) -> str:
    """What recognition is told to expect in ``language``: the centre's brands, and the phrases when asked."""
    brands = scorecard.brands.get(language, ())
    parts = [scorecard.brand_hint(language) if options.brand_hint and len(brands) <= MAX_HINT_BRANDS else "",
             scorecard.vocabulary(language) if options.vocabulary_hint else ""]
    return ", ".join(p for p in parts if p)


def build_judge(scorecard: Scorecard) -> ScorecardJudge:
    """The scorecard compiled with its lemmatizers and, when any criterion uses it, the sentence encoder."""
    lemmatizers = {language: load_lemmatizer(language) for language in scorecard.languages}
    criteria = [*scorecard.criteria, *([scorecard.escalation] if scorecard.escalation else [])]
    semantic = any("semantic" in c.methods and c.semantic_threshold is not None for c in criteria)
    return ScorecardJudge(scorecard, lemmatizers, load_sentence_encoder() if semantic else None)
