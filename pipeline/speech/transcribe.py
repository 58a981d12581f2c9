"""Where a recording becomes segments: ASR per channel, turns split at pauses, speakers labelled.

Stereo telephone recordings carry one party per channel, so each channel is
transcribed on its own and the speaker is known exactly. Mono recordings are
transcribed once and labelled by :mod:`pipeline.speech.speakers`.
"""

from __future__ import annotations

import bisect
import time
from dataclasses import dataclass, replace
from typing import Literal, Sequence

import numpy as np

from models.asr import AsrOptions, AsrSegment, SpeechRecognizer
from models.levels import block_db, loud_level_db
from models.sample_rate import SAMPLE_RATE
from models.vad import SpeechRegion, VadOptions, load_vad
from pipeline.records import DecodedAudio, Segment, Speaker, Transcript, Word
from pipeline.speech.crosstalk import FRAME_S, gate_crosstalk
from pipeline.speech.guards import DroppedText, GuardOptions, guard_segments
from pipeline.speech.heard_speech import MIN_WORD_PROBABILITY
from pipeline.speech.speakers import MonoSpeakerOptions, label_mono_speakers
from pipeline.speech.timeline import MERGE_GAP_S, MONO_MERGE_GAP_S, SpeechTimeline

OperatorChannel = Literal["left", "right"]


@dataclass(frozen=True)
class TranscribeOptions:
    language: str | None = None  # None: detect among ``languages``
    languages: tuple[str, ...] = ("ru", "en")
    operator_channel: OperatorChannel = "left"
    beam_size: int = 5
    # A pause this long inside a recognised segment starts a new turn.
    turn_pause_s: float = 0.6
    vad: VadOptions = VadOptions()
    guards: GuardOptions = GuardOptions()
    # Detected speech that gave no words when the channel was recognised as a whole is recognised
    # again on its own (Whisper skips short answers after a long pause): regions at least this long,
    # this close to each other recognised together, with this much audio around them.
    retry_min_region_s: float = 0.2
    retry_join_gap_s: float = 1.0
    retry_pad_s: float = 0.3
    # Mute one stereo channel where it only carries the other party's bleed.
    gate_crosstalk: bool = True
    # Mono calls: diarization and roles.
    speakers: MonoSpeakerOptions = MonoSpeakerOptions()
    # Per language, words the operator is expected to say (the centre's brands; the scorecard's phrases when
    # asked), as an ASR hint on the operator's speech (a mono call: all of it).
    vocabulary: tuple[tuple[str, str], ...] = ()

    def asr_options(self, language: str) -> AsrOptions:
        return AsrOptions(
            language=language,
            languages=self.languages,
            beam_size=self.beam_size,
            vocabulary=dict(self.vocabulary).get(language) or None,
        )


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
            out.append(
                Segment(
                    speaker,
                    seg.start,
                    seg.end,
                    seg.text,
                    (),
                    channel,
                    float(np.exp(seg.avg_logprob)),
                    speaker_confidence,
                )
            )
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


@dataclass(frozen=True)
class ChannelSpeech:
    """One channel's detected speech, packed for recognition (silence cut out)."""

    regions: list[SpeechRegion]
    timeline: SpeechTimeline | None
    packed: np.ndarray
    samples: np.ndarray  # the whole channel, at SAMPLE_RATE

    @property
    def has_speech(self) -> bool:
        return self.timeline is not None


@dataclass(frozen=True)
class ChannelText:
    segments: list[AsrSegment]
    dropped: list[DroppedText]


def find_speech(samples: np.ndarray, options: TranscribeOptions, merge_gap_s: float = MERGE_GAP_S) -> ChannelSpeech:
    levels = frame_levels(samples)  # measured once: the VAD's gain and its threshold both read them
    regions = load_vad().speech_regions(_for_vad(samples, levels), vad_options_for(levels, options.vad))
    if not regions:
        return ChannelSpeech([], None, np.zeros(0, dtype=np.float32), samples)
    timeline = SpeechTimeline(regions, len(samples) / SAMPLE_RATE, merge_gap_s)
    samples = level_speech(samples, regions)
    return ChannelSpeech(regions, timeline, timeline.pack(samples, SAMPLE_RATE), samples)


# Whisper hears speech recorded far below full scale worse (its log-mel features shift with the
# level): a party whose line is 25 dB down loses words. Recognition gets each channel's speech at
# this level; the VAD judges the channel as recorded.
SPEECH_LEVEL_DBFS = -20.0
MAX_GAIN_DB = 30.0


