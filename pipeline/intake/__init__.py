"""Recordings before analysis: finding them in an inbox, their content identity, who handled the call and when."""

__all__ = [
    "call_meta",
    "cdr",
    "csat_file",
    "customer_id",
    "identity",
    "inbox",
    "recorder_presets",
    "spreadsheet_csv",
]
