"""Figures over many calls: groups compared with an honest word on noise, run alerts, the retention policy,
contact-centre KPIs from call detail records."""

__all__ = [
    "alerts",
    "cdr_kpis",
    "group_comparison",
    "rater_agreement",
    "retention",
]
