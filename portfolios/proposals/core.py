"""Shared steps of the proposal workflow (:mod:`portfolios.proposals.workflow`).

Every step runs in one transaction inside the firm's scope (the active scope
if there is one, so another firm's proposal is simply not found), checks that
the actor is an advisor or admin who may see the household (compliance and
clients never change proposals), and writes exactly one audit event with the
before/after values.

Optimistic locking: callers pass the ``version`` they showed the person. A
change starts with ``UPDATE … SET version = version + 1 WHERE pk = … AND
version = <expected>``; if no row matches, someone else changed it and
:class:`ProposalConflict` is raised: never a silent lost update. The update
also holds the row lock until commit, so everything after it is serialised.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from advisory import audit_actions as actions
from advisory import webhooks
from advisory.access import households_for
from advisory.audit import diff, record, snapshot
from advisory.models import Membership, User
from advisory.money import to_cents
from advisory.tenancy import active_firm_id, firm_scope
from portfolios.model_versions.staleness import followed_version, model_staleness
from portfolios.models import Proposal, ProposalState, ProposedTrade
from portfolios.proposals import arithmetic as pm
from portfolios.proposals.inputs import ProposalInputError, input_for
from portfolios.rebalance.notes import to_json as notes_json
from portfolios.rebalance.types import Proposal as EngineResult
from portfolios.rebalance.types import ProposalInput

Engine = Callable[[ProposalInput], EngineResult]


class ProposalError(Exception):
    """A proposal cannot do what was asked; the message says why."""


class ProposalConflict(ProposalError):
    def __init__(self, message: str = "This proposal was changed by someone else; reload it."):
        super().__init__(message)


class ProposalStale(ProposalError):
    def __init__(
        self,
        message: str = "Prices or holdings changed since this proposal was built; refresh it.",
    ):
        super().__init__(message)


class ProposalStateError(ProposalError):
    """The action does not apply in the proposal's current state."""


class FourEyesRequired(PermissionDenied):
    """Above the firm's threshold, someone who did not write the trades must approve."""


# --- Open proposals --------------------------------------------------------------------------

# A proposal is open until it is executed, rejected or cancelled: an exported order file may
# still be sitting at the custodian, so a second proposal would trade the same holdings twice.
OPEN_STATES = (
    ProposalState.DRAFT,
    ProposalState.SUBMITTED,
    ProposalState.APPROVED,
    ProposalState.EXPORTED,
)


def open_proposals(household_id: int, account_id: int | None = None) -> QuerySet[Proposal]:
    """The open proposals a new one for this household (or one account of it) would overlap.

    A household-wide proposal overlaps every open proposal of the household; an account's
    overlaps the household-wide ones and those of the same account. Reads in the active
    firm scope; oldest first.
    """
    overlap = Q(household_id=household_id, state__in=OPEN_STATES)
    if account_id is not None:
        overlap &= Q(account_id__isnull=True) | Q(account_id=account_id)
    return Proposal.objects.filter(overlap).order_by("created_at", "pk")


# --- Shared steps --------------------------------------------------------------------------


@contextmanager
def in_firm(firm_id: int) -> Iterator[None]:
    active = active_firm_id()
    with firm_scope(active if active is not None else firm_id), transaction.atomic():
        yield


def load(proposal: Proposal | int) -> Proposal:
    return Proposal.objects.get(pk=getattr(proposal, "pk", proposal))


def writer(user: User, household_id: int) -> Membership:
    """The actor's membership, if it may change proposals of this household."""
    membership = Membership.objects.filter(user=user, is_active=True).first()
    if not getattr(user, "is_active", False) or membership is None or not membership.can_write:
        raise PermissionDenied("Only the firm's advisors and admins can change proposals.")
    if not households_for(membership).filter(pk=household_id).exists():
        raise PermissionDenied("You do not advise this household.")
    return membership


def claim(current: Proposal, expected_version: int, states: set[str], verb: str) -> dict:
    """Take the proposal at ``expected_version`` (bumping it) in one of ``states``.

    Returns the before-image for the audit event.
    """
    if current.version != expected_version:
        raise ProposalConflict()
    if current.state not in states:
        state = current.get_state_display().lower()
        raise ProposalStateError(f"A {state} proposal cannot be {verb}.")
    claimed = Proposal.objects.filter(pk=current.pk, version=expected_version).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    if claimed != 1:
        raise ProposalConflict()
    before = snapshot(current)
    current.version = expected_version + 1
    return before


def audit(
    proposal: Proposal, action: str, actor: User, membership: Membership, changes: dict
) -> None:
    record(
        firm=proposal.firm_id,
        action=action,
        obj=proposal,
        changes=changes,
        actor=actor,
        actor_label=getattr(actor, "email", str(actor)),
        role=membership.role,
    )


