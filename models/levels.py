"""Signal levels of a channel, block by block: what the VAD and the level checks read before any model.

Kept beside the models because the VAD (``models.vad``) reads them as much as the speech stages do.
"""

from __future__ import annotations

import numpy as np

_CHUNK_BLOCKS = 4096  # blocks squared at a time: a two-hour channel is never copied whole to float64

# The level of a channel's loud speech is the level its loudest 2% of blocks reach, but never below
# its loudest LOUD_SPEECH_S seconds: a two-hour recording with a minute of talk has far less than 2%
# of speech, and its 98th percentile was the silence itself (every block then passed for speech).
LOUD_SHARE = 0.02
LOUD_SPEECH_S = 10.0


def block_db(samples: np.ndarray, block: int) -> np.ndarray:
    """RMS level of each whole block of ``block`` samples, dBFS (the tail shorter than a block is left out)."""
    n = len(samples) // block
    blocks = samples[: n * block].reshape(n, block)
    power = np.empty(n, dtype=np.float64)
    for i in range(0, n, _CHUNK_BLOCKS):
        part = blocks[i : i + _CHUNK_BLOCKS].astype(np.float64)
        power[i : i + _CHUNK_BLOCKS] = np.einsum("ij,ij->i", part, part) / block
    return 20 * np.log10(np.sqrt(power + 1e-12))


def loud_level_db(levels: np.ndarray, block_s: float) -> float:
    """The level of the channel's loud speech, from its ``block_db`` levels of ``block_s`` seconds."""
    if levels.size == 0:
        return float("-inf")
    share = min(LOUD_SHARE, LOUD_SPEECH_S / (levels.size * block_s))
    return float(np.percentile(levels, 100 * (1 - share)))
