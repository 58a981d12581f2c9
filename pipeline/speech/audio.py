"""Audio in: decode any container/codec PyAV (ffmpeg) reads, resample to 16 kHz.

Channels are kept apart: on stereo telephone recordings each party has its own
channel, which makes speaker attribution exact.

Memory stays bounded by the output: the header is checked first (rate, declared length), then
each decoded frame is resampled to 16 kHz as it arrives (``pipeline.speech.resampling``), so nothing
is held at the file's own rate. A 1.7 MB FLAC of 20 minutes of silence at 384 kHz used to take
8.6 GiB; it is now refused before any frame is decoded, and a 96 kHz stereo call costs what the
same call at 16 kHz costs (``benchmarks/decode_memory.py`` measures it).
"""

from __future__ import annotations

import math
import mmap
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.sample_rate import SAMPLE_RATE as MODEL_SAMPLE_RATE  # decoding's output rate is the models' rate
from pipeline.errors import NotAudio, UnusableAudio
from pipeline.records import DecodedAudio
from pipeline.speech.resampling import StreamingResampler, resample

__all__ = ["MODEL_SAMPLE_RATE", "AudioLimits", "decode", "resample"]

# A channel whose peak stays below this is treated as silent (digital silence or line hiss).
SILENCE_PEAK_DBFS = -50.0
# Shorter than this is no conversation (a hang-up, a click).
MIN_DURATION_S = 0.5
# Output samples handled at once when the finished 16 kHz signal is corrected or moved (~0.5 MB).
_SPAN = 1 << 16
# Source frames gathered before they are checked, counted and resampled together (PyAV's frames
# are often 1024 samples: per-frame work would cost more than the decoding).
_GATHER = 1 << 16


@dataclass(frozen=True)
class AudioLimits:
    max_duration_s: float = 4 * 3600.0
    max_file_bytes: int = 2 * 1024**3
    max_channels_kept: int = 2
    # Telephony is 8-16 kHz and studio recorders stop at 192 kHz; a higher rate is no call recording,
    # and at 384 kHz a few MB of FLAC silence is gigabytes of samples.
    max_sample_rate: int = 192_000


def _dbfs(peak: float) -> float:
    return 20.0 * math.log10(max(peak, 1e-10))


