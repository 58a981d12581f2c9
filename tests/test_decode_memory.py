"""Decoding in bounded memory (issue #15, finding 7): absurd headers refused before decoding,
the streamed decode equal to the whole-array one, peak memory that follows the 16 kHz output."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from callqa.cli import EXIT_BAD_INPUT, main
from pipeline.errors import BadRecording, UnusableAudio
from pipeline.speech.audio import MODEL_SAMPLE_RATE, AudioLimits, decode
from pipeline.speech.resampling import StreamingResampler, resample

REPO = Path(__file__).resolve().parent.parent


def _flac_claiming(path: Path, rate: int, seconds: float) -> None:
    """A FLAC of 0.05 s of tone whose header (STREAMINFO's total samples) claims ``seconds``."""
    t = np.arange(int(0.05 * rate)) / rate
    sf.write(path, 0.5 * np.sin(2 * np.pi * 440 * t), rate, format="FLAC", subtype="PCM_16")
    data = bytearray(path.read_bytes())
    assert data[:4] == b"fLaC" and data[4] & 0x7F == 0  # STREAMINFO first, its fields from byte 8
    # Bytes 18-25: sample rate (20 bits), channels-1 (3), bits-1 (5), total samples (36).
    (packed,) = struct.unpack(">Q", data[18:26])
    packed = (packed & ~((1 << 36) - 1)) | int(seconds * rate)
    data[18:26] = struct.pack(">Q", packed)
    path.write_bytes(bytes(data))


def test_a_384_khz_file_is_refused_with_the_rate_and_the_limit(tmp_path):
    path = tmp_path / "ultrasonic.flac"
    sf.write(path, np.zeros(38_400, dtype=np.float32), 384_000, format="FLAC")  # 0.1 s, a few hundred bytes
    with pytest.raises(UnusableAudio, match=r"sample rate 384000 Hz is above the limit of 192000 Hz"):
        decode(path)
    # The limit is a setting: a site with such recordings can raise it.
    with pytest.raises(UnusableAudio, match="too short"):
        decode(path, AudioLimits(max_sample_rate=384_000))


@pytest.mark.parametrize("rate,minutes,reason", [
    (384_000, 20, "sample rate 384000 Hz is above the limit of 192000 Hz"),
    (48_000, 5 * 60, r"recording too long \(5.0 h > 4.0 h\)"),
])
def test_the_header_alone_decides(tmp_path, rate, minutes, reason):
    # The header claims a long recording; 0.05 s of samples follow. Decoding would find a file too
    # short: the refusal names what only the header says, so it came before any frame was decoded.
    path = tmp_path / "claims.flac"
    _flac_claiming(path, rate, minutes * 60)
    with pytest.raises(UnusableAudio, match=reason):
        decode(path)


def test_the_cli_names_the_file_and_the_limit_a_site_can_raise(tmp_path, capsys, monkeypatch):
    path = tmp_path / "ultrasonic.flac"
    sf.write(path, np.zeros(38_400, dtype=np.float32), 384_000, format="FLAC")
    assert main(["diarize", str(path)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.strip() == f"callqa: error: {path}: sample rate 384000 Hz is above the limit of 192000 Hz"
    assert issubclass(UnusableAudio, BadRecording)  # what the nightly flow quarantines, with this reason
    monkeypatch.setenv("CALLQA_MAX_SAMPLE_RATE", "384000")
    assert main(["diarize", str(path)]) == EXIT_BAD_INPUT
    assert "recording too short (0.10 s < 0.5 s)" in capsys.readouterr().err  # decoded: the rate was allowed


@pytest.mark.parametrize("rate", [8_000, 11_025, 44_100, 48_000, 96_000, 192_000, 44_099])
def test_streamed_resampling_equals_the_whole_array(rate):
    rng = np.random.default_rng(rate)
    x = (0.3 * rng.standard_normal((2, 3 * 65_536 + 777)) + 0.1).astype(np.float32)
    stream = StreamingResampler(rate, MODEL_SAMPLE_RATE, 2)
    pieces, i = [], 0
    while i < x.shape[1]:  # blocks of any size, as decoders deliver them
        k = int(rng.integers(1, 50_000))
        pieces.append(stream.feed(np.ascontiguousarray(x[:, i : i + k])))
        i += k
    pieces.append(stream.finish())
    streamed = np.concatenate([p for p in pieces if p is not None], axis=1)
    np.testing.assert_array_equal(streamed, resample(x, rate, MODEL_SAMPLE_RATE))
    ones = resample(np.ones((1, x.shape[1]), dtype=np.float32), rate, MODEL_SAMPLE_RATE)[0]
    np.testing.assert_allclose(stream.ones_response(0, streamed.shape[1]), ones, atol=1e-5)


def _whole_array_decode(path: Path) -> np.ndarray:
    """The decoder before the fix, on a PCM file: whole file at its rate, offset out, then resampled."""
    raw, rate = sf.read(path, dtype="float32", always_2d=True)
    x = raw.T[:2]
    x = np.ascontiguousarray(x - x.mean(axis=-1, keepdims=True, dtype=np.float64), dtype=np.float32)
    left, right = x[0].astype(np.float64), x[1].astype(np.float64)
    if np.dot(left, right) / np.sqrt(np.dot(left, left) * np.dot(right, right)) > 0.98:
        x = x[:1]
    return np.clip(resample(x, rate, MODEL_SAMPLE_RATE), -1.0, 1.0)


@pytest.mark.parametrize("rate", [44_100, 48_000])
@pytest.mark.parametrize("dual_mono", [False, True])
def test_streamed_decode_equals_the_whole_file_decode(tmp_path, rate, dual_mono):
    rng = np.random.default_rng(rate)
    t = np.arange(int(6.3 * rate)) / rate  # several decoder blocks
    left = 0.4 * np.sin(2 * np.pi * 440 * t) * (1 + np.sin(2 * np.pi * 0.5 * t)) / 2 + 0.15  # with a DC offset
    right = left - 0.15 if dual_mono else 0.3 * rng.standard_normal(len(t)).clip(-3, 3) / 3 - 0.05
    path = tmp_path / "call.flac"
    sf.write(path, np.stack([left, right], axis=1), rate, subtype="PCM_16")
    audio = decode(path)
    expected = _whole_array_decode(path)
    assert audio.samples.shape == expected.shape and audio.channels == (1 if dual_mono else 2)
    assert audio.samples.flags.c_contiguous and audio.samples.dtype == np.float32
    np.testing.assert_allclose(audio.samples, expected, atol=1e-5)
    # The offset is gone everywhere, the ends included (where the resampling filter tapers).
    assert abs(float(audio.samples[0].mean())) < 1e-3 and abs(float(audio.samples[0, :50].mean())) < 0.05


# A fresh process imports what decoding needs, notes its resident size, decodes argv[1] and reports
# its own high-water mark (VmHWM: since exec). Not ru_maxrss: subprocess starts children with vfork,
# and exec carries the parent's (pytest's) high-water mark into the child's ru_maxrss.
_CHILD = """
import sys
import av, numpy, scipy.signal
from pipeline.speech.audio import decode

def status(key):
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith(key + ":"))

imports = status("VmRSS")
audio = decode(sys.argv[1])
print(imports, status("VmHWM"), audio.samples.nbytes)
"""


def _decode_in_child(path: Path) -> tuple[float, float, int]:
    """(MiB resident after the imports, MiB peak, output bytes) of decoding ``path`` in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", _CHILD, str(path)], env=env, capture_output=True, cwd=REPO, check=True)
    imports_kb, peak_kb, output_bytes = map(int, done.stdout.split())
    return imports_kb / 1024, peak_kb / 1024, output_bytes


# The bound stated in the README is output + 20 MiB (measured work space: 9-11 MiB);
# here it is doubled so that a busy machine cannot make the test flaky.
WORK_SPACE_MB = 40


def test_peak_memory_follows_the_16_khz_output_not_the_files_rate(tmp_path):
    # A minute of 96 kHz stereo: 44 MB of float32 at its own rate (the old decoder held it two to
    # four times over, ~250 MB), 7.3 MB at 16 kHz.
    rate, seconds = 96_000, 60
    path = tmp_path / "long.wav"
    with sf.SoundFile(path, "w", samplerate=rate, channels=2, subtype="PCM_16") as f:
        for start in range(0, rate * seconds, rate * 10):
            t = (start + np.arange(rate * 10)) / rate
            f.write(np.stack([0.5 * np.sin(2 * np.pi * 300 * t), 0.4 * np.sin(2 * np.pi * 470 * t)], axis=1))
    baseline, peak, output_bytes = _decode_in_child(path)
    output_mb = output_bytes / 1024**2
    assert output_bytes == 2 * MODEL_SAMPLE_RATE * seconds * 4
    assert peak - baseline < output_mb + WORK_SPACE_MB, json.dumps(
        {"baseline": baseline, "peak": peak, "output": output_mb}
    )


def test_a_header_that_understates_the_length_loses_nothing(tmp_path):
    # The output buffer is sized from the header's length; 3 s behind a header that says 0.5 s
    # must make it grow (twice), not cut the call.
    rate = 48_000
    t = np.arange(3 * rate) / rate
    path = tmp_path / "understated.flac"
    sf.write(path, np.stack([0.5 * np.sin(2 * np.pi * 440 * t), 0.3 * np.sin(2 * np.pi * 700 * t)], axis=1), rate,
             subtype="PCM_16")
    expected = _whole_array_decode(path)
    data = bytearray(path.read_bytes())
    (packed,) = struct.unpack(">Q", data[18:26])
    data[18:26] = struct.pack(">Q", (packed & ~((1 << 36) - 1)) | rate // 2)
    path.write_bytes(bytes(data))
    audio = decode(path)
    assert audio.samples.shape == expected.shape == (2, 3 * MODEL_SAMPLE_RATE)
    np.testing.assert_allclose(audio.samples, expected, atol=1e-5)
