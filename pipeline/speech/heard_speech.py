"""Which detected speech produced words, so that nobody is failed on speech that was not heard.

Voice activity detection says where each channel carries speech (``Transcript.speech_regions``);
recognition says which words were heard there. A stretch of detected speech that produced no
words, or only words the recogniser itself doubts, is *unheard*. The judge gives ``unknown``,
not ``fail``, to a criterion whose window holds unheard speech of the party it judges
(:mod:`pipeline.judging.scoring`), and a call with too little of its speech heard is flagged.

Stereo: each channel's regions belong to the party of that channel (read off the labelled
segments, so a reviewer's role flip carries over). Mono, or stereo whose channels' roles are
unknown: unheard speech could be anybody's, and counts against judging either party.
A transcript without regions (written by hand, or stored by an older version) has nothing
unheard.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Sequence

from pipeline.intervals import merge_intervals
from pipeline.records import Speaker, Transcript

# A word recognised with a lower probability than this does not count as heard (the judge does
# not count a phrase made of such words as said either: scoring.MIN_MATCH_CONFIDENCE).
MIN_WORD_PROBABILITY = 0.35
# Each heard word covers this much audio on either side: the short gaps between the words of one
# sentence are heard speech too.
WORD_REACH_S = 0.25
# A region is heard when its words cover at least this share of it.
HEARD_REGION_SHARE = 0.5
# Unheard regions shorter than this hold no phrase a criterion asks for (a click, a breath, "mm").
MIN_UNHEARD_S = 0.4


@dataclass(frozen=True)
class SpeechStretch:
    """One region of detected speech and how much of it recognised words cover."""

    speaker: Speaker  # the party of its channel; "unknown" when that is not known
    start: float
    end: float
    covered_s: float

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def heard(self) -> bool:
        return self.covered_s >= HEARD_REGION_SHARE * self.duration

    def describe(self) -> str:
        return f"{clock(self.start)}-{clock(self.end)}"


@dataclass(frozen=True)
class HeardSpeech:
    stretches: tuple[SpeechStretch, ...]  # every region of detected speech, in time order

    @property
    def speech_s(self) -> float:
        return sum(s.duration for s in self.stretches)

    @property
    def share(self) -> float | None:
        """Share of the detected speech (seconds) that recognised words cover; None without regions."""
        total = self.speech_s
        return sum(s.covered_s for s in self.stretches) / total if total > 0 else None

    @property
    def unheard(self) -> tuple[SpeechStretch, ...]:
        return tuple(s for s in self.stretches if not s.heard and s.duration >= MIN_UNHEARD_S)

    def unheard_of(
        self, speaker: Speaker, start: float = float("-inf"), end: float = float("inf")
    ) -> list[SpeechStretch]:
        """Unheard speech that may be ``speaker``'s (theirs, or nobody's known) overlapping [start, end]."""
        return [s for s in self.unheard if s.speaker in (speaker, "unknown") and s.start < end and s.end > start]

    def first_start(self, speaker: Speaker) -> float | None:
        """When ``speaker``'s channel first carries speech (None on mono, or without regions)."""
        return next((s.start for s in self.stretches if s.speaker == speaker), None)

    def last_end(self) -> float | None:
        return max((s.end for s in self.stretches), default=None)


def heard_speech(transcript: Transcript) -> HeardSpeech:
    regions = transcript.speech_regions
    if not regions:
        return HeardSpeech(())
    roles = transcript.channel_roles() if len(regions) == 2 else None
    speaker_of = {channel: role for role, channel in roles.items()} if roles else {}
    stretches = []
    for channel, channel_regions in enumerate(regions):
        spans = _word_spans(transcript, channel if len(regions) > 1 else None)
        ends = [b for _, b in spans]
        for start, end in channel_regions:
            stretches.append(
                SpeechStretch(speaker_of.get(channel, "unknown"), start, end, _covered(spans, ends, start, end))
            )
    return HeardSpeech(tuple(sorted(stretches, key=lambda s: (s.start, s.end))))


def _word_spans(transcript: Transcript, channel: int | None) -> list[tuple[float, float]]:
    """Merged audio spans of the confidently heard words of ``channel`` (None: of every segment)."""
    spans = [
        (w.start - WORD_REACH_S, w.end + WORD_REACH_S)
        for seg in transcript.segments
        if channel is None or seg.channel in (channel, None)
        for w in seg.words
        if w.probability >= MIN_WORD_PROBABILITY
    ]
    return merge_intervals(spans, lo=float("-inf"))


def _covered(spans: Sequence[tuple[float, float]], ends: Sequence[float], start: float, end: float) -> float:
    """Seconds of [start, end] inside ``spans`` (merged, in order; ``ends`` their ends)."""
    i = bisect.bisect_right(ends, start)  # the first span ending after the region starts
    covered = 0.0
    while i < len(spans) and spans[i][0] < end:
        covered += max(0.0, min(end, spans[i][1]) - max(start, spans[i][0]))
        i += 1
    return covered


def clock(t: float) -> str:
    """Seconds from the start of the call as mm:ss, the way a reviewer reads a position."""
    minutes, seconds = divmod(int(round(t)), 60)
    return f"{minutes:02d}:{seconds:02d}"
