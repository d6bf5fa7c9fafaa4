"""The door: what pages of other apps may read of portfolio data, as named functions.

``advisory`` pages (home, household and account pages, forms) import this module and nothing
else of ``portfolios``; a test (tests/test_architecture.py) refuses any other import. Every
function reads in the active firm scope and runs a fixed number of queries, whatever the
size of the book.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from advisory.models import AuditEvent, User
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
from portfolios.models import DriftSnapshot, ModelPortfolio, Proposal, ProposedTrade, Target
from portfolios.models.proposals import ProposalState
from portfolios.proposals.core import OPEN_STATES
from portfolios.proposals.core import open_proposals as open_proposals_of
from portfolios.proposals.workflow import AUTHORING_ACTIONS
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
    "accounts_value_history",
    "accounts_value_on_or_before",
    "allocation_by_class",
    "awaiting_approval",
    "household_allocation",
    "household_drift",
    "household_drift_keys",
    "household_open_proposals",
    "household_snapshots",
    "household_trades",
    "household_value_history",
    "household_value_on_or_before",
    "latest_drift_date",
    "mix_against_model",
    "model_portfolios",
    "open_proposals",
    "overlapping_open_proposals",
    "pricing_date",
    "proposals_for_records",
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


def model_portfolios(keep: int | None = None) -> QuerySet[ModelPortfolio]:
    """The firm's models in use, for choosing a household's or an account's model: retired
    ones take no new followers, but ``keep`` (the one already chosen) stays selectable."""
    return ModelPortfolio.objects.filter(Q(retired_at=None) | Q(pk=keep))


# --- For reports (reports/report_build.py) ---------------------------------------------------


def household_value_history(
    household_id: int, start: dt.date, end: dt.date
) -> list[tuple[dt.date, Decimal]]:
    """The household's stored values (its drift snapshots) from ``start`` to ``end``, oldest
    first. One query."""
    rows = (
        DriftSnapshot.objects.filter(
            kind="household", subject_id=household_id, as_of__gte=start, as_of__lte=end
        )
        .order_by("as_of")
        .values_list("as_of", "market_value")
    )
    return list(rows)


def household_value_on_or_before(household_id: int, day: dt.date) -> tuple[dt.date, Decimal] | None:
    """The household's last stored value on or before ``day`` (None: none stored). One query."""
    return (
        DriftSnapshot.objects.filter(kind="household", subject_id=household_id, as_of__lte=day)
        .order_by("-as_of")
        .values_list("as_of", "market_value")
        .first()
    )


def accounts_value_history(
    account_ids: Iterable[int], start: dt.date, end: dt.date
) -> list[tuple[dt.date, Decimal]]:
    """The summed stored values (account drift snapshots) of ``account_ids`` from ``start``
    to ``end``, oldest first, on the days every one of them has a value (a partial sum
    would look like a loss). One query."""
    ids = set(account_ids)
    if not ids:
        return []
    rows = (
        DriftSnapshot.objects.filter(
            kind="account", subject_id__in=ids, as_of__gte=start, as_of__lte=end
        )
        .values("as_of")
        .annotate(total=Sum("market_value"), n=Count("subject_id"))
        .order_by("as_of")
    )
    return [(r["as_of"], r["total"]) for r in rows if r["n"] == len(ids)]


def accounts_value_on_or_before(
    account_ids: Iterable[int], day: dt.date, *, look_back_days: int = 31
) -> tuple[dt.date, Decimal] | None:
    """The last day on or before ``day`` (within ``look_back_days``) on which every one of
    ``account_ids`` has a stored value, and their sum. One query."""
    history = accounts_value_history(account_ids, day - dt.timedelta(days=look_back_days), day)
    return history[-1] if history else None


@dataclass(frozen=True)
class AllocationLine:
    label: str
    weight: Decimal | None  # percent of the household; None when it cannot be valued
    target: Decimal  # percent


def household_allocation(
    household_id: int, model_id: int | None, on_or_before: dt.date, valuations: Iterable
) -> list[AllocationLine]:
    """The household's mix against its model: from its latest drift snapshot on or before
    ``on_or_before`` (three queries at most), else from ``valuations`` (the accounts valued
    by :func:`value_accounts`) against the model's class targets (one query)."""
    snapshot = (
        DriftSnapshot.objects.filter(
            kind="household", subject_id=household_id, as_of__lte=on_or_before
        )
        .order_by("-as_of")
        .first()
    )
    if snapshot is not None and snapshot.buckets:
        bars = band_bars(snapshot, BucketLabels())
        return [AllocationLine(bar.label, bar.weight, bar.target) for bar in bars]
    return mix_against_model(model_id, valuations)


def mix_against_model(model_id: int | None, valuations: Iterable) -> list[AllocationLine]:
    """The mix of ``valuations`` (accounts valued by :func:`value_accounts`) by asset class
    against the model's class targets; classes held outside the model have a 0 target. One
    query."""
    targets: dict[str, Decimal] = {}
    if model_id is not None:
        rows = Target.objects.filter(model_id=model_id).select_related("asset_class", "security")
        for t in rows:
            label = t.asset_class.name if t.asset_class_id else t.security.symbol
            targets[label] = targets.get(label, Decimal(0)) + t.weight
    weights = {row.name: row.weight for row in allocation_by_class(valuations)}
    lines = [AllocationLine(label, weights.get(label), target) for label, target in targets.items()]
    lines += [
        AllocationLine(name, weight, Decimal(0))
        for name, weight in weights.items()
        if name not in targets
    ]
    return lines


