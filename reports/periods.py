"""Report periods: a calendar month written ``YYYY-MM``, as pages and commands take it."""

from __future__ import annotations

import calendar
import datetime as dt


def parse_month(value: str) -> tuple[dt.date, dt.date] | None:
    """First and last day of a ``YYYY-MM`` month, or None when it is not one."""
    try:
        year, month = (int(part) for part in value.strip().split("-"))
        start = dt.date(year, month, 1)
    except (TypeError, ValueError):
        return None
    if len(value.strip()) != 7:
        return None
    return start, start.replace(day=calendar.monthrange(year, month)[1])
