"""The proposal workflow: create, edit, submit, approve, reject, cancel, refresh, execute.

    draft ──submit──▶ submitted ──approve──▶ approved ──export──▶ exported ──mark──▶ executed
      ▲  (edits)        │    │                                (portfolios.proposals.order_files)
      └────refresh──────┘    └──reject──▶ rejected
    draft, submitted, approved, exported ──cancel──▶ cancelled

Every function is keyword-only, runs in one transaction in the firm's scope,
checks the actor's role (advisors and admins of the household's firm who may
see it; never compliance or clients), takes the caller's ``expected_version``
(optimistic locking: :class:`ProposalConflict` when someone else changed the
proposal) and writes exactly one audit event (see :mod:`portfolios.proposals.core`).
Trade edits live in :mod:`portfolios.proposals.edits` and are re-exported here.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from advisory import audit_actions as actions
from advisory import webhooks
from advisory.audit import diff, record, snapshot
from advisory.models import Account, AuditEvent, Firm, Household, User
from portfolios.model_versions.staleness import model_staleness
from portfolios.models import Proposal, ProposalState, ProposedTrade
from portfolios.proposals import arithmetic as pm
from portfolios.proposals.core import (
    Engine,
    FourEyesRequired,
    ProposalConflict,
    ProposalError,
    ProposalStale,
    ProposalStateError,
    apply_result,
    audit,
    claim,
    fresh_input,
    in_firm,
    load,
    run_engine,
    trades_summary,
    transition,
    writer,
)
from portfolios.proposals.edits import add_trade, edit_trade, remove_trade
from portfolios.proposals.inputs import (
    ProposalInputError,
    build_input,
    current_as_of,
    current_fingerprint,
    options_from_json,
    options_to_json,
)
from portfolios.rebalance.types import Options

__all__ = [
    "FourEyesRequired",
    "ProposalConflict",
    "ProposalError",
    "ProposalStale",
    "ProposalStateError",
    "add_trade",
    "approve",
    "cancel",
    "create_proposal",
    "edit_trade",
    "is_stale",
    "mark_executed",
    "refresh",
    "reject",
    "remove_trade",
    "self_approval_allowed",
    "submit",
    "wrote",
]

S = ProposalState
# Actions that shape a proposal's trades: whoever did one is not a second pair of eyes.
AUTHORING_ACTIONS = (
    actions.PROPOSAL_CREATED.code,
    actions.PROPOSAL_REFRESHED.code,
    actions.PROPOSAL_TRADE_ADDED.code,
    actions.PROPOSAL_TRADE_EDITED.code,
    actions.PROPOSAL_TRADE_REMOVED.code,
)


# --- Creating and refreshing -----------------------------------------------------------------


def create_proposal(
    *,
    firm: Firm,
    household: Household,
    account: Account | None = None,
    options: Options,
    author: User,
    engine: Engine | None = None,
) -> Proposal:
    """Build the input, run the engine and store a draft with its trades."""
    with in_firm(firm.pk):
        household = Household.objects.get(pk=household.pk)
        membership = writer(author, household.pk)
        data, fingerprint = build_input(
            firm=household.firm_id, household=household, account=account, options=options
        )
        result = run_engine(engine, data)
        proposal = Proposal(
            firm_id=household.firm_id,
            household=household,
            account_id=getattr(account, "pk", None),
            mode=options.mode,
            options=options_to_json(options),
            author=author,
            inputs_fingerprint=fingerprint,
            as_of=options.as_of,
        )
        rows = apply_result(proposal, result)
        proposal.save(force_insert=True)
        ProposedTrade.objects.bulk_create(rows)
        changes = {**snapshot(proposal), "trades": trades_summary(rows)}
        audit(proposal, actions.PROPOSAL_CREATED.code, author, membership, changes)
        return proposal


def refresh(
    *, proposal: Proposal, actor: User, expected_version: int, engine: Engine | None = None
) -> Proposal:
    """Rebuild a draft or submitted proposal from current data; it becomes a draft again."""
    with in_firm(proposal.firm_id):
        current = load(proposal)
        membership = writer(actor, current.household_id)
        before = claim(current, expected_version, {S.DRAFT, S.SUBMITTED}, "refreshed")
        options = dataclasses.replace(
            options_from_json(current.options), as_of=current_as_of(current)
        )
        data, fingerprint = build_input(
            firm=current.firm_id,
            household=current.household_id,
            account=current.account_id,
            options=options,
        )
        result = run_engine(engine, data)
        old = trades_summary(list(current.trades.all()))
        current.trades.all().delete()
        rows = apply_result(current, result)
        current.options, current.as_of = options_to_json(options), options.as_of
        current.inputs_fingerprint, current.state = fingerprint, S.DRAFT
        current.submitted_by, current.submitted_at = None, None
        current.save()
        ProposedTrade.objects.bulk_create(rows)
        trades = {"before": old, "after": trades_summary(rows)}
        changes = {**diff(before, snapshot(current)), "trades": trades}
        audit(current, actions.PROPOSAL_REFRESHED.code, actor, membership, changes)
        return current


def is_stale(proposal: Proposal) -> bool:
    """Whether the lots, cash or prices the proposal used have changed, or its model is no
    longer at the version it was built on (:mod:`portfolios.model_versions.staleness`)."""
    with in_firm(proposal.firm_id):
        current = load(proposal)
        if model_staleness(current) is not None:
            return True
        try:
            return current_fingerprint(current) != current.inputs_fingerprint
        except ProposalInputError:
            return True


def submit(*, proposal: Proposal, actor: User, expected_version: int) -> Proposal:
    def prepare(current: Proposal, actor: User) -> dict[str, Any]:
        rows = list(current.trades.all())
        if not rows:
            raise ValidationError("A proposal without trades has nothing to submit.")
        data = fresh_input(current)
        trades = [pm.trade_of(r, pm.symbol_of(data, r.security_id)) for r in rows]
        pm.check_trades(data, trades)
        return {"submitted_by": actor, "submitted_at": timezone.now()}

    return transition(
        proposal=proposal, actor=actor, expected_version=expected_version,
        sources={S.DRAFT}, target=S.SUBMITTED, verb="submitted", prepare=prepare,
    )  # fmt: skip


def approve(
    *, proposal: Proposal, approver: User, expected_version: int, comment: str = ""
) -> Proposal:
    """Approve a submitted proposal: refused when stale, or by anyone who wrote or edited it
    unless its trade value is below the firm's self-approval threshold (four eyes)."""

    def prepare(current: Proposal, actor: User) -> dict[str, Any]:
        _check_four_eyes(current, actor)
        fresh_input(current)
        return {"approved_by": actor, "decided_at": timezone.now(), "comment": comment}

    return transition(
        proposal=proposal, actor=approver, expected_version=expected_version,
        sources={S.SUBMITTED}, target=S.APPROVED, verb="approved", prepare=prepare,
    )  # fmt: skip


