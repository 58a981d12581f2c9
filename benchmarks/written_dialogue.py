"""A written dialogue as the pipeline's ``Transcript`` (for labelled sets, benchmarks and tests):
one segment per turn, every word certain, synthetic word times (as samples/make_samples.py does
before the audio exists)."""

from __future__ import annotations

from typing import Sequence

from pipeline.records import Segment, Transcript, Word

WORD_S, PAUSE_S, LEAD_IN_S = 0.35, 0.6, 0.4


def dialogue_transcript(language: str, turns: Sequence[tuple[str, str]], speakers: str = "labelled") -> Transcript:
    """``turns``: (speaker, text); ``speakers="unknown"`` marks a mono call whose roles stayed unknown."""
    segments, t = [], LEAD_IN_S
    for speaker, text in turns:
        words = []
        for w in text.split():
            words.append(Word(round(t, 2), round(t + WORD_S, 2), w, 1.0))
            t += WORD_S
        segments.append(Segment(speaker, words[0].start, words[-1].end, text, tuple(words),  # type: ignore[arg-type]  # speaker: a str
                                asr_confidence=1.0, speaker_confidence=0.0 if speaker == "unknown" else 1.0))
        t += PAUSE_S
    return Transcript(language, tuple(segments), "written", "mono_unassigned" if speakers == "unknown" else "written")
