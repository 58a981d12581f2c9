"""Finding a scorecard's phrases and grammatical patterns in utterances, across word forms (Russian and English)."""

__all__ = [
    "matching",
    "negation",
    "patterns",
    "word_forms",
]
