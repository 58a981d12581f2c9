"""Personal data in transcripts: found the way people say it and Whisper writes it, then masked."""

__all__ = [
    "context",
    "entities",
    "numbers",
    "pii",
]
