"""Accuracy measures shared by tests and benchmarks."""

from __future__ import annotations

import re

from rapidfuzz.distance import Levenshtein


def normalize_text(text: str) -> list[str]:
    """Lower case, no punctuation, ё -> е; returns the words."""
    text = text.lower().replace("ё", "е").replace("’", "'")
    text = re.sub(r"[^\w\s']", " ", text)
    return [w.strip("'") for w in text.split() if w.strip("'")]


def word_error_rate(reference: str, hypothesis: str) -> float:
    ref, hyp = normalize_text(reference), normalize_text(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return Levenshtein.distance(ref, hyp) / len(ref)
