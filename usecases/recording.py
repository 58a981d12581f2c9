"""The call's recording as the browser's player gets it: whole, with masked moments muted, as a small ``data:`` URL.

Why a ``data:`` URL: Streamlit serves what ``st.audio`` is given as bytes or a path from
``/media/<hash>``, an HTTP endpoint that checks no session and no role; whoever sees such a URL
once (a proxy log, browser history) can fetch the recording while the server holds it (issue
#15). ``st.audio`` also accepts a ``data:`` URL, which it passes to the browser as is: the bytes
then travel inside the script run's own websocket message, to the session that the login gate
let in and nowhere else, and no URL exists that another client could fetch.

To keep that message small the recording goes as Ogg Opus at 16 kHz and 24 kbit/s (voice
mode), what a telephone channel holds: about 180 kB a minute, 1.5 MB (2 MB as base64) for a
ten-minute stereo call, far below ``server.maxMessageSize`` (200 MB). The page sends it again
on each rerun of the call page, so it must stay small. Non-admins get the masked moments muted
before encoding: the unmuted recording never leaves the server for them.
"""

from __future__ import annotations

import base64
import io

import numpy as np

OPUS_RATE = 16_000  # Opus takes 8/12/16/24/48 kHz; pipeline.speech.audio.decode gives 16 kHz, wideband voice
OPUS_BITRATE = 24_000
# libopus effort 0-10: 2 encodes a ten-minute stereo call about twice as fast as the default 10,
# at the same size; for telephone speech the difference is not audible.
OPUS_COMPLEXITY = "2"
MIME = "audio/ogg"


def silenced(samples: np.ndarray, sample_rate: int, spans: tuple[tuple[float, float], ...]) -> np.ndarray:
    """``samples`` (channels x frames) with every ``(start, end)`` second span set to silence."""
    out = samples.copy()
    for start, end in spans:
        out[:, max(int(start * sample_rate), 0) : int(end * sample_rate) + 1] = 0.0
    return out


def to_ogg_opus(samples: np.ndarray, sample_rate: int) -> bytes:
    """Float samples (channels x frames, 1 or 2 channels) as an Ogg Opus file at :data:`OPUS_RATE`."""
    import av  # PyAV: its bundled ffmpeg has libopus; pipeline.speech.audio decodes with it too

    from pipeline.speech.audio import resample

    if samples.ndim != 2 or samples.shape[0] not in (1, 2):
        raise ValueError(f"expected 1 or 2 channels of samples, got shape {samples.shape}")
    layout = "mono" if samples.shape[0] == 1 else "stereo"
    pcm = np.clip(resample(samples, sample_rate, OPUS_RATE), -1.0, 1.0)
    out = io.BytesIO()
    with av.open(out, "w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=OPUS_RATE, layout=layout)
        stream.bit_rate = OPUS_BITRATE
        stream.codec_context.options = {"application": "voip", "compression_level": OPUS_COMPLEXITY}
        for at in range(0, pcm.shape[1], OPUS_RATE):  # one second per frame: the encoder re-frames to 20 ms
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(pcm[:, at : at + OPUS_RATE]), format="fltp",
                                               layout=layout)
            frame.sample_rate = OPUS_RATE
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def data_url(payload: bytes, mime: str = MIME) -> str:
    return f"data:{mime};base64,{base64.b64encode(payload).decode('ascii')}"


def muted_recording(source_path: str, muted: tuple[tuple[float, float], ...]) -> bytes:
    """The recording at ``source_path`` as Ogg Opus, the ``muted`` spans (seconds) silenced (the REST API's)."""
    from pipeline.speech.audio import decode
    from usecases.settings import load_settings

    audio = decode(source_path, load_settings().audio.limits())  # the limits it was analysed under
    samples = silenced(audio.samples, audio.sample_rate, muted) if muted else audio.samples
    return to_ogg_opus(samples, audio.sample_rate)


def muted_recording_url(source_path: str, muted: tuple[tuple[float, float], ...]) -> str:
    """The recording at ``source_path`` as a ``data:`` URL for ``st.audio``, the ``muted`` spans (seconds) silenced."""
    return data_url(muted_recording(source_path, muted))
