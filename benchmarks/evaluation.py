"""Accuracy measures shared by tests and benchmarks."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from pipeline.intervals import intersect, merge_intervals, total


def normalize_text(text: str) -> list[str]:
    """Lower case, no punctuation, ё -> е; returns the words."""
    text = text.lower().replace("ё", "е").replace("’", "'")
    text = re.sub(r"[^\w\s']", " ", text)
    return [w.strip("'") for w in text.split() if w.strip("'")]


def word_error_rate(reference: str, hypothesis: str) -> float:
    ref, hyp = normalize_text(reference), normalize_text(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return Levenshtein.distance(ref, hyp) / len(ref)


def scorecard_with_brands(name: str, brands: dict[str, list[str]], folder: Path,
                          scorecards_dir: Path | None = None) -> Path:
    """The scorecard ``name`` as a centre that answers for ``brands`` (language -> names) would
    have it: its ``brands`` of those languages replaced by these names, written as
    ``folder/NAME.yaml`` (for a benchmark that plays one deployment, e.g. the bank of the real calls)."""
    import yaml

    from pipeline.judging.scorecard import resolve_scorecard_path

    source = resolve_scorecard_path(name, scorecards_dir)
    raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    listed = raw.setdefault("brands", {})
    for language, names in brands.items():
        listed[language] = list(dict.fromkeys(names))
    out = Path(folder) / source.name
    out.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


# --- Real calls with human transcripts (../shared/eval/hvb_dev) -------------------------------

# The corpus's agent is the call center's operator, its caller the customer.
_HVB_ROLES = {"agent": "operator", "caller": "customer"}
_TAG = re.compile(r"\[[^\]]*\]|<[^>]*>")  # [noise], [laughter], <unk>


@dataclass(frozen=True)
class ReferenceTurn:
    speaker: str  # operator | customer
    start: float
    end: float
    text: str
    # When each word of ``text`` was said (its middle, seconds): lets a WER put two parties' words
    # in the order they were spoken.
    word_times: tuple[float, ...] = ()


@dataclass(frozen=True)
class RealCall:
    """One real recording with its human transcript and a reviewer's script verdicts."""

    call_id: str
    path: Path
    turns: tuple[ReferenceTurn, ...]
    # criterion id -> "pass" | "fail"; criteria the reviewer found ambiguous are left out
    labels: dict[str, str]

    def reference(self, speaker: str | None = None) -> str:
        return " ".join(t.text for t in self.turns if speaker in (None, t.speaker))

    def reference_in_time_order(self, speaker: str | None = None) -> str:
        timed = [(time, word) for t in self.turns if speaker in (None, t.speaker)
                 for time, word in zip(t.word_times, t.text.split())]
        return " ".join(word for _, word in sorted(timed, key=lambda x: x[0]))


def load_real_calls(folder: str | Path) -> list[RealCall]:
    """The calls of a Harper Valley Bank style folder: ``ID.stereo.flac`` + ``ID.transcript.json`` + ``labels.json``."""
    folder = Path(folder)
    labels_path = folder / "labels.json"
    labels = json.loads(labels_path.read_text(encoding="utf-8"))["calls"] if labels_path.is_file() else {}
    calls = []
    for audio in sorted(folder.glob("*.stereo.flac")):
        call_id = audio.name.split(".")[0]
        rows = json.loads((folder / f"{call_id}.transcript.json").read_text(encoding="utf-8"))
        turns = []
        for row in sorted(rows, key=lambda r: r["start_ms"]):
            text = " ".join(_TAG.sub(" ", row["human_transcript"]).split())
            if text:
                start = row["start_ms"] / 1000
                turns.append(ReferenceTurn(_HVB_ROLES[row["speaker_role"]], start, start + row["duration_ms"] / 1000,
                                           text, _human_word_times(row)))
        verdicts = {k: ("pass" if v else "fail") for k, v in labels.get(call_id, {}).items() if v is not None}
        calls.append(RealCall(call_id, audio, tuple(turns), verdicts))
    return calls


def _human_word_times(row: dict) -> tuple[float, ...]:
    """Times of the human transcript's words, borrowed from the machine transcript's timed words they align with."""
    start = row["start_ms"] / 1000
    machine = row["transcript"].split()
    times = [start + (o + d / 2) / 1000 for o, d in zip(row["word_offsets_ms"], row["word_durations_ms"])]
    human = _TAG.sub(" ", row["human_transcript"]).split()
    out: list[float | None] = [None] * len(human)
    for op, a1, a2, b1, b2 in SequenceMatcher(None, machine, human, autojunk=False).get_opcodes():
        if op in ("equal", "replace"):
            for k in range(b2 - b1):  # a replaced run: spread over the machine words it replaces
                out[b1 + k] = times[a1 + min(a2 - a1 - 1, k * (a2 - a1) // (b2 - b1))]
    end = start + row["duration_ms"] / 1000
    known = [(i, t) for i, t in enumerate(out) if t is not None]
    for i, t in enumerate(out):  # words the machine did not hear: between their neighbours
        if t is None:
            before = max(((j, u) for j, u in known if j < i), default=(-1, start))
            after = min(((j, u) for j, u in known if j > i), default=(len(human), end))
            out[i] = before[1] + (after[1] - before[1]) * (i - before[0]) / (after[0] - before[0])
    return tuple(float(t or 0.0) for t in out)


@lru_cache(maxsize=1)
def _english_normalizer():
    from whisper.normalizers import EnglishTextNormalizer

    return EnglishTextNormalizer()


def wer_words(text: str, language: str) -> list[str]:
    """Words as WER counts them: Whisper's English normaliser (numbers, spellings) for English."""
    if language == "en":
        return _english_normalizer()(text).split()
    return normalize_text(text)


def word_errors(reference: str, hypothesis: str, language: str) -> tuple[int, int]:
    """(edits, reference words): sum these over calls for a corpus WER."""
    ref, hyp = wer_words(reference, language), wer_words(hypothesis, language)
    return Levenshtein.distance(ref, hyp), len(ref)


def coverage(turns: list[tuple[float, float]], spans: list[tuple[float, float]]) -> tuple[float, float]:
    """(seconds of ``turns`` covered by any of ``spans``, seconds of ``turns``), each counted once."""
    said = merge_intervals(turns)
    return total(intersect(said, merge_intervals(spans))), total(said)


def analyze_heard(analyzer, path) -> tuple:
    """``analyzer.analyze(path)``, and its segments as recognised, before personal data was masked.

    The product judges and stores the masked transcript ("my name is [NAME]"); a mask is not a
    recognition error, so a WER is measured on what was heard. ``assess`` masks segment by segment,
    in order: the i-th segment heard is the i-th segment of the analysis (same speaker and times).
    """
    import pipeline.judging.assess as assess

    masking = assess.redact_segments
    heard: list = []

    def recording(segments, *args, **kwargs):
        heard[:] = segments
        return masking(segments, *args, **kwargs)

    assess.redact_segments = recording
    try:
        analysis = analyzer.analyze(path)
    finally:
        assess.redact_segments = masking
    if len(heard) != len(analysis.segments):  # nothing was masked (redaction off, no speech)
        heard = list(analysis.segments)
    return analysis, heard
