"""What the product does, as plain functions over settings, the pipeline and storage: the CLI, flows and
app call these."""

__all__ = [
    "alerts",
    "analysis",
    "analysis_process",
    "discovery",
    "insights",
    "load",
    "reports",
    "rescore",
    "retention",
    "run_report",
    "runs",
    "runtime",
    "satisfaction",
    "settings",
    "sources",
]
