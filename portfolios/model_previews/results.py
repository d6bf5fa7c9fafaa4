"""Reading a stored preview: firm and per-advisor totals, the household table, the CSV.

Totals are computed once, in SQL, when the last chunk is done, and kept on the preview
(``ModelPreview.totals``), so the committee's page reads them without summing 50,000 rows.
Money is summed exactly (``numeric``) and kept as strings.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum

from advisory.models import Membership
from portfolios.models import ModelPreview, ModelPreviewHousehold, PreviewOutcome
from portfolios.proposals.order_files import neutralise

MONEY_FIELDS = (
    "market_value",
    "buy_value",
    "sell_value",
    "realized_short_term",
    "realized_long_term",
    "cash_before",
    "cash_after",
)
ZERO = Decimal("0.00")

# Sort keys the table offers: name → ordering (ties by household name, then id).
SORTS = {
    "household": ("household__name",),
    "value": ("market_value",),
    "trades": ("trade_count",),
    "turnover": ("traded",),
    "short_term": ("realized_short_term",),
    "long_term": ("realized_long_term",),
    "gain": ("gain_total",),
    "cash_after": ("cash_after",),
}
FILTERS = {
    "all": Q(),
    "trades": Q(outcome=PreviewOutcome.TRADES),
    "newly_breached": Q(breached_now=False, breached_new=True),
    "newly_in_band": Q(breached_now=True, breached_new=False),
    "breached_after": Q(breached_after=True),
    "failed": Q(outcome=PreviewOutcome.FAILED),
}


def _aggregates() -> dict[str, Any]:
    return {
        "households": Count("pk"),
        "trading": Count("pk", filter=Q(outcome=PreviewOutcome.TRADES)),
        "failed": Count("pk", filter=Q(outcome=PreviewOutcome.FAILED)),
        "trades": Sum("trade_count"),
        # (names unlike the fields': an aggregate may not shadow the field it counts)
        "were_breached": Count("pk", filter=Q(breached_now=True)),
        "breached_under_draft": Count("pk", filter=Q(breached_new=True)),
        "still_breached": Count("pk", filter=Q(breached_after=True)),
        "newly_breached": Count("pk", filter=FILTERS["newly_breached"]),
        "newly_in_band": Count("pk", filter=FILTERS["newly_in_band"]),
        **{name: Sum(name) for name in MONEY_FIELDS},
    }


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """Money as strings to the cent (None sums, of no rows, as 0.00), turnover added."""
    out = dict(row)
    for name in MONEY_FIELDS:
        out[name] = str(out.get(name) or ZERO)
    out["trades"] = out.get("trades") or 0
    out["turnover"] = str(Decimal(out["buy_value"]) + Decimal(out["sell_value"]))
    out["realized_total"] = str(
        Decimal(out["realized_short_term"]) + Decimal(out["realized_long_term"])
    )
    return out


def compute_totals(preview: ModelPreview) -> dict[str, Any]:
    """Firm totals and per-advisor totals (by the households' primary advisor)."""
    rows = ModelPreviewHousehold.objects.filter(preview=preview)
    firm = _plain(rows.aggregate(**_aggregates()))
    advisors = []
    per = rows.values("advisor_id").annotate(**_aggregates()).order_by("advisor_id")
    names = _advisor_names({r["advisor_id"] for r in per if r["advisor_id"]})
    for r in per:
        row = _plain(r)
        row["advisor"] = names.get(r["advisor_id"], "No advisor")
        advisors.append(row)
    advisors.sort(key=lambda r: (-Decimal(r["turnover"]), r["advisor"]))
    return {"firm": firm, "advisors": advisors}


def _advisor_names(ids: set[int]) -> dict[int, str]:
    rows = Membership.objects.filter(pk__in=ids).select_related("user")
    return {m.pk: m.user.full_name or m.user.email for m in rows}


def table(
    rows: QuerySet[ModelPreviewHousehold], sort: str, descending: bool, show: str
) -> QuerySet[ModelPreviewHousehold]:
    """The household rows filtered by ``show`` and sorted by ``sort`` (keys of SORTS)."""
    fields = SORTS.get(sort, SORTS["gain"])
    order = [f"-{f}" if descending else f for f in fields]
    return (
        rows.filter(FILTERS.get(show, Q()))
        .annotate(
            traded=F("buy_value") + F("sell_value"),
            gain_total=F("realized_short_term") + F("realized_long_term"),
        )
        .select_related("household")
        .defer("result")
        .order_by(*order, "household__name", "pk")
    )


CSV_HEADER = [
    "household_id",
    "household",
    "advisor",
    "outcome",
    "market_value",
    "trades",
    "buy_value",
    "sell_value",
    "turnover",
    "realized_short_term",
    "realized_long_term",
    "realized_total",
    "cash_before",
    "cash_after",
    "breached_now",
    "breached_under_draft",
    "breached_after",
    "detail",
]


def csv_lines(rows: QuerySet[ModelPreviewHousehold]) -> Iterator[str]:
    """The table as CSV lines. Text cells people typed (names, details) are neutralised
    against formula injection; numbers are written as numbers (a loss stays -12.50)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(cells: list[Any]) -> str:
        writer.writerow([neutralise(c) if isinstance(c, str) else c for c in cells])
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield line(CSV_HEADER)
    names: dict[int | None, str] = {}
    query = rows.select_related("household", "advisor__user").defer("result")
    for r in query.order_by("household__name", "pk").iterator(chunk_size=2000):
        if r.advisor_id not in names:
            names[r.advisor_id] = (
                (r.advisor.user.full_name or r.advisor.user.email) if r.advisor else ""
            )
        yield line(
            [
                r.household_id,
                r.household.name,
                names[r.advisor_id],
                r.get_outcome_display(),
                r.market_value,
                r.trade_count,
                r.buy_value,
                r.sell_value,
                r.turnover,
                r.realized_short_term,
                r.realized_long_term,
                r.realized_total,
                r.cash_before,
                r.cash_after,
                _yes_no(r.breached_now),
                _yes_no(r.breached_new),
                _yes_no(r.breached_after),
                r.detail,
            ]
        )


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")
