"""The period picker shared by the pages: a date range in the sidebar, as [since, until)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import streamlit as st

DEFAULT_DAYS = 30


def period_input(key: str, first: datetime | None = None, last: datetime | None = None,
                 days: int = DEFAULT_DAYS) -> tuple[datetime, datetime]:
    """A date range (inclusive days) defaulting to the last ``days`` days of data; returns [since, until)."""
    end = (last or datetime.now()).date()
    start = max(end - timedelta(days=days - 1), first.date()) if first else end - timedelta(days=days - 1)
    picked = st.date_input("Period", value=(start, end), key=key, format="YYYY-MM-DD")
    if isinstance(picked, (tuple, list)):
        since_day: date = picked[0] if picked else start
        until_day: date = picked[1] if len(picked) > 1 else since_day
    else:
        since_day = until_day = picked
    return datetime.combine(since_day, time()), datetime.combine(until_day + timedelta(days=1), time())
