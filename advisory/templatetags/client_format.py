"""Number and date formats for what clients read (report PDFs and portal pages): one place, so
the PDF, the portal and their tests agree."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import template

from advisory.money import to_cents

register = template.Library()


@register.filter
def money(value: Decimal | None) -> str:
    """$1,234,567.89 (negative: -$1,234.00); an em dash when unknown."""
    if value is None:
        return "—"
    cents = to_cents(value)
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents):,.2f}"


@register.filter
def signed_money(value: Decimal | None) -> str:
    """+$1,234.00 or -$1,234.00."""
    if value is None:
        return "—"
    return ("+" if value >= 0 else "") + money(value)


@register.filter
def quantity(value: Decimal) -> str:
    """Shares with thousands separators and no trailing zeros: 1,234 or 12.5."""
    text = f"{value.normalize():,f}"
    return text


@register.filter
def pct(value: Decimal | None) -> str:
    """12.3%; an em dash when unknown."""
    return "—" if value is None else f"{value:.1f}%"


@register.filter
def long_date(value: dt.date) -> str:
    """November 30, 2026."""
    return f"{value:%B} {value.day}, {value.year}"
