"""Figures over many calls: groups compared with an honest word on noise, run alerts, the retention policy."""

__all__ = [
    "alerts",
    "group_comparison",
    "rater_agreement",
    "retention",
]
