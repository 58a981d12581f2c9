"""Diarization on real audio with the bundled models: DER, speaker count, words to voices, roles, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from models.diarization import Diarization, SpeakerTurn
from pipeline.records import Segment, Word
from pipeline.speech.speakers import METHOD, UNASSIGNED, MonoSpeakerOptions, TurnIndex, assign_roles, split_by_voice

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def diarizer():
    from models.diarization import load_diarizer

    return load_diarizer()


def read16k(path: Path) -> np.ndarray:
    from pipeline.speech.audio import decode

    return decode(path).mono()


def der(result: Diarization, reference, uem=None) -> tuple[float, float]:
    from pyannote.core import Annotation
    from pyannote.core import Segment as Span
    from pyannote.metrics.diarization import DiarizationErrorRate

    hypothesis = Annotation()
    for t in result.turns:
        hypothesis[Span(t.start, t.end)] = t.speaker
    return tuple(DiarizationErrorRate(collar=c)(reference, hypothesis, uem=uem) for c in (0.0, 0.25))


def rttm(path: Path, uri: str | None = None):
    from pyannote.database.util import load_rttm

    annotations = load_rttm(str(path))
    return annotations[uri] if uri else next(iter(annotations.values()))


# Measured on 2 cores (see benchmarks/diarization.py): sample 5.6% / 1.3%, both with the count
# given and estimated. The bounds leave room for thread-count jitter only.
def test_der_on_the_pyannote_sample_with_and_without_the_count(diarizer, eval_dir):
    audio = read16k(eval_dir / "diarization" / "sample.wav")
    reference = rttm(eval_dir / "diarization" / "sample.rttm")
    from pyannote.core import Segment as Span
    from pyannote.core import Timeline

    scored = Timeline([Span(0.0, len(audio) / 16_000)])  # the whole file
    for count in (2, None):
        result = diarizer.diarize(audio, num_speakers=count)
        assert len(result.speakers) == 2
        no_collar, collar = der(result, reference, scored)
        assert no_collar <= 0.065 and collar <= 0.02, (count, no_collar, collar)


# AMI excerpts, count not given. Measured 32.3% (dev00) and 54.6% (dev01) without a collar: far
# from the 25% aimed at. Even with oracle clustering (reference speakers) this segmentation gives
# 23% and 48%: on dev01 it hears the two close voices as one local speaker, so no clustering of
# its output can fix it. These bounds guard against regressions, not a target.
@pytest.mark.parametrize("uri,bound", [("dev00", 0.36), ("dev01", 0.58)])
def test_der_on_ami_excerpts_with_the_count_estimated(diarizer, eval_dir, uri, bound):
    from pyannote.database.util import load_uem

    folder = eval_dir / "diarization"
    result = diarizer.diarize(read16k(folder / f"ami_{uri}.wav"))
    uem = load_uem(str(folder / "ami_debug.development.uem"))[uri]
    no_collar, _ = der(result, rttm(folder / "ami_debug.development.rttm", uri), uem)
    assert 1 <= len(result.speakers) <= 2
    assert no_collar <= bound


def test_single_speaker_is_one_voice_and_gets_no_roles(diarizer, eval_dir):
    audio = read16k(eval_dir / "asr" / "jfk.flac")
    result = diarizer.diarize(audio)
    assert len(result.speakers) == 1
    words = tuple(Word(0.3 + i * 0.5, 0.7 + i * 0.5, "word", 0.9) for i in range(18))
    segments = [Segment("unknown", words[0].start, words[-1].end, " ".join(w.text for w in words), words)]
    out, method = assign_roles(segments, result, "en")
    assert method == UNASSIGNED
    assert all(s.speaker == "unknown" for s in out)


def test_words_go_to_the_voice_whose_turn_they_overlap_and_segments_split_there():
    turns = [SpeakerTurn(0.0, 2.0, "A"), SpeakerTurn(2.2, 4.0, "B"), SpeakerTurn(4.0, 6.0, "A")]
    index = TurnIndex(turns)
    assert index.speaker_at(0.5, 0.9) == ("A", True)
    assert index.speaker_at(1.7, 2.3) == ("A", True)  # 0.3 s in A, 0.1 s in B: the larger overlap wins
    assert index.speaker_at(1.9, 2.9) == ("B", True)
    assert index.speaker_at(2.05, 2.15) == ("A", False)  # in the gap: the nearest turn
    assert index.speaker_at(9.0, 9.5) == (None, False)  # far from any turn
    texts = ["hello", "there", "my", "order", "is", "late", "sorry"]
    times = [(0.2, 0.6), (0.7, 1.5), (2.3, 2.6), (2.7, 3.1), (3.2, 3.4), (3.5, 3.9), (4.3, 5.0)]
    words = tuple(Word(s, e, t, 0.9) for t, (s, e) in zip(texts, times))
    merged = Segment("unknown", 0.2, 5.0, " ".join(texts), words)
    pieces = split_by_voice([merged], index)
    assert [(p.voice, p.segment.text) for p in pieces] == [
        ("A", "hello there"),
        ("B", "my order is late"),
        ("A", "sorry"),
    ]
    assert all(p.attributed == 1.0 for p in pieces)
    assert pieces[1].segment.start == 2.3 and pieces[1].segment.end == 3.9


def spread_words(text: str, start: float, end: float) -> tuple[Word, ...]:
    """Word timings spread over a turn in proportion to word length (the truth files give turns only)."""
    tokens = text.split()
    weights = np.array([len(t) + 1 for t in tokens], dtype=float)
    edges = start + (end - start) * np.concatenate([[0.0], np.cumsum(weights) / weights.sum()])
    return tuple(Word(float(a), float(b) - 0.02, t, 0.9) for t, a, b in zip(tokens, edges, edges[1:]))


def mono_truths(samples_dir: Path) -> list[Path]:
    return sorted(p for p in samples_dir.glob("*mono*.truth.json"))


def role_error(samples_dir: Path, truth_path: Path, diarizer) -> tuple[float, list[Segment], str]:
    """Share of word time given the wrong role (``unknown`` counts as wrong) on the bundled mono call,
    with pairs of consecutive truth turns merged into one segment, as ASR often does."""
    from pipeline.speech.speakers import label_mono_speakers

    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    audio = read16k(samples_dir / truth["file"])
    turns = truth["turns"]
    segments, expected = [], {}
    for i in range(0, len(turns), 2):
        pair = turns[i : i + 2]
        words = tuple(w for t in pair for w in spread_words(t["text"], t["start"], t["end"]))
        for t in pair:
            for w in spread_words(t["text"], t["start"], t["end"]):
                expected[(w.start, w.text)] = t["speaker"]
        segments.append(Segment("unknown", words[0].start, words[-1].end, " ".join(w.text for w in words), words))
    out, method = label_mono_speakers(
        audio, 16_000, segments, truth["language"], diarizer, MonoSpeakerOptions(num_speakers=2)
    )
    total = wrong = 0.0
    for seg in out:
        for w in seg.words:
            total += w.end - w.start
            wrong += (w.end - w.start) * (seg.speaker != expected[(w.start, w.text)])
    return wrong / total, out, method


# Measured: en_mono_rude 0%; ru_mono_partial 25% (the two synthetic Russian voices are one
# festival voice, the customer's pitch-shifted: the GE2E encoder hears one speaker in two of
# the customer's three turns, and those words go to the operator).
@pytest.mark.parametrize("name,bound", [("en_mono_rude", 0.05), ("ru_mono_partial", 0.30)])
def test_mono_sample_calls_get_the_right_roles_for_most_speech(diarizer, samples_dir, name, bound):
    error, out, method = role_error(samples_dir, samples_dir / f"{name}.truth.json", diarizer)
    assert method == METHOD
    assert error <= bound, [(s.speaker, s.text) for s in out]
    assert out[0].speaker == "operator" and out[0].speaker_confidence >= 0.75
    assert len(out) > len(json.loads((samples_dir / f"{name}.truth.json").read_text())["turns"]) // 2


def test_cli_diarize_prints_parseable_rttm(eval_dir, tmp_path):
    env = {**os.environ, "CALLQA_MODELS_DIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "callqa", "diarize", str(eval_dir / "diarization" / "sample.wav"), "--rttm"],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    path = tmp_path / "out.rttm"
    path.write_text(proc.stdout)
    annotation = rttm(path, "sample")
    assert len(annotation.labels()) == 2 and annotation.get_timeline().duration() > 20
    for line in proc.stdout.splitlines():
        fields = line.split()
        assert len(fields) == 10 and fields[0] == "SPEAKER" and fields[1] == "sample" and float(fields[4]) > 0

    bad = tmp_path / "noise.wav"
    bad.write_bytes(os.urandom(4000))
    proc = subprocess.run(
        [sys.executable, "-m", "callqa", "diarize", str(bad)], capture_output=True, text=True, env=env, timeout=300
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1 and proc.stderr.startswith("callqa: error:")


def test_segmentation_weights_are_the_pinned_file():
    from models.segmentation import ONNX_SHA256, ONNX_SIZE, resolve_segmentation

    weights = resolve_segmentation()
    assert weights.sha256 == ONNX_SHA256 and weights.path.stat().st_size == ONNX_SIZE