def fresh_input(current: Proposal, *, also: tuple[int, ...] = ()) -> ProposalInput:
    """The proposal's input from current data; :class:`ProposalStale` if it changed."""
    try:
        data, fingerprint = input_for(current, also=also)
    except ProposalInputError as exc:
        raise ProposalStale(f"This proposal can no longer be checked: {exc}") from exc
    if fingerprint != current.inputs_fingerprint:
        raise ProposalStale()
    return data


def run_engine(engine: Engine | None, data: ProposalInput) -> EngineResult:
    if engine is None:
        from portfolios.rebalance.engine import (
            propose as engine,  # lazily: the engine is a separate module
        )

    result = engine(data)
    accounts = {a.account_id: a for a in data.accounts}
    for t in result.trades:
        ok = (
            t.account_id in accounts
            and not accounts[t.account_id].held_away
            and t.security_id in data.securities
            and t.side in ("buy", "sell")
            and t.quantity > 0
            and t.quantity == t.quantity.quantize(pm.QUANTITY_STEP)
        )
        if not ok:
            raise ProposalError(f"The rebalancing engine returned an invalid trade: {t}")
    return result


def apply_result(proposal: Proposal, result: EngineResult) -> list[ProposedTrade]:
    proposal.total_value = to_cents(result.total_value)
    proposal.trade_value = sum((to_cents(t.value) for t in result.trades), to_cents(pm.ZERO))
    proposal.realized_short_term = to_cents(result.realized_short_term)
    proposal.realized_long_term = to_cents(result.realized_long_term)
    proposal.cash_after = {str(k): str(v) for k, v in sorted(result.cash_after.items())}
    proposal.notes = notes_json(result.notes)
    proposal.projection = pm.projection_to_json(result.projection)
    proposal.model_version = followed_version(proposal)  # what "stale by model" compares
    return [
        ProposedTrade(
            firm_id=proposal.firm_id,
            proposal=proposal,
            account_id=t.account_id,
            security_id=t.security_id,
            side=t.side,
            quantity=t.quantity,
            price=t.price,
            value=to_cents(t.value),
            reason=t.reason,
            lots=pm.lots_to_json(t.lots),
            position=i,
        )
        for i, t in enumerate(result.trades)
    ]


def trades_summary(rows: list[ProposedTrade]) -> list[dict[str, Any]]:
    return [
        {"id": r.pk, "account": r.account_id, "security": r.security_id, "side": r.side,
         "quantity": pm.plain(r.quantity), "value": str(r.value)}
        for r in rows
    ]  # fmt: skip


def transition(
    *,
    proposal: Proposal,
    actor: User,
    expected_version: int,
    sources: set[str],
    target: str,
    verb: str,
    prepare: Callable[[Proposal, User], dict[str, Any]] | None = None,
    note: dict[str, Any] | None = None,
) -> Proposal:
    """Move a proposal from one of ``sources`` to ``target``, audited as proposal.<target>.

    ``prepare(current, actor)`` runs after the claim and returns fields to set
    (or raises to refuse); ``note`` adds to the audit event. Also used by
    :mod:`portfolios.proposals.order_files`.
    """
    try:
        with in_firm(proposal.firm_id):
            current = load(proposal)
            membership = writer(actor, current.household_id)
            before = claim(current, expected_version, sources, verb)
            if target in (ProposalState.APPROVED, ProposalState.EXPORTED):
                _refuse_if_model_moved(current)
            fields = prepare(current, actor) if prepare else {}
            for name, value in {**fields, "state": target}.items():
                setattr(current, name, value)
            current.save(update_fields=[*fields, "state", "updated_at"])
            changes = {**diff(before, snapshot(current)), **(note or {})}
            audit(current, actions.get(f"proposal.{target}").code, actor, membership, changes)
            webhooks.proposal_moved(current)  # submitted, approved, executed: an event
            return current
    except (FourEyesRequired, ProposalStale) as exc:
        # The refused change rolled back; the refusal itself is kept for compliance.
        _audit_refusal(proposal, actor, target, expected_version, exc)
        raise


def _refuse_if_model_moved(current: Proposal) -> None:
    """Trades computed for an older model version are never approved or exported."""
    reason = model_staleness(current)
    if reason is not None:
        raise ProposalStale(f"{reason} Refresh the proposal (or cancel it) first.")


def _audit_refusal(
    proposal: Proposal, actor: User, target: str, expected_version: int, exc: Exception
) -> None:
    with in_firm(proposal.firm_id):
        membership = Membership.objects.filter(user=actor, is_active=True).first()
        record(
            firm=proposal.firm_id,
            action=actions.PROPOSAL_REFUSED.code,
            obj=load(proposal),
            changes={"attempted": target, "version": expected_version, "reason": str(exc)},
            actor=actor,
            actor_label=getattr(actor, "email", str(actor)),
            role=membership.role if membership else None,
        )