# A channel whose loudest frames sit this far below SPEECH_LEVEL_DBFS is raised before the VAD too:
# Silero misses a quiet line's short turns ("No, thank you." at -25 dB). Channels nearer the level
# are left as recorded (raising them moved the VAD's decisions on real calls for the worse).
VAD_LEVEL_MIN_GAIN_DB = 10.0


# Under background noise (the babble of a busy room, a street) Silero's speech probability for a
# caller's short answer falls to 0.2-0.5 and whole answers went missing (12% of a caller's words at
# 10-20 dB SNR on the realism set). A channel whose median 20 ms frame lies within NOISY_CHANNEL_DB
# of its loud speech has such a background: there the VAD takes speech at a lower probability.
# Quiet lines keep the strict threshold: on the real calls (all quiet between turns) the lower one
# raised the operator's WER from 0.057 to 0.065.
NOISY_CHANNEL_DB = 30.0
NOISY_VAD_THRESHOLD = 0.35


def frame_levels(samples: np.ndarray) -> np.ndarray:
    """The channel's 20 ms frame levels in dBFS (the crosstalk gate's frames)."""
    return block_db(samples, int(FRAME_S * SAMPLE_RATE))


def vad_options_for(levels: np.ndarray, options: VadOptions) -> VadOptions:
    """``options`` with the lower threshold when the channel (its ``frame_levels``) is noisy."""
    if levels.size == 0:
        return options
    background_db = loud_level_db(levels, FRAME_S) - float(np.percentile(levels, 50))
    if background_db >= NOISY_CHANNEL_DB:
        return options
    return replace(options, threshold=min(options.threshold, NOISY_VAD_THRESHOLD))


def _for_vad(samples: np.ndarray, levels: np.ndarray) -> np.ndarray:
    if levels.size == 0:
        return samples
    gain_db = min(SPEECH_LEVEL_DBFS - loud_level_db(levels, FRAME_S), MAX_GAIN_DB)
    return _raised(samples, gain_db) if gain_db >= VAD_LEVEL_MIN_GAIN_DB else samples


def level_speech(samples: np.ndarray, regions: Sequence[SpeechRegion]) -> np.ndarray:
    """The channel raised (never lowered, by at most ``MAX_GAIN_DB``) so that its detected speech
    has an RMS level of ``SPEECH_LEVEL_DBFS``."""
    speech = np.concatenate([samples[int(r.start * SAMPLE_RATE) : int(r.end * SAMPLE_RATE)] for r in regions])
    level_db = 10 * np.log10(float(np.mean(speech.astype(np.float64) ** 2)) + 1e-12)
    gain_db = min(max(0.0, SPEECH_LEVEL_DBFS - level_db), MAX_GAIN_DB)
    return _raised(samples, gain_db) if gain_db >= 1.0 else samples


def _raised(samples: np.ndarray, gain_db: float) -> np.ndarray:
    return np.clip(samples * np.float32(10 ** (gain_db / 20)), -1.0, 1.0).astype(np.float32)


def recognize_speech(
    speech: ChannelSpeech, recognizer: SpeechRecognizer, asr_options: AsrOptions, options: TranscribeOptions
) -> ChannelText:
    """ASR over one channel's speech only; a channel without speech yields no text at all.

    The channel's speech is recognised in one pass (silence cut out); then every stretch of
    detected speech that gave no words is recognised again on its own before it is given up.
    """
    if speech.timeline is None:
        return ChannelText([], [])
    result = recognizer.transcribe(speech.packed, asr_options)
    kept, dropped = guard_segments(speech.timeline.map_segments(result.segments), speech.regions, options.guards)
    for group in _unheard_groups(speech.regions, kept, options):
        more, less = _recognize_alone(speech.samples, group, recognizer, asr_options, options)
        kept += more
        dropped += less
    kept.sort(key=lambda s: (s.start, s.end))
    return ChannelText(kept, dropped)


def _unheard_groups(regions: Sequence[SpeechRegion], kept: Sequence[AsrSegment],
                    options: TranscribeOptions) -> list[list[SpeechRegion]]:
    """Regions no kept word touches, long enough to hold a word, joined when close together."""
    spans = sorted((w.start, w.end) for seg in kept for w in seg.words) or sorted((s.start, s.end) for s in kept)
    starts = [a for a, _ in spans]
    groups: list[list[SpeechRegion]] = []
    joinable = False  # a heard region in between starts a new group: its words must not be recognised twice
    for region in regions:
        i = bisect.bisect_left(starts, region.end)  # words starting before the region ends
        if any(end > region.start for _, end in spans[max(0, i - 8) : i]):
            joinable = False
        elif region.duration >= options.retry_min_region_s:
            if joinable and region.start - groups[-1][-1].end < options.retry_join_gap_s:
                groups[-1].append(region)
            else:
                groups.append([region])
            joinable = True
    return groups


