"""Audio in: decode any container/codec PyAV (ffmpeg) reads, resample to 16 kHz.

Channels are kept apart: on stereo telephone recordings each party has its own
channel, which makes speaker attribution exact.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.signal import resample_poly

from pipeline.errors import NotAudio, UnusableAudio
from pipeline.records import DecodedAudio

MODEL_SAMPLE_RATE = 16_000
# A channel whose peak stays below this is treated as silent (digital silence or line hiss).
SILENCE_PEAK_DBFS = -50.0
# Shorter than this is no conversation (a hang-up, a click).
MIN_DURATION_S = 0.5


@dataclass(frozen=True)
class AudioLimits:
    max_duration_s: float = 4 * 3600.0
    max_file_bytes: int = 2 * 1024**3
    max_channels_kept: int = 2


def _dbfs(peak: float) -> float:
    return 20.0 * math.log10(max(peak, 1e-10))


def decode(path: str | os.PathLike, limits: AudioLimits = AudioLimits()) -> DecodedAudio:
    """Decode ``path`` to float32 PCM at :data:`MODEL_SAMPLE_RATE`, one row per channel.

    Raises :class:`NotAudio` for empty, corrupt or non-audio files and
    :class:`UnusableAudio` for audio that is silent or longer than allowed.
    """
    import av  # PyAV: ships its own ffmpeg, so no system decoder is needed

    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as err:
        raise NotAudio(f"cannot read file: {err.strerror}") from err
    if size == 0:
        raise NotAudio("empty file (0 bytes)")
    if size > limits.max_file_bytes:
        raise UnusableAudio(f"file too large ({size / 1024**2:.0f} MiB > {limits.max_file_bytes / 1024**2:.0f} MiB)")

    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as err:
        raise NotAudio(f"not a readable audio file ({_short(err)})") from err

    with container:
        if not container.streams.audio:
            raise NotAudio("no audio stream in file")
        stream = container.streams.audio[0]
        declared = _declared_duration(container, stream)
        if declared is not None and declared > limits.max_duration_s:
            raise UnusableAudio(f"recording too long ({declared / 3600:.1f} h > {limits.max_duration_s / 3600:.1f} h)")
        source_rate = stream.codec_context.sample_rate or stream.sample_rate
        codec = stream.codec_context.name
        source_channels = stream.codec_context.channels
        if not source_rate or not source_channels:
            raise NotAudio("audio stream without sample rate or channels")
        # Convert every frame to planar float at the source rate and layout; resampling is done below.
        resampler = av.AudioResampler(format="fltp", layout=stream.layout.name, rate=source_rate)
        chunks: list[np.ndarray] = []
        max_frames = int(limits.max_duration_s * source_rate) + source_rate
        total = 0
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    arr = out.to_ndarray()
                    chunks.append(arr)
                    total += arr.shape[1]
                if total > max_frames:
                    raise UnusableAudio(f"recording too long (> {limits.max_duration_s / 3600:.1f} h)")
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray())
        except av.error.FFmpegError as err:
            raise NotAudio(f"corrupt audio data ({_short(err)})") from err

    if not chunks or sum(c.shape[1] for c in chunks) == 0:
        raise NotAudio("no audio samples could be decoded")
    samples = np.concatenate(chunks, axis=1).astype(np.float32, copy=False)
    if not np.all(np.isfinite(samples)):
        samples = np.nan_to_num(samples, nan=0.0, posinf=0.0, neginf=0.0)
    # Before the channels are compared: a DC offset on both would make any two channels look alike.
    samples = remove_dc(samples[: limits.max_channels_kept])
    if samples.shape[0] == 2 and _same_channels(samples):
        # "Stereo" files that carry the same signal twice are mono in disguise.
        samples = samples[:1]

    samples = resample(samples, source_rate, MODEL_SAMPLE_RATE)
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    if samples.shape[1] < MIN_DURATION_S * MODEL_SAMPLE_RATE:
        raise UnusableAudio(f"recording too short ({samples.shape[1] / MODEL_SAMPLE_RATE:.2f} s < {MIN_DURATION_S} s)")
    if _dbfs(peak) < SILENCE_PEAK_DBFS:
        raise UnusableAudio(f"silent recording (peak {_dbfs(peak):.0f} dBFS)")
    return DecodedAudio(
        samples=np.clip(samples, -1.0, 1.0),
        sample_rate=MODEL_SAMPLE_RATE,
        source_sample_rate=int(source_rate),
        source_channels=int(source_channels),
        codec=codec,
    )


def resample(samples: np.ndarray, source_rate: int, target_rate: int) -> np.ndarray:
    """Band-limited resampling (polyphase FIR with a Kaiser window), per channel."""
    if source_rate == target_rate:
        return np.ascontiguousarray(samples, dtype=np.float32)
    g = math.gcd(int(source_rate), int(target_rate))
    out = resample_poly(samples, target_rate // g, source_rate // g, axis=-1, window=("kaiser", 8.0))
    return np.ascontiguousarray(out, dtype=np.float32)


def remove_dc(samples: np.ndarray) -> np.ndarray:
    """Per channel, the constant (DC) offset removed.

    Cheap recorders and some PBX legs add a DC offset of up to a fifth of full scale: left in, it
    makes any two channels look alike (a stereo call taken for mono) and shifts every level
    measurement (VAD, crosstalk, clipping). Only the mean is taken out: a recording without an
    offset reaches the models exactly as it was.
    """
    return np.ascontiguousarray(samples - samples.mean(axis=-1, keepdims=True, dtype=np.float64), dtype=np.float32)


def _same_channels(samples: np.ndarray) -> bool:
    """True when both channels carry the same signal (a mono call saved as stereo)."""
    left, right = samples[0].astype(np.float64), samples[1].astype(np.float64)
    energy = float(np.sqrt(np.dot(left, left) * np.dot(right, right)))
    if energy == 0.0:
        return bool(np.array_equal(left, right))
    # One party per channel with some crosstalk correlates far below this.
    return float(np.dot(left, right)) / energy > 0.98


def _declared_duration(container, stream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return None


def _short(err: Exception) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return text[:160]