@dataclass(frozen=True)
class TradeLine:
    date: dt.date
    side: str
    symbol: str
    quantity: Decimal
    value: Decimal
    account_name: str
    account_masked: str


TRADE_STATES = (ProposalState.APPROVED, ProposalState.EXPORTED, ProposalState.EXECUTED)


def household_trades(household_id: int, start: dt.date, end: dt.date) -> list[TradeLine]:
    """Trades of the household's proposals approved or executed from ``start`` to ``end``
    (dated by execution if executed, else by approval), oldest first. One query."""
    rows = (
        ProposedTrade.objects.filter(
            proposal__household_id=household_id, proposal__state__in=TRADE_STATES
        )
        .select_related("proposal", "account", "security")
        .order_by("proposal__decided_at", "proposal_id", "position")
    )
    lines = []
    for trade in rows:
        proposal = trade.proposal
        moment = proposal.executed_at or proposal.decided_at
        if moment is None:
            continue
        day = timezone.localdate(moment)
        if start <= day <= end:
            lines.append(
                TradeLine(
                    date=day,
                    side=trade.side,
                    symbol=trade.security.symbol,
                    quantity=trade.quantity,
                    value=trade.value,
                    account_name=trade.account.name,
                    account_masked=trade.account.masked_number,
                )
            )
    lines.sort(key=lambda line: line.date)
    return lines


def proposals_for_records(start: dt.datetime, end: dt.datetime) -> list[dict]:
    """Proposals created or decided in ``[start, end)`` with their trades and the people who
    wrote, submitted and decided them: the examination export's rows. Two queries."""
    proposals = (
        Proposal.objects.filter(
            Q(created_at__gte=start, created_at__lt=end)
            | Q(decided_at__gte=start, decided_at__lt=end)
        )
        .select_related("household", "author", "submitted_by", "approved_by", "rejected_by")
        .prefetch_related("trades__security", "trades__account")
        .order_by("pk")
    )

    def email(user) -> str | None:
        return user.email if user is not None else None

    return [
        {
            "id": p.pk,
            "household": p.household.name,
            "household_id": p.household_id,
            "mode": p.mode,
            "state": p.state,
            "as_of": p.as_of,
            "author": email(p.author),
            "submitted_by": email(p.submitted_by),
            "approved_by": email(p.approved_by),
            "rejected_by": email(p.rejected_by),
            "created_at": p.created_at,
            "submitted_at": p.submitted_at,
            "decided_at": p.decided_at,
            "exported_at": p.exported_at,
            "executed_at": p.executed_at,
            "trade_value": p.trade_value,
            "order_file_sha256": p.order_file_sha256,
            "comment": p.comment,
            "trades": [
                {
                    "account": t.account.masked_number,
                    "symbol": t.security.symbol,
                    "side": t.side,
                    "quantity": t.quantity,
                    "price": t.price,
                    "value": t.value,
                    "reason": t.reason,
                    "edited": t.edited,
                }
                for t in p.trades.all()
            ],
        }
        for p in proposals
    ]


# --- Open proposals and the approval queue (issue 12: the advisor's daily surfaces) ----------

SURFACE_LIMIT = 50  # a home-page panel, not a report: the proposals list has the rest


def open_proposals(households: QuerySet, limit: int = SURFACE_LIMIT) -> list[Proposal]:
    """The open proposals (draft, submitted, approved, exported) of ``households``, by
    household then oldest first, at most ``limit``. One query."""
    return list(
        Proposal.objects.filter(household__in=households, state__in=OPEN_STATES)
        .select_related("household", "account", "author")
        .order_by("household__name", "household_id", "created_at", "pk")[:limit]
    )


def household_open_proposals(household_id: int) -> list[Proposal]:
    """The household's open proposals, oldest first. One query."""
    return list(
        Proposal.objects.filter(household_id=household_id, state__in=OPEN_STATES)
        .select_related("household", "account", "author")
        .order_by("created_at", "pk")
    )


def overlapping_open_proposals(household_id: int, account_id: int | None = None) -> list[Proposal]:
    """The open proposals a new proposal for the household (or one account) would overlap:
    the check a single propose makes (:func:`portfolios.proposals.core.open_proposals`)."""
    return list(open_proposals_of(household_id, account_id).select_related("account"))


def awaiting_approval(
    user: User, households: QuerySet, limit: int = SURFACE_LIMIT
) -> list[Proposal]:
    """Submitted proposals of ``households`` that ``user`` may approve as a second pair of
    eyes: neither created nor refreshed nor edited by them (the four-eyes rule of
    :func:`portfolios.proposals.workflow.wrote`). A writer's own proposal under the firm's
    self-approval threshold is not listed either: the queue is other people's work waiting
    on this user. Oldest submission first. Two queries, whatever the size of the book."""
    submitted = list(
        Proposal.objects.filter(household__in=households, state=ProposalState.SUBMITTED)
        .exclude(author=user)
        .select_related("household__primary_advisor__user", "account", "author", "submitted_by")
        .order_by("submitted_at", "pk")
    )
    if not submitted:
        return []
    edited = set(
        AuditEvent.objects.filter(
            object_type=Proposal._meta.label_lower,
            object_id__in=[str(p.pk) for p in submitted],
            actor=user,
            action__in=AUTHORING_ACTIONS,
        ).values_list("object_id", flat=True)
    )
    return [p for p in submitted if str(p.pk) not in edited][:limit]
