"""Reading drift snapshots for pages: a fixed number of queries, whatever the book size."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Max, QuerySet

from portfolios.bands import band_limits
from portfolios.charts import BandBar, Series
from portfolios.drift.snapshots import bucket_dicts
from portfolios.models import AssetClass, DriftSnapshot, Security

STATUS_ORDER = {"breached": 0, "incomplete": 1, "in_band": 2, "no_model": 3}


def latest_as_of(kind: str = "household") -> dt.date | None:
    """The most recent date with drift snapshots in the active firm."""
    return DriftSnapshot.objects.filter(kind=kind).aggregate(d=Max("as_of"))["d"]


def snapshots_by_subject(
    kind: str, subject_ids: Iterable[int], as_of: dt.date | None
) -> dict[int, DriftSnapshot]:
    if as_of is None:
        return {}
    rows = DriftSnapshot.objects.filter(kind=kind, as_of=as_of, subject_id__in=list(subject_ids))
    return {s.subject_id: s for s in rows.defer("buckets")}


class BucketLabels:
    """Human names for bucket keys such as ``class:3`` or ``security:12``."""

    def __init__(self) -> None:
        self._classes = dict(AssetClass.objects.values_list("pk", "name"))
        self._securities: dict[int, str] = {}

    def load_securities(self, buckets: Iterable[dict]) -> None:
        wanted = {
            int(b["bucket"].partition(":")[2])
            for b in buckets
            if b["bucket"].startswith("security:")
        }
        wanted -= set(self._securities)
        if wanted:
            self._securities.update(
                Security.objects.filter(pk__in=wanted).values_list("pk", "symbol")
            )

    def __call__(self, key: str) -> str:
        if not key:
            return ""
        kind, _, ident = key.partition(":")
        if kind == "class":
            return self._classes.get(int(ident), key)
        if kind == "security":
            return self._securities.get(int(ident), key)
        return "Unassigned"


def band_bars(snapshot: DriftSnapshot, labels: BucketLabels) -> list[BandBar]:
    buckets = bucket_dicts(snapshot.buckets)
    labels.load_securities(buckets)
    bars = []
    for b in buckets:
        target = Decimal(b["target"])
        low, high = band_limits(target, Decimal(b["abs_band"]), Decimal(b["rel_band"] or 0))
        if b["bucket"] == "unassigned":
            low, high = Decimal(0), Decimal(b["abs_band"])
        bars.append(
            BandBar(
                label=labels(b["bucket"]),
                weight=Decimal(b["weight"]) if b["weight"] is not None else None,
                target=target,
                low=low,
                high=high,
                breached=bool(b["breached"]),
            )
        )
    return bars


def history_series(
    snapshots: QuerySet[DriftSnapshot] | list[DriftSnapshot], labels: BucketLabels
) -> list[Series]:
    """Absolute drift per bucket over time, from oldest to newest snapshot."""
    points: dict[str, list] = {}
    for snap in snapshots:
        buckets = bucket_dicts(snap.buckets)
        labels.load_securities(buckets)
        for b in buckets:
            if b["abs_drift"] is not None:
                points.setdefault(b["bucket"], []).append((snap.as_of, Decimal(b["abs_drift"])))
    return [Series(labels(key), pts) for key, pts in points.items()]