def decode(path: str | os.PathLike, limits: AudioLimits = AudioLimits()) -> DecodedAudio:
    """Decode ``path`` to float32 PCM at :data:`MODEL_SAMPLE_RATE`, one row per channel.

    Raises :class:`NotAudio` for empty, corrupt or non-audio files and
    :class:`UnusableAudio` for audio that is silent, longer than allowed or at an absurd rate.
    Peak memory is the 16 kHz result plus a few MB of work space, whatever the file's rate.
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
        source_rate = stream.codec_context.sample_rate or stream.sample_rate
        codec = stream.codec_context.name
        source_channels = stream.codec_context.channels
        if not source_rate or not source_channels:
            raise NotAudio("audio stream without sample rate or channels")
        # The header's word, before a single frame is decoded.
        if source_rate > limits.max_sample_rate:
            raise UnusableAudio(f"sample rate {source_rate} Hz is above the limit of {limits.max_sample_rate} Hz")
        declared = _declared_duration(container, stream)
        if declared is not None and declared > limits.max_duration_s:
            raise UnusableAudio(f"recording too long ({declared / 3600:.1f} h > {limits.max_duration_s / 3600:.1f} h)")
        kept = min(int(source_channels), limits.max_channels_kept)
        try:
            decoded = _decode_stream(av, container, stream, int(source_rate), kept, declared, limits)
        except av.error.FFmpegError as err:
            raise NotAudio(f"corrupt audio data ({_short(err)})") from err

    buffer, resampler, stats = decoded
    # Before the channels are compared: a DC offset on both would make any two channels look alike.
    # Cheap recorders and some PBX legs add one of up to a fifth of full scale; left in, it also shifts
    # every level measurement (VAD, crosstalk, clipping). Only the mean is taken out.
    keep = 1 if kept == 2 and stats.same_channels() else kept  # "stereo" carrying one signal twice is mono
    samples = buffer.take(keep)
    _remove_offset(samples, stats.means()[:keep], resampler)

    peak = max(float(samples.max()), -float(samples.min()))
    if samples.shape[1] < MIN_DURATION_S * MODEL_SAMPLE_RATE:
        raise UnusableAudio(f"recording too short ({samples.shape[1] / MODEL_SAMPLE_RATE:.2f} s < {MIN_DURATION_S} s)")
    if _dbfs(peak) < SILENCE_PEAK_DBFS:
        raise UnusableAudio(f"silent recording (peak {_dbfs(peak):.0f} dBFS)")
    np.clip(samples, -1.0, 1.0, out=samples)
    return DecodedAudio(
        samples=samples,
        sample_rate=MODEL_SAMPLE_RATE,
        source_sample_rate=int(source_rate),
        source_channels=int(source_channels),
        codec=codec,
    )


def _decode_stream(av, container, stream, source_rate: int, kept: int, declared: float | None, limits: AudioLimits):
    """Frames -> float32 at the source rate, a block at a time -> 16 kHz output; statistics on the way."""
    # Convert every frame to planar float at the source rate and layout; the rate is changed below.
    converter = av.AudioResampler(format="fltp", layout=stream.layout.name, rate=source_rate)
    resampler = StreamingResampler(source_rate, MODEL_SAMPLE_RATE, kept)
    stats = _ChannelStats(kept)
    # Room for the header's length, or up to the limit when it states none: pages never written never
    # become resident, so the reserve costs address space, not memory, and spares the buffer a growth
    # (growing copies it: twice the output for a moment). Only a header that understates makes it grow.
    expected = declared if declared is not None else limits.max_duration_s
    out = _Output(kept, resampler.out_frames(int(expected * source_rate * 1.02) + source_rate))
    max_frames = int(limits.max_duration_s * source_rate) + source_rate

    gathered: list[np.ndarray] = []
    frames = waiting = 0

    def push() -> None:
        nonlocal waiting
        waiting = 0
        block = np.concatenate(gathered, axis=1) if len(gathered) > 1 else gathered[0]
        gathered.clear()
        if not np.all(np.isfinite(block)):
            block = np.nan_to_num(block, nan=0.0, posinf=0.0, neginf=0.0)
        stats.add(block)
        ready = resampler.feed(block)
        if ready is not None:
            out.append(ready)

    def take(frame) -> None:
        nonlocal frames, waiting
        gathered.append(np.ascontiguousarray(frame.to_ndarray()[:kept], dtype=np.float32))
        frames += gathered[-1].shape[1]
        waiting += gathered[-1].shape[1]
        if waiting >= _GATHER:
            push()

    for frame in container.decode(stream):
        for converted in converter.resample(frame):
            take(converted)
        if frames > max_frames:
            raise UnusableAudio(f"recording too long (> {limits.max_duration_s / 3600:.1f} h)")
    for converted in converter.resample(None):
        take(converted)
    if gathered:
        push()
    if resampler.frames_in == 0:
        raise NotAudio("no audio samples could be decoded")
    out.append(resampler.finish())
    return out, resampler, stats


class _ChannelStats:
    """Running sums over the source-rate samples: each channel's mean, and whether two channels
    carry one signal (correlation of the mean-free channels, as the whole arrays would give)."""

    def __init__(self, channels: int):
        self.n = 0
        self.sums = np.zeros(channels)
        self.gram = np.zeros((channels, channels))
        self.identical = channels == 2

    def add(self, block: np.ndarray) -> None:
        wide = block.astype(np.float64)
        self.n += block.shape[1]
        self.sums += wide.sum(axis=1)
        self.gram += wide @ wide.T
        if self.identical:
            self.identical = bool(np.array_equal(block[0], block[1]))

    def means(self) -> np.ndarray:
        return self.sums / max(self.n, 1)

    def same_channels(self) -> bool:
        """True when both channels carry the same signal (a mono call saved as stereo)."""
        mean = self.means()
        cov = self.gram - self.n * np.outer(mean, mean)
        # Below the sums' rounding a channel is constant: its offset gone, nothing is left of it.
        flat = [cov[c, c] <= 1e-9 * max(self.gram[c, c], 1e-30) for c in range(2)]
        if any(flat):
            return all(flat) or self.identical
        # One party per channel with some crosstalk correlates far below this.
        return float(cov[0, 1] / math.sqrt(cov[0, 0] * cov[1, 1])) > 0.98


class _Output:
    """The 16 kHz output, one row per channel in one flat buffer, grown rarely and trimmed in place.

    Pages never written never become resident, so reserving room from the header's length (or up to
    the limit) costs address space, not memory. The buffer is an anonymous private mapping where the
    platform has one: pages can then be handed back as soon as they are no longer needed (madvise),
    so moving row 1 next to row 0 at the end never holds a row twice.
    """

    def __init__(self, channels: int, capacity: int):
        self.channels, self.frames = channels, 0
        try:
            self._allocate(max(int(capacity), 1))
        except (MemoryError, OSError):  # a host that commits memory strictly: start small and grow
            self._allocate(MODEL_SAMPLE_RATE * 60)

    def _allocate(self, capacity: int) -> None:
        self.capacity = capacity
        self.map, self.flat = _reserve(self.channels * capacity)

    def append(self, block: np.ndarray) -> None:
        k = block.shape[1]
        if self.frames + k > self.capacity:
            self._grow(max(self.frames + k, int(self.capacity * 1.5)))
        self.flat.reshape(self.channels, self.capacity)[:, self.frames : self.frames + k] = block
        self.frames += k

    def _grow(self, capacity: int) -> None:  # only behind a header that understates the length
        old, old_capacity = self.flat, self.capacity
        self._allocate(capacity)
        self.flat.reshape(self.channels, capacity)[:, : self.frames] = old.reshape(self.channels, old_capacity)[
            :, : self.frames
        ]

    def take(self, keep: int) -> np.ndarray:
        """The first ``keep`` rows as a C-contiguous (keep, frames) array; the rest is released."""
        n, capacity, flat, mapping = self.frames, self.capacity, self.flat, self.map
        del self.flat, self.map  # the buffer leaves with the result: this output keeps no reference to it
        for c in range(1, keep):  # row c moves left from c*capacity to c*n, a span at a time
            for a in range(0, n, _SPAN):
                b = min(n, a + _SPAN)
                flat[c * n + a : c * n + b] = flat[c * capacity + a : c * capacity + b]
                if mapping is not None:  # the moved span's old pages, where no kept sample lives
                    _release(mapping, max(c * capacity + a, keep * n), c * capacity + b)
        if mapping is None:
            flat.resize(keep * n, refcheck=False)  # no views exist; a shrinking realloc returns the pages
            return flat.reshape(keep, n)
        _release(mapping, keep * n, len(mapping) // 4)  # dropped rows and spare room
        del flat
        return np.frombuffer(mapping, dtype=np.float32, count=keep * n).reshape(keep, n)


def _reserve(floats: int) -> tuple[mmap.mmap | None, np.ndarray]:
    """Room for ``floats`` float32 values: an anonymous private mapping where pages can be handed
    back (Linux, macOS), else a plain numpy array."""
    if hasattr(mmap, "MAP_ANONYMOUS") and hasattr(mmap, "MADV_DONTNEED"):
        mapping = mmap.mmap(-1, max(floats, 1) * 4, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        return mapping, np.frombuffer(mapping, dtype=np.float32, count=floats)
    return None, np.empty(floats, dtype=np.float32)


def _release(mapping: mmap.mmap, start: int, stop: int) -> None:
    """Hand back the whole pages between float ``start`` and ``stop``; they read as zeros after."""
    first = -(-start * 4 // mmap.PAGESIZE) * mmap.PAGESIZE
    last = stop * 4 // mmap.PAGESIZE * mmap.PAGESIZE
    if last > first:
        mapping.madvise(mmap.MADV_DONTNEED, first, last - first)


def _remove_offset(samples: np.ndarray, means: np.ndarray, resampler: StreamingResampler) -> None:
    """Take each channel's source-rate mean out of its 16 kHz samples, in place.

    Resampling is linear, so resampling (x - mean) equals resampling x minus the mean times the
    resampled constant: 1 inside the recording, tapering where the filter meets its ends.
    """
    for a in range(0, samples.shape[1], _SPAN):
        b = min(samples.shape[1], a + _SPAN)
        ones = resampler.ones_response(a, b)
        samples[:, a:b] = samples[:, a:b] - means[:, None] * ones


def _declared_duration(container, stream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return None


def _short(err: Exception) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return text[:160]
