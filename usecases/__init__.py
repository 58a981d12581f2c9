"""What the product does, as plain functions over settings, the pipeline and storage: the CLI, flows and app call these."""

__all__ = [
    "reports",
    "rescore",
    "retention",
    "runtime",
    "satisfaction",
    "settings",
]
