"""The stages a recording goes through: audio -> segments (speech) -> verdicts (judging) -> insights.

Knows nothing of Prefect, Streamlit, HTTP or DuckDB.
"""

__all__ = [
    "insights",
    "intake",
    "judging",
    "privacy",
    "speech",
    "stats",
    "text",
    "analyze",
    "errors",
    "intervals",
    "record_codec",
    "records",
    "yaml_checks",
]
