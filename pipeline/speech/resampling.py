"""Band-limited resampling, whole or streamed, with one filter.

:func:`resample` is scipy's ``resample_poly`` (polyphase FIR, Kaiser window, beta 8).
:class:`StreamingResampler` gives the same output block by block, so a recording is resampled
while it is decoded and never held at its own rate: a 20-minute file at 384 kHz would be 1.8 GB
of float32 before resampling, the same call at 16 kHz 77 MB. Each block is filtered with scipy's
``upfirdn`` on a window of input that starts at a multiple of the decimation factor, which puts
every output sample on the same filter phase and the same input samples as the whole-array call.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.signal import firwin, resample_poly, upfirdn

WINDOW = ("kaiser", 8.0)
# Input frames gathered before a block is filtered: large enough that the overlap kept between
# blocks (the filter's length in input frames) is a small share, small enough to stay a few MB.
BLOCK_FRAMES = 1 << 16


def resample(samples: np.ndarray, source_rate: int, target_rate: int) -> np.ndarray:
    """Band-limited resampling (polyphase FIR with a Kaiser window), per channel."""
    if source_rate == target_rate:
        return np.ascontiguousarray(samples, dtype=np.float32)
    g = math.gcd(int(source_rate), int(target_rate))
    out = resample_poly(samples, target_rate // g, source_rate // g, axis=-1, window=WINDOW)
    return np.ascontiguousarray(out, dtype=np.float32)


class StreamingResampler:
    """``resample`` fed in pieces: ``feed`` any number of (channels, frames) float32 blocks, then
    ``finish``; the blocks returned, joined, equal ``resample`` of the joined input.

    Memory held between calls: the filter and about one block of input.
    """

    def __init__(self, source_rate: int, target_rate: int, channels: int):
        g = math.gcd(int(source_rate), int(target_rate))
        self.up, self.down = int(target_rate) // g, int(source_rate) // g
        self.channels = channels
        self.frames_in = 0
        self._pending: list[np.ndarray] = []
        self._pending_frames = 0
        if self.passthrough:
            return
        # The filter exactly as resample_poly designs it for float32 input (it casts h to x's dtype).
        half_len = 10 * max(self.up, self.down)
        h = np.asarray(firwin(2 * half_len + 1, 1.0 / max(self.up, self.down), window=WINDOW), dtype=np.float32)
        h *= self.up
        n_pre_pad = self.down - half_len % self.down
        self.h = np.concatenate((np.zeros(n_pre_pad, dtype=h.dtype), h))
        # Output index, in upfirdn's numbering of the whole signal, of the first sample resample_poly keeps.
        self._first_out = (half_len + n_pre_pad) // self.down
        self._next_out = self._first_out
        self._base = 0  # input frame index of the first frame still held; always a multiple of `down`
        self._held = np.zeros((channels, 0), dtype=np.float32)
        self._cums: np.ndarray | None = None

    @property
    def passthrough(self) -> bool:
        return self.up == self.down

    def out_frames(self, frames_in: int) -> int:
        """Output length for ``frames_in`` input frames (resample_poly's: ceil(n * up / down))."""
        return -(-frames_in * self.up // self.down)

    def feed(self, block: np.ndarray) -> np.ndarray | None:
        """Take (channels, frames) float32; return the output that is now final, or None."""
        self.frames_in += block.shape[1]
        if self.passthrough:
            return block
        self._pending.append(block)
        self._pending_frames += block.shape[1]
        if self._pending_frames < BLOCK_FRAMES:
            return None
        return self._filter(final=False)

    def finish(self) -> np.ndarray:
        """The rest of the output (the input's end is followed by zeros, as in resample_poly)."""
        if self.passthrough:
            return np.zeros((self.channels, 0), dtype=np.float32)
        return self._filter(final=True)

    def _filter(self, final: bool) -> np.ndarray:
        up, down, taps = self.up, self.down, len(self.h)
        held = np.concatenate([self._held, *self._pending], axis=1)
        self._pending, self._pending_frames = [], 0
        end = self._base + held.shape[1]  # one past the last input frame held
        if final:
            last = self._first_out + self.out_frames(self.frames_in) - 1
            # Zeros after the end, enough for the last output's whole filter span.
            held = np.concatenate([held, np.zeros((self.channels, taps // up + 2), dtype=np.float32)], axis=1)
        else:
            # The last output whose input frames (up to floor(j * down / up)) have all arrived.
            last = (end * up - 1) // down
        if last < self._next_out:
            self._held = held if not final else self._held
            return np.zeros((self.channels, 0), dtype=np.float32)
        y = upfirdn(self.h, held, up, down, axis=-1)
        offset = self._base * up // down  # exact: _base is a multiple of down
        out = np.ascontiguousarray(y[:, self._next_out - offset : last + 1 - offset], dtype=np.float32)
        self._next_out = last + 1
        # Keep from the first input frame the next output reads, rounded down to a multiple of down.
        first_needed = max(0, -(-(self._next_out * down - (taps - 1)) // up))
        new_base = max(self._base, first_needed // down * down)
        self._held = held[:, new_base - self._base : end - self._base].copy()
        self._base = new_base
        return out

    def _phase_sums(self) -> np.ndarray:
        """Per filter phase p, the running sums of its taps h[p], h[p+up], ... (leading 0)."""
        if self._cums is None:
            per_phase = -(-len(self.h) // self.up)
            padded = np.zeros(self.up * per_phase, dtype=np.float64)
            padded[: len(self.h)] = self.h
            # Row p holds taps p, p+up, ...: the padded filter read as (per_phase, up), transposed.
            table = padded.reshape(per_phase, self.up).T
            self._cums = np.concatenate([np.zeros((self.up, 1)), np.cumsum(table, axis=1)], axis=1)
        return self._cums

    def ones_response(self, start: int, stop: int) -> np.ndarray:
        """Output ``start:stop`` (kept numbering) of resampling a constant 1.0 as long as the input.

        Resampling is linear, so a recording's DC offset can be taken out after resampling: the
        offset times this response, which is 1 inside the recording and tapers at both ends.
        """
        if self.passthrough:
            return np.ones(stop - start)
        up, down, taps, n_in = self.up, self.down, len(self.h), self.frames_in
        j = np.arange(start, stop, dtype=np.int64) + self._first_out
        jd = j * down
        phase = jd % up
        # Taps i = phase + t*up read input frame (jd - i) / up, which must lie in 0 .. n_in-1.
        i_lo = np.maximum(0, jd - (n_in - 1) * up)
        i_hi = np.minimum(taps - 1, jd)
        t_lo = np.maximum(0, -(-(i_lo - phase) // up))
        t_hi = (i_hi - phase) // up
        per_phase = -(-taps // up)
        cums = self._phase_sums()
        t_hi_c = np.clip(t_hi, -1, per_phase - 1)
        value = cums[phase, t_hi_c + 1] - cums[phase, np.minimum(t_lo, per_phase)]
        return np.where(t_hi >= t_lo, value, 0.0)
