"""Where a criterion is judged: scorecards, verdicts with evidence and a score, conversation metrics, sentiment."""

__all__ = [
    "assess",
    "metrics",
    "scorecard",
    "scoring",
    "sentiment",
]