def self_approval_allowed(proposal: Proposal) -> bool:
    """Whether the proposal is small enough for one pair of eyes: its trade value is below
    the firm's ``self_approval_below`` (empty: never). Approving it then needs no step-up
    either; every other approval does (advisory.mfa.stepup)."""
    below = Firm.objects.values_list("self_approval_below", flat=True).get(pk=proposal.firm_id)
    return below is not None and proposal.trade_value < below


def wrote(proposal: Proposal, user: User) -> bool:
    """Whether ``user`` created, refreshed or edited the proposal's trades."""
    return proposal.author_id == user.pk or (
        AuditEvent.objects.filter(
            object_type=Proposal._meta.label_lower,
            object_id=str(proposal.pk),
            actor=user,
            action__in=AUTHORING_ACTIONS,
        ).exists()
    )


def _check_four_eyes(current: Proposal, approver: User) -> None:
    if self_approval_allowed(current) or not wrote(current, approver):
        return
    below = Firm.objects.values_list("self_approval_below", flat=True).get(pk=current.firm_id)
    limit = "" if below is None else f" of {below} or more"
    raise FourEyesRequired(
        f"Proposals{limit} need a second approver: someone who did not create, refresh or "
        "edit this one."
    )


def reject(
    *, proposal: Proposal, actor: User, expected_version: int, comment: str = ""
) -> Proposal:
    def prepare(current: Proposal, actor: User) -> dict[str, Any]:
        return {"rejected_by": actor, "decided_at": timezone.now(), "comment": comment}

    return transition(
        proposal=proposal, actor=actor, expected_version=expected_version,
        sources={S.SUBMITTED}, target=S.REJECTED, verb="rejected", prepare=prepare,
    )  # fmt: skip


def cancel(
    *, proposal: Proposal, actor: User, expected_version: int, comment: str = ""
) -> Proposal:
    """Withdraw a proposal that was not executed (an exported file may never be sent)."""
    return transition(
        proposal=proposal, actor=actor, expected_version=expected_version,
        sources={S.DRAFT, S.SUBMITTED, S.APPROVED, S.EXPORTED}, target=S.CANCELLED,
        verb="cancelled", prepare=lambda current, actor: {"comment": comment},
    )  # fmt: skip


def mark_executed(
    *,
    proposal: Proposal,
    actor: User | None,
    expected_version: int,
    note: dict[str, Any] | None = None,
) -> Proposal:
    """Record that the custodian executed the exported orders. Lots and cash change with
    :func:`portfolios.executions.apply.record_execution`, which calls this in its transaction
    (``note``: the execution id, fill counts and file hash, added to the audit event).

    ``actor`` None: a command acting for the firm (``import_executions`` without a user);
    no role to check, the event names the command (``advisory.request_context.acting_as``).
    """
    if actor is not None:
        return transition(
            proposal=proposal, actor=actor, expected_version=expected_version,
            sources={S.EXPORTED}, target=S.EXECUTED, verb="marked executed",
            prepare=lambda current, actor: {"executed_at": timezone.now()}, note=note,
        )  # fmt: skip
    with in_firm(proposal.firm_id):
        current = load(proposal)
        before = claim(current, expected_version, {S.EXPORTED}, "marked executed")
        current.state, current.executed_at = S.EXECUTED, timezone.now()
        current.save(update_fields=["state", "executed_at", "updated_at"])
        changes = {**diff(before, snapshot(current)), **(note or {})}
        record(firm=current.firm_id, action=actions.PROPOSAL_EXECUTED, obj=current, changes=changes)
        webhooks.proposal_moved(current)
        return current
