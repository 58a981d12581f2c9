"""The stages a recording goes through, with no knowledge of Prefect, Streamlit, HTTP or DuckDB: audio -> segments (speech) -> verdicts (judging) -> insights."""

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
