"""Stereo crosstalk: one party's voice leaking, much quieter, into the other's channel.

Telephone recorders put each party on its own channel, but echo and bleed
copy some of each voice onto the other. Transcribing the leak would give the
operator the customer's words. Where a channel is far quieter than the other
at the same moment, it is carrying the other party: those frames are muted.
Both parties speaking at once (overtalk) stay, since both channels are loud.
"""

from __future__ import annotations

import numpy as np

from models.levels import block_db

FRAME_S = 0.02
# A channel this much quieter than the other in a frame is taken for bleed there.
BLEED_MARGIN_DB = 15.0
# Frames quieter than this on the louder channel are silence, not speech that can bleed.
SPEECH_FLOOR_DBFS = -45.0


def _smooth_mask(mute: np.ndarray, frame: int, length: int) -> np.ndarray:
    """Per-sample gain: 0 in muted frames, with 10 ms ramps so no clicks are introduced."""
    gain = np.repeat((~mute).astype(np.float32), frame)
    gain = np.concatenate([gain, np.ones(length - len(gain), dtype=np.float32)])
    ramp = max(1, frame // 2)
    kernel = np.ones(ramp, dtype=np.float32) / ramp
    return np.clip(np.convolve(gain, kernel, mode="same"), 0.0, 1.0)


# How far above the measured leak a frame must be to be the channel's own speech.
LEAK_MARGIN_DB = 6.0
# A leak louder than this (source level minus leak level, dB) is not bleed but a second microphone.
MIN_LEAK_LOSS_DB = 12.0


def _explained_by_leak(src_db: np.ndarray, dst_db: np.ndarray, local_max) -> np.ndarray:
    """Frames of the destination channel no louder than the source channel's leak into it.

    The leak's loss is measured where the source speaks loudly (its top frames): there the
    destination carries the leak, or its own speech on top (overtalk), which only makes the
    difference smaller. The leak is the large, steady difference: its 90th percentile, so
    that a call full of overtalk does not pass for a loud leak. Where the destination has its
    own speech, it is louder than the leak by far more than ``LEAK_MARGIN_DB``.
    """
    loud = src_db > max(np.percentile(src_db, 95) - 6.0, SPEECH_FLOOR_DBFS)
    if loud.sum() < 10:
        return np.zeros(len(dst_db), dtype=bool)
    loss = max(float(np.percentile(src_db[loud] - dst_db[loud], 90)), MIN_LEAK_LOSS_DB)
    source = local_max(src_db)
    return (source > SPEECH_FLOOR_DBFS) & (dst_db < source - loss + LEAK_MARGIN_DB)


def gate_crosstalk(
    left: np.ndarray, right: np.ndarray, sample_rate: int
) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Mute each channel where it only carries the other party's bleed.

    Returns the gated channels and the share of frames muted in each.
    """
    frame = int(FRAME_S * sample_rate)
    db_l, db_r = block_db(left, frame), block_db(right, frame)
    # Bleed lags and smears a little: compare against the other channel's local maximum.
    def local_max(db: np.ndarray) -> np.ndarray:
        padded = np.pad(db, 2, mode="edge")
        return np.max(np.stack([padded[i : i + len(db)] for i in range(5)]), axis=0)

    # Compare levels relative to each channel's own speech level, so a quiet microphone's
    # real speech during overtalk is not mistaken for bleed from a loud one.
    rel_l = db_l - np.percentile(db_l, 95)
    rel_r = db_r - np.percentile(db_r, 95)
    mute_l = (local_max(db_r) > SPEECH_FLOOR_DBFS) & (rel_l < local_max(rel_r) - BLEED_MARGIN_DB)
    mute_r = (local_max(db_l) > SPEECH_FLOOR_DBFS) & (rel_r < local_max(rel_l) - BLEED_MARGIN_DB)
    # Channels recorded at different levels (6-10 dB apart is common) skew the relative rule above:
    # also mute what is no louder than the other channel's measured leak into this one.
    mute_l |= _explained_by_leak(db_r, db_l, local_max)
    mute_r |= _explained_by_leak(db_l, db_r, local_max)
    gated_l = left * _smooth_mask(mute_l, frame, len(left))
    gated_r = right * _smooth_mask(mute_r, frame, len(right))
    return gated_l.astype(np.float32), gated_r.astype(np.float32), float(mute_l.mean()), float(mute_r.mean())
