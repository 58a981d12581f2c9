"""Guards against invented words, stereo crosstalk, and awkward recordings."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from callqa.evaluation import word_error_rate
from models.asr import AsrSegment, AsrWord
from models.vad import SpeechRegion
from pipeline.audio import decode, resample
from pipeline.errors import UnusableAudio
from pipeline.guards import guard_segments


def asr_seg(start: float, text: str, avg_logprob: float = -0.2, no_speech_prob: float = 0.05) -> AsrSegment:
    words = tuple(AsrWord(start + 0.3 * i, start + 0.3 * i + 0.25, w, 0.9) for i, w in enumerate(text.split()))
    return AsrSegment(start, words[-1].end if words else start, text, avg_logprob, no_speech_prob, words)


SPEECH = [SpeechRegion(0.0, 10.0), SpeechRegion(20.0, 30.0)]


@pytest.mark.parametrize(
    "segment,reason",
    [
        (asr_seg(1.0, "Продолжение следует..."), "invents on silence"),
        (asr_seg(2.0, "Thank you for watching!"), "invents on silence"),
        (asr_seg(12.0, "Здравствуйте, чем могу помочь?"), "outside detected speech"),
        (asr_seg(3.0, "а а а а а а а а а а а а а а а а а а а а а а а а а а а а"), "looping text"),
        (asr_seg(4.0, "Алло, алло", avg_logprob=-1.5, no_speech_prob=0.9), "no speech"),
    ],
)
def test_unsupported_text_is_dropped_with_a_reason(segment, reason):
    kept, dropped = guard_segments([segment], SPEECH)
    assert kept == []
    assert reason in dropped[0].reason


def test_real_speech_is_kept_and_repeats_are_cut():
    ok = asr_seg(21.0, "Назовите, пожалуйста, номер договора.")
    loop = asr_seg(5.0, "да да да да да понятно")
    kept, dropped = guard_segments([loop, ok, ok, ok], SPEECH)
    assert kept[0].text == "да да понятно"
    assert [w.text for w in kept[0].words] == ["да", "да", "понятно"]
    assert [s.text for s in kept[1:]] == [ok.text, ok.text]  # the third identical segment is a loop
    assert {d.reason for d in dropped} == {"repeated phrase cut", "repeated segment"}


def test_too_short_recording_has_a_clear_reason(tmp_path):
    path = tmp_path / "click.wav"
    sf.write(path, (0.3 * np.random.default_rng(1).standard_normal(2400)).astype(np.float32), 8000)  # 0.3 s
    with pytest.raises(UnusableAudio, match="too short"):
        decode(path)


def _channels(path) -> tuple[np.ndarray, int]:
    data, sr = sf.read(path, dtype="float32", always_2d=True)
    return data, sr


def _truth(samples_dir, name: str) -> dict:
    return json.loads((samples_dir / f"{name}.truth.json").read_text(encoding="utf-8"))


def _text(analysis, speaker: str) -> str:
    return " ".join(s.text for s in analysis.segments if s.speaker == speaker)


def _truth_text(truth: dict, speaker: str) -> str:
    return " ".join(t["text"] for t in truth["turns"] if t["speaker"] == speaker)


@pytest.mark.slow
def test_silent_and_noise_channels_yield_no_words(analyzer, samples_dir, tmp_path):
    data, sr = _channels(samples_dir / "ru_stereo_good.flac")
    noise = (10 ** (-40 / 20) * np.random.default_rng(0).standard_normal(len(data))).astype(np.float32)
    for name, right in {"zeros": np.zeros(len(data), np.float32), "noise": noise}.items():
        path = tmp_path / f"{name}.wav"
        sf.write(path, np.stack([data[:, 0], right], axis=1), sr)
        a = analyzer.analyze(path)
        assert a.channels == 2
        assert _text(a, "customer") == "", f"words invented on a {name} channel"
        assert word_error_rate(_truth_text(_truth(samples_dir, "ru_stereo_good"), "operator"), _text(a, "operator")) < 0.15


@pytest.mark.slow
def test_crosstalk_does_not_duplicate_the_other_partys_words(analyzer, samples_dir, tmp_path):
    truth = _truth(samples_dir, "ru_stereo_good")
    data, sr = _channels(samples_dir / "ru_stereo_good.flac")
    bleed = 10 ** (-24 / 20)  # each voice leaks into the other channel 24 dB down
    left, right = data[:, 0] + bleed * data[:, 1], data[:, 1] + bleed * data[:, 0]
    path = tmp_path / "bleed.wav"
    sf.write(path, np.stack([left, right], axis=1), sr)
    a = analyzer.analyze(path)
    customer_turns = [(t["start"], t["end"]) for t in truth["turns"] if t["speaker"] == "customer"]
    operator_turns = [(t["start"], t["end"]) for t in truth["turns"] if t["speaker"] == "operator"]

    def inside(seg, turns) -> bool:
        mid = (seg.start + seg.end) / 2
        return any(a - 0.3 <= mid <= b + 0.3 for a, b in turns)

    assert not [s.text for s in a.segments if s.speaker == "operator" and inside(s, customer_turns)]
    assert not [s.text for s in a.segments if s.speaker == "customer" and inside(s, operator_turns)]
    assert word_error_rate(_truth_text(truth, "operator"), _text(a, "operator")) < 0.15


@pytest.mark.slow
def test_clipped_and_48khz_recordings_are_judged_the_same(analyzer, samples_dir, tmp_path):
    truth = _truth(samples_dir, "ru_stereo_good")
    data, sr = _channels(samples_dir / "ru_stereo_good.flac")
    clipped = np.clip(data * 8.0, -1.0, 1.0)  # +18 dB into hard clipping
    upsampled = resample(data.T, sr, 48_000).T
    for name, (samples, rate) in {"clipped": (clipped, sr), "48k": (upsampled, 48_000)}.items():
        path = tmp_path / f"{name}.wav"
        sf.write(path, samples, rate)
        a = analyzer.analyze(path)
        assert {c.id: c.result for c in a.criteria} == truth["expected_criteria"], name


@pytest.mark.slow
def test_two_hour_recording_keeps_timestamps_relative_to_the_original(analyzer, samples_dir, tmp_path):
    data, sr = _channels(samples_dir / "en_mono_rude.flac")
    speech = data[:, 0]
    total = np.zeros(int(2 * 3600 * sr), dtype=np.float32)
    offset_s = 5400.0  # the conversation starts at 1:30:00
    at = int(offset_s * sr)
    total[at : at + len(speech)] = speech
    path = tmp_path / "two_hours.flac"
    sf.write(path, total, sr, subtype="PCM_16")
    a = analyzer.analyze(path)
    assert abs(a.duration_s - 7200) < 1
    assert a.segments, "the speech in the middle of the recording was lost"
    assert all(offset_s - 1 <= s.start <= offset_s + len(speech) / sr + 1 for s in a.segments)
    greeting = next(c for c in a.criteria if c.id == "greeting")
    assert greeting.result == "pass" and greeting.evidence.start == pytest.approx(offset_s, abs=1.5)
