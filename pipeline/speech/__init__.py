"""Where a recording becomes segments: decoding, voice activity, ASR per channel, hallucination guards, roles."""

__all__ = [
    "audio",
    "crosstalk",
    "guards",
    "heard_speech",
    "resampling",
    "speakers",
    "timeline",
    "transcribe",
]
