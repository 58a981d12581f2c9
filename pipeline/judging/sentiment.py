"""Call-level sentiment from the parties' segments: the customer's trajectory and the operator's tone.

Each operator and customer segment is scored once (models/sentiment.py); "unknown"
speaker segments are ignored. Scores are weighted by words, so a long utterance counts
more than a "yes":

- ``operator_mean``: the word-weighted mean over all operator segments.
- ``customer_start`` / ``customer_end``: the customer's words are laid end to end in
  time order; every word carries its segment's score. ``customer_start`` is the mean
  over the first third of those words (rounded up), ``customer_end`` over the last
  third. A segment that straddles a boundary counts with the words it has inside.
- A customer who barely speaks (fewer than ``MIN_CUSTOMER_WORDS`` words, or a single
  segment) has no trajectory: both are None. A party that never speaks gets None.
"""

from __future__ import annotations

import math
import re
from typing import Sequence

from models.sentiment import SentimentModel, load_sentiment
from pipeline.records import CallSentiment, Segment

# A third of a call averages several utterances, so it sits nearer 0 than one utterance does:
# its label uses a wider neutral band than a single text's ±0.05 (chosen on benchmarks/qa.py's
# development set, where ±0.05 called plain acknowledgements positive or negative).
CALL_NEUTRAL_BAND = 0.15
MIN_CUSTOMER_WORDS = 6
MIN_CUSTOMER_SEGMENTS = 2
_WORD = re.compile(r"\w+")


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def _weighted_mean(pairs: Sequence[tuple[float, float]]) -> float | None:
    total = sum(weight for _, weight in pairs)
    if total <= 0:
        return None
    return sum(score * weight for score, weight in pairs) / total


def third_means(scored: Sequence[tuple[float, int]]) -> tuple[float, float]:
    """Word-weighted means of the first and last third of the words; ``scored`` is (score, words) in time order."""
    total = sum(words for _, words in scored)
    third = math.ceil(total / 3)
    start, end, seen = [], [], 0
    for score, words in scored:
        first, last = seen, seen + words  # this segment holds words [first, last)
        in_start = max(0, min(last, third) - first)
        in_end = max(0, last - max(first, total - third))
        if in_start:
            start.append((score, in_start))
        if in_end:
            end.append((score, in_end))
        seen = last
    start_mean, end_mean = _weighted_mean(start), _weighted_mean(end)
    if start_mean is None or end_mean is None:  # each third holds a word whenever there is one
        raise ValueError("third_means needs at least one word")
    return start_mean, end_mean


def call_sentiment(segments: Sequence[Segment], language: str, model: SentimentModel | None = None) -> CallSentiment:
    """Score the operator's and customer's segments and summarise them for the call."""
    model = model or load_sentiment(language)
    known = [i for i, s in enumerate(segments) if s.speaker in ("operator", "customer") and s.text.strip()]
    scores = [0.0] * len(segments)
    for i, score in zip(known, model.score([segments[i].text for i in known])):
        scores[i] = max(-1.0, min(1.0, float(score)))

    def party(speaker: str) -> list[tuple[float, int]]:
        order = sorted((i for i in known if segments[i].speaker == speaker), key=lambda i: segments[i].start)
        return [(scores[i], word_count(segments[i].text)) for i in order if word_count(segments[i].text)]

    operator = party("operator")
    customer = party("customer")
    operator_mean = _weighted_mean(operator)
    start = end = None
    if len(customer) >= MIN_CUSTOMER_SEGMENTS and sum(w for _, w in customer) >= MIN_CUSTOMER_WORDS:
        start, end = third_means(customer)
    return CallSentiment(start, end, operator_mean, tuple(scores))
