"""Hallucination guards: Whisper invents words on silence, noise and music.

Each rule removes recognised text that the audio does not support, and says
why, so a silent channel or a silent stretch yields no words rather than
"Продолжение следует..." or "Thank you for watching".

Text rules (Whisper's own no-speech estimate, looping text, phrases it invents on
silence) judge a whole segment. Where the audio is concerned, words are judged one
by one: Whisper often returns one segment that spans several turns of a sparse
channel (a caller answering in short bursts with long pauses), so a segment can lie
mostly in silence while each of its words lies in detected speech. Those words are
kept; only words that lie outside detected speech are dropped.
"""

from __future__ import annotations

import bisect
import re
import zlib
from dataclasses import dataclass, replace
from typing import Sequence

from models.asr import AsrSegment
from models.vad import SpeechRegion


@dataclass(frozen=True)
class GuardOptions:
    # Whisper's own "no speech" rule: both must hold for a segment to be dropped.
    no_speech_prob: float = 0.6
    min_avg_logprob: float = -1.0
    # gzip compression ratio above this means looping text.
    max_compression_ratio: float = 2.4
    # A word is supported by the audio when it lies within this distance of detected speech
    # (Whisper's word times drift by a few hundred ms, most at a turn's first word).
    word_margin_s: float = 0.3
    # A segment without word times must lie at least this much inside detected speech.
    min_speech_overlap: float = 0.3
    # The same text again this soon after the previous segment is a decoding loop, not a second answer.
    repeat_gap_s: float = 1.0
    # The same word n-gram repeated back to back more than this is cut to this many.
    max_repeats: int = 2


@dataclass(frozen=True)
class DroppedText:
    start: float
    end: float
    text: str
    reason: str


# Phrases Whisper is known to produce from silence (its training subtitles), never said in calls.
_SILENCE_PHRASES = [
    r"продолжение следует",
    r"субтитры (сделал|создавал|делал|подготовил)[\w .-]*",
    r"редактор субтитров[\w .-]*",
    r"корректор[\w .-]*",
    r"подписывайтесь на (канал|наш канал)",
    r"спасибо за просмотр",
    r"thanks? (you )?for watching",
    r"please subscribe[\w .-]*",
    r"subtitles by[\w .-]*",
]
_SILENCE_RE = re.compile(r"^\W*(" + "|".join(_SILENCE_PHRASES) + r")\W*$", re.IGNORECASE)


def compression_ratio(text: str) -> float:
    data = text.encode("utf-8")
    return len(data) / max(len(zlib.compress(data)), 1)


def _overlap(start: float, end: float, regions: Sequence[SpeechRegion]) -> float:
    """Share of [start, end] covered by speech regions (regions sorted, non-overlapping)."""
    if end <= start:
        return 0.0
    covered = sum(max(0.0, min(end, r.end) - max(start, r.start)) for r in regions if r.end > start and r.start < end)
    return covered / (end - start)


def guard_segments(
    segments: Sequence[AsrSegment], regions: Sequence[SpeechRegion], options: GuardOptions = GuardOptions()
) -> tuple[list[AsrSegment], list[DroppedText]]:
    kept: list[AsrSegment] = []
    dropped: list[DroppedText] = []

    def drop(seg: AsrSegment, reason: str) -> None:
        dropped.append(DroppedText(seg.start, seg.end, seg.text, reason))

    for seg in segments:
        if seg.no_speech_prob > options.no_speech_prob and seg.avg_logprob < options.min_avg_logprob:
            drop(seg, f"no speech (p={seg.no_speech_prob:.2f}, logprob {seg.avg_logprob:.2f})")
        elif compression_ratio(seg.text) > options.max_compression_ratio:
            drop(seg, f"looping text (compression ratio {compression_ratio(seg.text):.1f})")
        elif _SILENCE_RE.match(seg.text.strip()):
            drop(seg, "a phrase Whisper invents on silence")
        elif not seg.words and _overlap(seg.start, seg.end, regions) < options.min_speech_overlap:
            drop(seg, "outside detected speech")
        else:
            supported = _words_in_speech(seg, regions, options.word_margin_s, dropped)
            if supported is None:
                continue
            trimmed = _cut_repeats(supported, options.max_repeats)
            if trimmed.text != supported.text:
                dropped.append(DroppedText(seg.start, seg.end, supported.text, "repeated phrase cut"))
            kept.append(trimmed)
    return _drop_repeated_segments(kept, options, dropped), dropped


def _words_in_speech(seg: AsrSegment, regions: Sequence[SpeechRegion], margin_s: float,
                     dropped: list[DroppedText]) -> AsrSegment | None:
    """The segment with only the words that lie in detected speech (each run of others reported); None if none do."""
    if not seg.words:
        return seg
    ends = [r.end for r in regions]
    keep = [_near_speech(w.start, w.end, regions, ends, margin_s) for w in seg.words]
    if all(keep):
        return seg
    run: list = []
    for word, ok in zip([*seg.words, None], [*keep, True]):
        if not ok:
            run.append(word)
        elif run:
            dropped.append(
                DroppedText(run[0].start, run[-1].end, " ".join(w.text for w in run), "outside detected speech")
            )
            run = []
    words = tuple(w for w, ok in zip(seg.words, keep) if ok)
    if not words:
        return None
    return replace(seg, words=words, text=" ".join(w.text for w in words), start=words[0].start, end=words[-1].end)


def _near_speech(start: float, end: float, regions: Sequence[SpeechRegion], ends: list[float], margin_s: float) -> bool:
    """Whether [start, end] comes within ``margin_s`` of a region (regions sorted and disjoint, ``ends`` theirs)."""
    i = bisect.bisect_right(ends, start - margin_s)  # the first region ending after the word starts (less the margin)
    return i < len(regions) and regions[i].start - margin_s < end


def _norm(word: str) -> str:
    return re.sub(r"\W+", "", word.lower())


def _cut_repeats(seg: AsrSegment, max_repeats: int) -> AsrSegment:
    """Cut a word n-gram (n = 1..4) repeated back to back more than ``max_repeats`` times."""
    words = list(seg.words)
    if len(words) < max_repeats + 1:
        return seg
    changed = False
    for n in (1, 2, 3, 4):
        i = 0
        while i + n <= len(words):
            gram = [_norm(w.text) for w in words[i : i + n]]
            j = i + n
            repeats = 1
            while j + n <= len(words) and [_norm(w.text) for w in words[j : j + n]] == gram:
                repeats += 1
                j += n
            if repeats > max_repeats and any(gram):
                del words[i + n * max_repeats : j]
                changed = True
            i += 1
    if not changed:
        return seg
    return replace(seg, words=tuple(words), text=" ".join(w.text for w in words), end=words[-1].end)


def _drop_repeated_segments(segments: list[AsrSegment], options: GuardOptions,
                            dropped: list[DroppedText]) -> list[AsrSegment]:
    """The same text as segment after segment, back to back, is a decoding loop: keep the first ``max_repeats``.

    The same short answer given to several questions ("Yes." ... "Yes.") comes with pauses between: kept.
    """
    out: list[AsrSegment] = []
    run = 0
    for seg in segments:
        if out and _norm(seg.text) == _norm(out[-1].text) and seg.start - out[-1].end < options.repeat_gap_s:
            run += 1
            if run >= options.max_repeats:
                dropped.append(DroppedText(seg.start, seg.end, seg.text, "repeated segment"))
                continue
        else:
            run = 0
        out.append(seg)
    return out
