"""Everything a household report shows, as plain frozen data.

A report is rendered from a :class:`ReportData` and nothing else, so the same report can be
rendered again years later from the JSON snapshot stored beside it. ``to_json``/``from_json``
round-trip exactly: Decimals travel as strings, dates as ISO 8601.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar


@dataclass(frozen=True)
class Firm:
    name: str
    brand_colour: str  # "#0f766e"
    logo_static_path: str | None = None  # a path under the project's static files


@dataclass(frozen=True)
class Holding:
    symbol: str
    name: str
    quantity: Decimal
    price: Decimal
    price_date: dt.date
    price_source: str
    value: Decimal
    weight: Decimal  # percent of the account
    stale: bool = False


@dataclass(frozen=True)
class Account:
    name: str
    masked_number: str  # "••••1234"
    registration: str  # "Joint", "Roth IRA", …
    value: Decimal
    holdings: tuple[Holding, ...] = ()
    unpriced: tuple[str, ...] = ()  # symbols held with no price at all: not valued, named


@dataclass(frozen=True)
class AllocationRow:
    label: str  # asset class, in client words
    weight: Decimal | None  # percent of the household; None when it cannot be valued
    target: Decimal  # percent


@dataclass(frozen=True)
class ValuePoint:
    date: dt.date
    value: Decimal


@dataclass(frozen=True)
class Trade:
    date: dt.date
    side: str  # "buy" or "sell"
    symbol: str
    quantity: Decimal
    value: Decimal
    account: str


@dataclass(frozen=True)
class Totals:
    value_end: Decimal
    value_start: Decimal | None = None  # None: no snapshot at the start of the period
    value_start_on: dt.date | None = None  # the day that value is from (on or before the start)


@dataclass(frozen=True)
class Disclosure:
    key: str
    title: str
    version_id: int
    version_number: int
    text: str


@dataclass(frozen=True)
class ReportData:
    firm: Firm
    household: str
    advisor_name: str
    advisor_email: str
    period_start: dt.date
    period_end: dt.date
    as_of: dt.date
    price_source: str
    totals: Totals
    accounts: tuple[Account, ...] = ()
    allocation: tuple[AllocationRow, ...] = ()
    history: tuple[ValuePoint, ...] = ()
    trades: tuple[Trade, ...] = ()
    disclosures: tuple[Disclosure, ...] = ()


def _dump(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _dump(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_dump(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def to_json(data: ReportData) -> dict[str, Any]:
    """A JSON-ready dict (only str, int, bool, None, lists and dicts)."""
    result: dict[str, Any] = _dump(data)
    return result


T = TypeVar("T")


def _load(tp: Any, raw: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        if raw is None:
            return None
        (inner,) = [a for a in typing.get_args(tp) if a is not type(None)]
        return _load(inner, raw)
    if origin is tuple:
        inner = typing.get_args(tp)[0]
        return tuple(_load(inner, item) for item in raw)
    if tp is Decimal:
        return Decimal(raw)
    if tp is dt.date:
        return dt.date.fromisoformat(raw)
    if dataclasses.is_dataclass(tp):
        return _build(tp, raw)  # type: ignore[arg-type]
    if tp in (str, int, bool) and not isinstance(raw, tp):
        raise TypeError(f"expected {tp.__name__}, got {raw!r}")
    return raw


def _build(cls: type[T], raw: dict[str, Any]) -> T:
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = set(raw) - names
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown fields {sorted(unknown)}")
    return cls(**{name: _load(hints[name], value) for name, value in raw.items()})


def from_json(raw: dict[str, Any]) -> ReportData:
    """The inverse of :func:`to_json`."""
    return _build(ReportData, raw)
