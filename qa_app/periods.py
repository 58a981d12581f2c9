"""The period picker shared by the pages: a date range, as [since, until), in the reader's date format."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import streamlit as st

from qa_app.i18n import _, words

DEFAULT_DAYS = 30


def default_days(first: datetime | None, last: datetime | None, days: int = DEFAULT_DAYS) -> tuple[date, date]:
    """The last ``days`` days of data (not before the first call)."""
    end = (last or datetime.now()).date()
    start = max(end - timedelta(days=days - 1), first.date()) if first else end - timedelta(days=days - 1)
    return start, end


def period_input(key: str, first: datetime | None = None, last: datetime | None = None,
                 days: int = DEFAULT_DAYS, value: tuple[date, date] | None = None) -> tuple[datetime, datetime]:
    """A date range (inclusive days) starting at ``value``, else the last ``days`` days of data; returns
    [since, until). (A page that sets the range itself, as the queue from its link, gives a new ``key`` with
    the new ``value``: Streamlit warns when a range widget's value is set both ways.)"""
    start, end = value or default_days(first, last, days)
    picked = st.date_input(_("Period"), value=(start, end), key=key, format=words().date_format)
    if isinstance(picked, (tuple, list)):
        since_day: date = picked[0] if picked else start
        until_day: date = picked[1] if len(picked) > 1 else since_day
    else:
        since_day = until_day = picked
    return datetime.combine(since_day, time()), datetime.combine(until_day + timedelta(days=1), time())
