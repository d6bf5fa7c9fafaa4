"""Number and date formats, in one place, for every page, PDF and e-mail that shows money,
weights, drift or dates: the staff pages, the client portal and the report PDFs agree, and
so do their tests.

The house style (issue 12):

* money: ``$1,234.56``, negative ``-$84.55`` (never ``$-84.55`` or ``(84.55)``); amounts that
  round to zero cents show no sign (``-0.004`` is ``$0.00``); ``amount`` is the same without
  the dollar sign, for columns headed "($)";
* drift in signed percentage points: ``+2.31 pts`` / ``-0.40 pts`` / ``0.00 pts``;
* dates ``Nov 30, 2026``; moments ``Nov 30, 2026, 14:05`` (in the active time zone, UTC);
* anything unknown (``None``) is an em dash.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils import timezone

from advisory.money import to_cents

register = template.Library()

UNKNOWN = "—"
Number = Decimal | int | float | str


def _decimal(value: Number) -> Decimal:
    """Template values arrive as Decimals, ints (an empty ``sum``) or strings (JSON)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def _cents(value: Number) -> Decimal | None:
    try:
        cents = to_cents(_decimal(value))
    except (InvalidOperation, TypeError, ValueError):
        return None
    return cents if cents != 0 else abs(cents)  # -0.00 → 0.00: no "-$0.00"


@register.filter
def amount(value: Number | None) -> str:
    """1,234,567.89 (negative: -1,234.00), for columns headed "($)"; an em dash when unknown."""
    cents = None if value is None else _cents(value)
    if cents is None:
        return UNKNOWN
    return f"{'-' if cents < 0 else ''}{abs(cents):,.2f}"


@register.filter
def money(value: Number | None) -> str:
    """$1,234,567.89 (negative: -$1,234.00); an em dash when unknown."""
    cents = None if value is None else _cents(value)
    if cents is None:
        return UNKNOWN
    return f"{'-' if cents < 0 else ''}${abs(cents):,.2f}"


@register.filter
def signed_money(value: Number | None) -> str:
    """+$1,234.00 or -$1,234.00 ($0.00 when it rounds to nothing)."""
    cents = None if value is None else _cents(value)
    if cents is None:
        return UNKNOWN
    return ("+" if cents > 0 else "") + money(cents)


@register.filter
def quantity(value: Decimal) -> str:
    """Shares with thousands separators and no trailing zeros: 1,234 or 12.5."""
    text = f"{value.normalize():,f}"
    return text


@register.filter
def pct(value: Decimal | None) -> str:
    """12.3%; an em dash when unknown."""
    return UNKNOWN if value is None else f"{value:.1f}%"


def _rounded(value: Number, places: str) -> Decimal | None:
    try:
        number = _decimal(value).quantize(Decimal(places), rounding=ROUND_HALF_UP)
    except (InvalidOperation, TypeError, ValueError):
        return None
    return number if number != 0 else abs(number)


@register.filter
def weight(value: Number | None) -> str:
    """A weight in percent of the whole, two places: 60.00%; an em dash when unknown."""
    number = None if value is None else _rounded(value, "0.01")
    return UNKNOWN if number is None else f"{number:,.2f}%"


@register.filter
def pts(value: Number | None) -> str:
    """Drift in signed percentage points, two places: +2.31 pts, -0.40 pts, 0.00 pts."""
    number = None if value is None else _rounded(value, "0.01")
    if number is None:
        return UNKNOWN
    return f"{'+' if number > 0 else ''}{number:,.2f} pts"


@register.filter
def signed_pct(value: Number | None) -> str:
    """A relative drift, signed, no places: +25%, -8%, 0%; an em dash when unknown."""
    number = None if value is None else _rounded(value, "1")
    if number is None:
        return UNKNOWN
    return f"{'+' if number > 0 else ''}{number:,.0f}%"


@register.filter
def long_date(value: dt.date) -> str:
    """November 30, 2026."""
    return f"{value:%B} {value.day}, {value.year}"


@register.filter
def day(value: dt.date | dt.datetime | None) -> str:
    """Nov 30, 2026: the staff pages' one date style; an em dash when unknown."""
    if value is None or value == "":
        return UNKNOWN
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{value:%b} {value.day}, {value.year}"


@register.filter
def moment(value: dt.datetime | None) -> str:
    """Nov 30, 2026, 14:05 in the active time zone (UTC); an em dash when unknown."""
    if value is None or value == "":
        return UNKNOWN
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{day(local)}, {local:%H:%M}"