def _recognize_alone(samples: np.ndarray, group: list[SpeechRegion], recognizer: SpeechRecognizer,
                     asr_options: AsrOptions, options: TranscribeOptions) -> tuple[list[AsrSegment], list[DroppedText]]:
    start = max(0.0, group[0].start - options.retry_pad_s)
    end = min(len(samples) / SAMPLE_RATE, group[-1].end + options.retry_pad_s)
    clip = samples[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)]
    # The clip is speech by construction: Whisper's own VAD would only cut it shorter.
    result = recognizer.transcribe(clip, replace(asr_options, vad_filter=False))
    kept, dropped = guard_segments([_shifted(seg, start) for seg in result.segments], group, options.guards)
    # Given a breath or a noise alone, Whisper still says something: keep only text it is sure of.
    sure = [seg for seg in kept if _sure(seg, options.guards)]
    dropped += [DroppedText(seg.start, seg.end, seg.text, "unsure text from speech recognised alone")
                for seg in kept if seg not in sure]
    return sure, dropped


def _sure(seg: AsrSegment, guards: GuardOptions) -> bool:
    if seg.avg_logprob < guards.min_avg_logprob:
        return False
    return not seg.words or float(np.mean([w.probability for w in seg.words])) >= MIN_WORD_PROBABILITY


def _shifted(seg: AsrSegment, offset: float) -> AsrSegment:
    words = tuple(replace(w, start=w.start + offset, end=w.end + offset) for w in seg.words)
    return replace(seg, start=seg.start + offset, end=seg.end + offset, words=words)


def _detect_language(speeches: list[ChannelSpeech], recognizer: SpeechRecognizer, options: TranscribeOptions) -> str:
    for speech in speeches:  # the first channel with speech decides, for the whole call
        if speech.has_speech:
            return recognizer.detect_language(speech.packed, options.languages).language
    return options.languages[0]


class _Stopwatch:
    def __init__(self) -> None:
        self.totals: dict[str, float] = {}
        self._t = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.totals[stage] = self.totals.get(stage, 0.0) + now - self._t
        self._t = now


def transcribe_call(audio: DecodedAudio, recognizer: SpeechRecognizer, options: TranscribeOptions) -> Transcript:
    clock = _Stopwatch()
    if audio.channels == 2:
        left, right = audio.channel(0), audio.channel(1)
        if options.gate_crosstalk:
            left, right, _, _ = gate_crosstalk(left, right, audio.sample_rate)
        roles = channel_roles(options.operator_channel)
        speeches = [find_speech(left, options), find_speech(right, options)]
        clock.lap("vad")
        operator_first = sorted(range(2), key=lambda i: roles[i] != "operator")
        language = options.language or _detect_language([speeches[i] for i in operator_first], recognizer, options)
        asr_options = options.asr_options(language)
        segments: list[Segment] = []
        dropped = 0
        for index, speech in enumerate(speeches):
            # The hint is the operator's words (the centre's name, the script): the caller's channel
            # goes without, so that it cannot echo into the caller's pauses.
            hinted = asr_options if roles[index] == "operator" else replace(asr_options, vocabulary=None)
            text = recognize_speech(speech, recognizer, hinted, options)
            dropped += len(text.dropped)
            segments += to_segments(text.segments, roles[index], index, 1.0, options.turn_pause_s)
        segments.sort(key=lambda s: (s.start, s.end))
        clock.lap("asr")
        return Transcript(language, tuple(segments), recognizer.name, "stereo_channels", dropped, clock.totals,
                          tuple(_region_times(speech) for speech in speeches))

    mono = audio.channel(0)
    speech = find_speech(mono, options, MONO_MERGE_GAP_S)
    clock.lap("vad")
    language = options.language or _detect_language([speech], recognizer, options)
    # Two voices in one channel: Whisper's own sentence timestamps, which a batch would not give, split
    # turns that diarization misses (models/asr.AsrOptions.batched).
    asr_options = replace(options.asr_options(language), batched=False)
    text = recognize_speech(speech, recognizer, asr_options, options)
    unlabelled = to_segments(text.segments, "unknown", None, 0.0, options.turn_pause_s)
    clock.lap("asr")
    labelled, method = label_mono_speakers(speech.packed, SAMPLE_RATE, unlabelled, language,
                                           options=options.speakers, timeline=speech.timeline)
    clock.lap("speakers")
    return Transcript(language, tuple(labelled), recognizer.name, method, len(text.dropped), clock.totals,
                      (_region_times(speech),))


def _region_times(speech: ChannelSpeech) -> tuple[tuple[float, float], ...]:
    return tuple((round(r.start, 3), round(r.end, 3)) for r in speech.regions)
