"""Audio in: formats, sample rates, channels, band-limited resampling, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from pipeline.errors import NotAudio, UnusableAudio
from pipeline.speech.audio import MODEL_SAMPLE_RATE, decode, resample


def _tone(freq: float, sr: int, seconds: float = 1.0, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(sr * seconds)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _band_energy(x: np.ndarray, sr: int, lo: float, hi: float) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / sr)
    return float(spectrum[(freqs >= lo) & (freqs <= hi)].sum())


def test_resampling_keeps_the_band_and_rejects_what_would_alias():
    sr = 44_100
    passband = resample(_tone(1000, sr)[None], sr, MODEL_SAMPLE_RATE)[0]
    # 10 kHz is above the new Nyquist (8 kHz): a naive decimator folds it to 6 kHz.
    alias = resample(_tone(10_000, sr)[None], sr, MODEL_SAMPLE_RATE)[0]
    kept = _band_energy(passband, MODEL_SAMPLE_RATE, 900, 1100)
    folded = _band_energy(alias, MODEL_SAMPLE_RATE, 5500, 6500)
    assert len(passband) == MODEL_SAMPLE_RATE
    assert kept > 0
    assert 10 * np.log10(kept / max(folded, 1e-20)) > 60, "aliased energy must be at least 60 dB down"


@pytest.mark.parametrize(
    "fmt,subtype,ext",
    [("WAV", "PCM_16", "wav"), ("FLAC", "PCM_16", "flac"), ("OGG", "VORBIS", "ogg"), ("MP3", None, "mp3")],
)
def test_decodes_common_formats_and_rates(tmp_path, fmt, subtype, ext):
    sr = 8000
    stereo = np.stack([_tone(440, sr, 2.0), _tone(660, sr, 2.0, 0.3)], axis=1)
    path = tmp_path / f"call.{ext}"
    try:
        sf.write(path, stereo, sr, format=fmt, subtype=subtype)
    except (sf.LibsndfileError, TypeError, ValueError) as err:  # libsndfile built without this encoder
        pytest.skip(f"cannot write {fmt} here: {err}")
    audio = decode(path)
    assert audio.sample_rate == MODEL_SAMPLE_RATE
    assert audio.source_sample_rate == sr
    assert audio.channels == 2
    assert abs(audio.duration_s - 2.0) < 0.15
    # Channels stay apart: the left one is the louder 440 Hz tone.
    assert np.abs(audio.channel(0)).max() > np.abs(audio.channel(1)).max()


def test_identical_stereo_channels_are_treated_as_mono(tmp_path):
    tone = _tone(300, 16_000, 1.0)
    path = tmp_path / "dual_mono.wav"
    sf.write(path, np.stack([tone, tone], axis=1), 16_000)
    audio = decode(path)
    assert audio.channels == 1
    assert audio.source_channels == 2


def test_real_8khz_telephone_recording(eval_dir):
    audio = decode(eval_dir / "telephony_ru" / "tone_short_8k.flac")
    assert audio.source_sample_rate == 8000
    assert audio.channels == 1
    assert 6.0 < audio.duration_s < 7.0


@pytest.mark.parametrize(
    "content,reason",
    [
        (b"", "empty file"),
        (b"RIFF\x00\x00\x00\x00WAVEjunkjunkjunk" * 4, "not a readable audio file"),
        ("Здравствуйте, это текст, а не запись.\n".encode(), "not a readable audio file"),
    ],
)
def test_bad_input_raises_not_audio(tmp_path, content, reason):
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(NotAudio, match=reason):
        decode(path)


def test_random_bytes_are_not_audio(tmp_path):
    path = tmp_path / "noise.mp3"
    path.write_bytes(np.random.default_rng(0).bytes(8192))
    with pytest.raises(NotAudio):
        decode(path)


def test_silent_recording_is_unusable(tmp_path):
    path = tmp_path / "silence.wav"
    sf.write(path, np.zeros(16_000 * 2, dtype=np.float32), 16_000)
    with pytest.raises(UnusableAudio, match="silent"):
        decode(path)


def test_too_long_recording_is_unusable(tmp_path):
    from pipeline.speech.audio import AudioLimits

    path = tmp_path / "long.wav"
    sf.write(path, _tone(440, 8000, 3.0), 8000)
    with pytest.raises(UnusableAudio, match="too long"):
        decode(path, AudioLimits(max_duration_s=2.0))


def test_silence_is_cut_at_two_seconds_on_one_partys_channel_and_eight_on_mono():
    from models.vad import SpeechRegion
    from pipeline.speech.timeline import MONO_MERGE_GAP_S, SpeechTimeline

    # Two answers 5 s apart: on one party's channel the gap is the other party talking, on mono a pause.
    regions = [SpeechRegion(10.0, 11.0), SpeechRegion(16.0, 17.0)]
    channel, mono = SpeechTimeline(regions, 30.0), SpeechTimeline(regions, 30.0, MONO_MERGE_GAP_S)
    assert [(p.original_start, p.duration) for p in channel.pieces] == [(9.5, 2.0), (15.5, 2.0)]
    assert [(p.original_start, p.duration) for p in mono.pieces] == [(9.5, 8.0)]
    assert channel.to_original(channel.pieces[1].packed_start + 0.5) == 16.0


def test_a_packed_span_maps_back_to_the_original_split_at_each_cut():
    from models.diarization import SpeakerTurn
    from models.vad import SpeechRegion
    from pipeline.speech.speakers import _turns_to_original
    from pipeline.speech.timeline import JOIN_GAP_S, SpeechTimeline

    # Speech at 10-11 s and 100-102 s of a 600 s recording: packed, the second piece follows the first
    # after a 1 s joining gap.
    timeline = SpeechTimeline([SpeechRegion(10.0, 11.0), SpeechRegion(100.0, 102.0)], 600.0)
    first, second = timeline.pieces
    assert second.packed_start == first.duration + JOIN_GAP_S
    # a diarizer's turn across the cut is two turns in the original, the joining gap belongs to neither
    turn = SpeakerTurn(first.packed_start + 1.0, second.packed_start + 1.0, "SPEAKER_00")
    assert [(round(t.start, 3), round(t.end, 3), t.speaker) for t in _turns_to_original([turn], timeline)] == [
        (10.5, 11.5, "SPEAKER_00"), (99.5, 100.5, "SPEAKER_00")]
    assert timeline.original_spans(first.duration + 0.1, first.duration + 0.9) == []
    assert timeline.total_s == 600.0


def test_the_loud_level_of_a_long_mostly_silent_recording_is_its_speech_not_its_silence():
    from models.levels import block_db, loud_level_db
    from models.vad import _loud_stretches

    rate, minutes = 16000, 30
    samples = np.zeros(minutes * 60 * rate, dtype=np.float32)
    # 30 s of speech-like noise at about -20 dBFS: less than 2% of the recording
    talk = slice(20 * 60 * rate, (20 * 60 + 30) * rate)
    samples[talk] = (np.random.default_rng(1).standard_normal(30 * rate) * 0.1).astype(np.float32)
    levels = block_db(samples, 320)
    assert loud_level_db(levels, 0.02) == pytest.approx(-20.0, abs=1.0)
    # the VAD looks only at the talk (and its padding), not at half an hour of silence
    stretches = _loud_stretches(samples)
    assert sum(b - a for a, b in stretches) / rate < 32
    # a call with its share of speech keeps the 98th percentile, as before
    short = block_db(samples[talk], 320)
    assert loud_level_db(short, 0.02) == pytest.approx(float(np.percentile(short, 98)))
