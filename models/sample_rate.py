"""The one sample rate every speech model here takes (Whisper, Silero VAD, pyannote), and decoding produces."""

SAMPLE_RATE = 16_000
