"""The offline models at the bottom of the stack: ASR, diarization, VAD, NER, lemmas, sentiment, embeddings."""

__all__ = [
    "asr",
    "diarization",
    "embeddings",
    "ner",
    "nlp",
    "segmentation",
    "sentiment",
    "vad",
    "weights",
    "whisper_convert",
]
