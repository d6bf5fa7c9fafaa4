"""The door: what pages of other apps may read of portfolio data, as named functions.

``advisory`` pages (home, household and account pages, forms) import this module and nothing
else of ``portfolios``; a test (tests/test_architecture.py) refuses any other import. Every
function reads in the active firm scope and runs a fixed number of queries, whatever the
size of the book.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import QuerySet

from portfolios.charts import band_chart, history_chart
from portfolios.drift.queries import (
    STATUS_ORDER,
    BucketLabels,
    band_bars,
    history_series,
    latest_as_of,
    snapshots_by_subject,
)
from portfolios.drift.snapshots import bucket_dicts
from portfolios.models import DriftSnapshot, ModelPortfolio
from portfolios.valuation import (
    AccountValuation,
    ClassWeight,
    allocation_by_class,
    pricing_date,
    value_accounts,
)

__all__ = [
    "NOT_COMPUTED",
    "STATUS_ORDER",
    "AccountValuation",
    "BucketLabels",
    "ClassWeight",
    "allocation_by_class",
    "household_drift",
    "household_drift_keys",
    "household_snapshots",
    "latest_drift_date",
    "model_portfolios",
    "pricing_date",
    "value_accounts",
]

HISTORY_POINTS = 24
NOT_COMPUTED = ("not_computed", None, None)
DriftKey = tuple[str, Decimal | None, Decimal | None]  # status, worst abs drift, market value


def latest_drift_date() -> dt.date | None:
    """The most recent day with household drift snapshots in the active firm."""
    return latest_as_of("household")


def household_snapshots(household_ids: Iterable[int], as_of: dt.date | None) -> dict:
    """Each household's snapshot on ``as_of`` (without its per-bucket detail)."""
    return snapshots_by_subject("household", household_ids, as_of)


def household_drift_keys(households: QuerySet, as_of: dt.date | None) -> dict[int, DriftKey]:
    """Status, worst drift and value of every household of ``households`` on ``as_of``, in
    one query: the light rows a book is sorted and counted from. Missing: not computed."""
    if as_of is None:
        return {}
    rows = DriftSnapshot.objects.filter(
        kind="household", as_of=as_of, subject_id__in=households.values("pk")
    ).values_list("subject_id", "status", "worst_abs_drift", "market_value")
    return {sid: (status, worst, value) for sid, status, worst, value in rows}


def household_drift(household_id: int, account_ids: list[int]) -> dict:
    """A household page's drift: the latest snapshot with its band chart and bucket rows,
    its accounts' latest snapshots, and its history (newest first) with a chart."""
    as_of = latest_as_of()
    snapshot = snapshots_by_subject("household", [household_id], as_of).get(household_id)
    if snapshot is not None:
        snapshot.refresh_from_db(fields=["buckets"])
    labels = BucketLabels()
    recent = list(
        DriftSnapshot.objects.filter(kind="household", subject_id=household_id)
        .order_by("-as_of")
        .only("as_of", "status", "buckets", "worst_bucket", "worst_abs_drift", "market_value")[
            :HISTORY_POINTS
        ]
    )
    rows = bucket_dicts(snapshot.buckets) if snapshot else []
    return {
        "drift": snapshot,
        "drift_worst": labels(snapshot.worst_bucket) if snapshot else "",
        "drift_chart": band_chart(band_bars(snapshot, labels)) if snapshot else "",
        "drift_rows": [{**b, "label": labels(b["bucket"])} for b in rows],
        "account_drift": snapshots_by_subject("account", account_ids, as_of),
        "history": [(snap, labels(snap.worst_bucket)) for snap in recent],
        "history_chart": history_chart(history_series(recent, labels)),
    }


def model_portfolios() -> QuerySet[ModelPortfolio]:
    """The firm's model portfolios, for choosing a household's or an account's model."""
    return ModelPortfolio.objects.all()
