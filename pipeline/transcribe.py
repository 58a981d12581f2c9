"""Where a recording becomes segments: ASR per channel, turns split at pauses, speakers labelled.

Stereo telephone recordings carry one party per channel, so each channel is
transcribed on its own and the speaker is known exactly. Mono recordings are
transcribed once and labelled by :mod:`pipeline.speakers`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal, Sequence

import numpy as np

from models.asr import AsrOptions, AsrSegment, SpeechRecognizer
from pipeline.audio import channel_is_silent
from pipeline.records import DecodedAudio, Segment, Speaker, Transcript, Word
from pipeline.speakers import label_mono_speakers

OperatorChannel = Literal["left", "right"]


@dataclass(frozen=True)
class TranscribeOptions:
    language: str | None = None  # None: detect among ``languages``
    languages: tuple[str, ...] = ("ru", "en")
    operator_channel: OperatorChannel = "left"
    beam_size: int = 5
    # A pause this long inside a recognised segment starts a new turn.
    turn_pause_s: float = 0.6


def channel_roles(operator_channel: OperatorChannel) -> tuple[Speaker, Speaker]:
    return ("operator", "customer") if operator_channel == "left" else ("customer", "operator")


def split_at_pauses(seg: AsrSegment, pause_s: float) -> list[list[Word]]:
    words = [Word(w.start, w.end, w.text, w.probability) for w in seg.words]
    if not words:
        return []
    groups: list[list[Word]] = [[words[0]]]
    for prev, word in zip(words, words[1:]):
        if word.start - prev.end >= pause_s:
            groups.append([])
        groups[-1].append(word)
    return groups


def to_segments(
    asr_segments: Sequence[AsrSegment], speaker: Speaker, channel: int | None, speaker_confidence: float, pause_s: float
) -> list[Segment]:
    out = []
    for seg in asr_segments:
        groups = split_at_pauses(seg, pause_s)
        if not groups:  # no word timings: keep the segment whole
            out.append(Segment(speaker, seg.start, seg.end, seg.text, (), channel, float(np.exp(seg.avg_logprob)), speaker_confidence))
            continue
        for words in groups:
            out.append(
                Segment(
                    speaker=speaker,
                    start=words[0].start,
                    end=words[-1].end,
                    text=" ".join(w.text for w in words),
                    words=tuple(words),
                    channel=channel,
                    asr_confidence=float(np.mean([w.probability for w in words])),
                    speaker_confidence=speaker_confidence,
                )
            )
    return out


def transcribe_call(audio: DecodedAudio, recognizer: SpeechRecognizer, options: TranscribeOptions) -> Transcript:
    language = options.language
    if audio.channels == 2:
        roles = channel_roles(options.operator_channel)
        operator_index = roles.index("operator")
        active = [i for i in range(2) if not channel_is_silent(audio.channel(i))]
        if language is None and active:
            # Detect once, on the operator's channel when it has speech, and use it for both parties.
            probe = operator_index if operator_index in active else active[0]
            language = recognizer.detect_language(audio.channel(probe), options.languages).language
        language = language or options.languages[0]
        asr_options = AsrOptions(language=language, languages=options.languages, beam_size=options.beam_size)
        segments: list[Segment] = []
        for index in active:
            result = recognizer.transcribe(audio.channel(index), asr_options)
            segments += to_segments(result.segments, roles[index], index, 1.0, options.turn_pause_s)
        segments.sort(key=lambda s: (s.start, s.end))
        return Transcript(language, tuple(segments), recognizer.name, "stereo_channels")

    mono = audio.channel(0)
    result = recognizer.transcribe(
        mono, AsrOptions(language=language, languages=options.languages, beam_size=options.beam_size)
    )
    unlabelled = to_segments(result.segments, "unknown", None, 0.0, options.turn_pause_s)
    labelled, method = label_mono_speakers(mono, audio.sample_rate, unlabelled)
    return Transcript(result.language, tuple(labelled), recognizer.name, method)


def with_roles_swapped(transcript: Transcript) -> Transcript:
    swap = {"operator": "customer", "customer": "operator", "unknown": "unknown"}
    return replace(transcript, segments=tuple(replace(s, speaker=swap[s.speaker]) for s in transcript.segments))
