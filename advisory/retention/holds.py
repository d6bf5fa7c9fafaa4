"""Legal holds: placing, releasing, and what the active ones keep from disposal.

The one writer of :class:`~advisory.models.LegalHold`. Placing and releasing are audited
(``legal_hold.placed``, ``legal_hold.released``) in the same transaction.

What a hold keeps:

- a firm-wide hold (no household): every audit event and every archived report of the firm;
- a household hold: that household's archived reports, and the audit events whose object is
  the household or one of its accounts. The chain can only be disposed of as a prefix, so
  the disposal stops below the oldest such event (everything after it is kept too).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from advisory import audit
from advisory import audit_actions as actions
from advisory.models import Account, Firm, Household, LegalHold, User
from advisory.tenancy import firm_scope

# How events name a household or an account (``record(obj=...)`` writes the model label;
# a few callers write the short name).
HOUSEHOLD_TYPES = ("advisory.household", "household")
ACCOUNT_TYPES = ("advisory.account", "account")


class HoldError(ValueError):
    """A hold that cannot be placed or released (the message says why)."""


@dataclass(frozen=True)
class ActiveHolds:
    """The active holds of one firm, as disposal needs them."""

    firm_wide: bool
    household_ids: frozenset[int]

    @property
    def any(self) -> bool:
        return self.firm_wide or bool(self.household_ids)


def active_holds(firm: Firm | int) -> ActiveHolds:
    with firm_scope(firm):
        rows = list(LegalHold.objects.filter(released_at__isnull=True).values_list("household_id"))
    return ActiveHolds(
        firm_wide=any(household_id is None for (household_id,) in rows),
        household_ids=frozenset(h for (h,) in rows if h is not None),
    )


def held_event_filter(firm: Firm | int, household_ids: frozenset[int]) -> Q | None:
    """A filter for the audit events a household hold keeps (None when there are none)."""
    if not household_ids:
        return None
    with firm_scope(firm):
        account_ids = list(
            Account.objects.filter(household_id__in=household_ids).values_list("pk", flat=True)
        )
    held = Q(object_type__in=HOUSEHOLD_TYPES, object_id__in=[str(h) for h in household_ids])
    if account_ids:
        held |= Q(object_type__in=ACCOUNT_TYPES, object_id__in=[str(a) for a in account_ids])
    return held


def place_hold(
    *, firm: Firm, placed_by: User, reason: str, household: Household | None = None
) -> LegalHold:
    """Place a hold on the firm (``household`` None) or on one household, audited."""
    reason = (reason or "").strip()
    if not reason:
        raise HoldError("A legal hold needs a reason.")
    if household is not None and household.firm_id != firm.pk:
        raise HoldError("That household is not of this firm.")
    with firm_scope(firm), transaction.atomic():
        hold = LegalHold.objects.create(
            firm=firm, household=household, reason=reason, placed_by=placed_by
        )
        audit.record(
            firm=firm,
            action=actions.LEGAL_HOLD_PLACED,
            obj=hold,
            actor=placed_by,
            changes={
                "scope": "household" if household is not None else "firm",
                "household": household.pk if household is not None else None,
                "reason": reason,
            },
        )
    return hold


def release_hold(*, hold: LegalHold, released_by: User, reason: str) -> LegalHold:
    """Release an active hold, with a reason, audited. A released hold stays listed."""
    reason = (reason or "").strip()
    if not reason:
        raise HoldError("Releasing a legal hold needs a reason.")
    with firm_scope(hold.firm_id), transaction.atomic():
        hold = LegalHold.objects.select_for_update().get(pk=hold.pk)
        if not hold.active:
            raise HoldError("This hold has already been released.")
        hold.released_by, hold.released_at, hold.release_reason = (
            released_by,
            timezone.now(),
            reason,
        )
        hold.save(update_fields=["released_by", "released_at", "release_reason"])
        audit.record(
            firm=hold.firm_id,
            action=actions.LEGAL_HOLD_RELEASED,
            obj=hold,
            actor=released_by,
            changes={
                "scope": "household" if hold.household_id else "firm",
                "household": hold.household_id,
                "reason": reason,
            },
        )
    return hold
