"""Legal holds: placing, releasing, and what the active ones keep from disposal.

The one writer of :class:`~advisory.models.LegalHold`. Placing and releasing are audited
(``legal_hold.placed``, ``legal_hold.released``) in the same transaction.

What a hold keeps:

- a firm-wide hold (no household): every audit event and every archived report of the firm;
- a household hold: that household's archived reports, and the audit events about anything of
  the household: the household, its accounts, its clients and their user logins, and what the
  feature apps register (proposals, archived reports). The chain can only be disposed of as a
  prefix, so the disposal stops below the oldest such event (everything after it is kept too).

Feature apps add their objects with :func:`register_held_objects` (called from their
``AppConfig.ready``): advisory knows households, accounts and clients, not proposals or
reports, and never imports the apps that do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from advisory import audit
from advisory import audit_actions as actions
from advisory.models import Account, Client, Firm, Household, LegalHold, User
from advisory.tenancy import firm_scope

# How events name a household or an account (``record(obj=...)`` writes the model label;
# a few callers write the short name).
HOUSEHOLD_TYPES = ("advisory.household", "household")
ACCOUNT_TYPES = ("advisory.account", "account")
CLIENT_TYPES = ("advisory.client", "client")
USER_TYPES = ("advisory.user", "user")

# (object types an event may carry, the ids of the held objects of that kind)
HeldObjects = tuple[tuple[str, ...], Iterable[object]]
# Given held household ids (inside the firm's scope): the objects of one kind they hold.
HeldObjectsProvider = Callable[[frozenset[int]], Iterable[HeldObjects]]
_providers: list[HeldObjectsProvider] = []


def register_held_objects(provider: HeldObjectsProvider) -> None:
    """Add a kind of object a household hold keeps events about (idempotent)."""
    if provider not in _providers:
        _providers.append(provider)


def _household_objects(household_ids: frozenset[int]) -> Iterable[HeldObjects]:
    yield HOUSEHOLD_TYPES, household_ids
    yield (
        ACCOUNT_TYPES,
        Account.objects.filter(household_id__in=household_ids).values_list("pk", flat=True),
    )
    clients = Client.objects.filter(household_id__in=household_ids)
    yield CLIENT_TYPES, clients.values_list("pk", flat=True)
    # A client's portal user: their sign-ins, and what they viewed, are about the household.
    yield USER_TYPES, clients.exclude(user=None).values_list("user_id", flat=True)


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
    held = Q(pk__in=[])
    with firm_scope(firm):
        for provider in (_household_objects, *_providers):
            for object_types, ids in provider(household_ids):
                id_texts = sorted({str(i) for i in ids})
                if id_texts:
                    held |= Q(object_type__in=object_types, object_id__in=id_texts)
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
