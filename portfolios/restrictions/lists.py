"""Adding and lifting restrictions (portfolios.Restriction).

Each change runs in one transaction inside the firm's scope and writes one audit event;
bad input raises :class:`RestrictionError` with a message for the person and changes
nothing. Who may change what is the caller's check (the views use the access helpers):
advisors and admins write, compliance reads, clients never see restrictions.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from advisory import audit_actions as actions
from advisory.audit import record, snapshot
from advisory.models import Account, Firm, Household, User
from advisory.tenancy import firm_scope
from portfolios.models import Restriction, RestrictionSide, Security

MAX_REASON = 300  # Restriction.reason


class RestrictionError(ValueError):
    """The restriction cannot be added or lifted; the message says why."""


def _firm_id(firm: Firm | int) -> int:
    return firm if isinstance(firm, int) else firm.pk


def _clean_reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise RestrictionError(f"Give a reason for {what}.")
    if len(reason) > MAX_REASON:
        raise RestrictionError(f"The reason is longer than {MAX_REASON} characters.")
    return reason


def add_restriction(
    *,
    firm: Firm | int,
    actor: User,
    symbol: str,
    side: str,
    reason: str,
    household: Household | None = None,
    account: Account | None = None,
    expires_on: dt.date | None = None,
    today: dt.date | None = None,
) -> Restriction:
    """Put a security on a do-not-buy (``side="buy"``) or do-not-sell (``"sell"``) list:
    firm-wide (no household, no account), for one household or for one account."""
    firm_id = _firm_id(firm)
    today = today or timezone.localdate()
    if side not in RestrictionSide.values:
        raise RestrictionError("Choose do not buy or do not sell.")
    if household is not None and account is not None:
        raise RestrictionError("A restriction applies to a household or to an account, not both.")
    reason = _clean_reason(reason, "the restriction")
    if expires_on is not None and expires_on < today:
        raise RestrictionError("The expiry date is in the past.")
    symbol = (symbol or "").strip().upper()
    with firm_scope(firm_id), transaction.atomic():
        security = Security.objects.filter(symbol=symbol).first()
        if security is None:
            raise RestrictionError(f"No security with the symbol {symbol or '(blank)'}.")
        for scoped in (household, account):
            if scoped is not None and scoped.firm_id != firm_id:
                raise RestrictionError("That household or account is not in this firm.")
        duplicate = Restriction.objects.filter(
            security=security,
            side=side,
            household=household,
            account=account,
            lifted_at__isnull=True,
        ).exclude(expires_on__lt=today)
        if duplicate.exists():
            raise RestrictionError(
                f"{symbol} is already restricted that way there; lift that one first."
            )
        restriction = Restriction.objects.create(
            firm_id=firm_id,
            security=security,
            side=side,
            household=household,
            account=account,
            reason=reason,
            expires_on=expires_on,
            created_by=actor,
        )
        record(
            firm=firm_id,
            action=actions.RESTRICTION_ADDED,
            obj=restriction,
            changes={**snapshot(restriction), "symbol": symbol, "scope": restriction.scope},
            actor=actor,
        )
        return restriction


def lift_restriction(
    *, firm: Firm | int, actor: User, restriction: Restriction | int, reason: str
) -> Restriction:
    """End a restriction now, with the reason; it stays on record as lifted."""
    firm_id = _firm_id(firm)
    reason = _clean_reason(reason, "lifting it")
    with firm_scope(firm_id), transaction.atomic():
        pk = restriction if isinstance(restriction, int) else restriction.pk
        current = Restriction.objects.select_for_update().filter(pk=pk).first()
        if current is None:
            raise RestrictionError("No such restriction.")
        if current.lifted_at is not None:
            raise RestrictionError("This restriction was already lifted.")
        before = snapshot(current)
        current.lifted_at, current.lifted_by = timezone.now(), actor
        current.save(update_fields=["lifted_at", "lifted_by"])
        record(
            firm=firm_id,
            action=actions.RESTRICTION_LIFTED,
            obj=current,
            changes={
                "lifted_at": [before["lifted_at"], snapshot(current)["lifted_at"]],
                "lifted_by": [None, actor.pk],
                "reason": reason,
            },
            actor=actor,
        )
        return current
