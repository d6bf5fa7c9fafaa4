"""Who must use a second factor, and the grace period staff get to set one up.

Staff (admins, advisors, compliance officers) of a firm that requires MFA — the default —
must enrol an authenticator. The grace period starts at their first request after it became
required (recorded on the membership) and lasts the firm's ``mfa_grace_days`` or the platform
default ``BALLAST_MFA_GRACE_DAYS``; during it they are nudged, after it they are sent to set
one up before anything else. Clients may enrol and are never forced.
"""

from __future__ import annotations

import datetime as dt

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.utils import timezone

from ..models import Firm, Membership, User

# Kinds that prove a second factor on their own (recovery codes are a fallback, not a kind).
SECOND_FACTORS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


def mfa_required(membership: Membership) -> bool:
    return membership.is_staff_role and membership.firm.require_staff_mfa


def has_second_factor(user: User) -> bool:
    return Authenticator.objects.filter(user=user, type__in=SECOND_FACTORS).exists()


def grace_days(firm: Firm) -> int:
    if firm.mfa_grace_days is not None:
        return firm.mfa_grace_days
    return settings.BALLAST_MFA_GRACE_DAYS


def grace_ends(membership: Membership, now: dt.datetime | None = None) -> dt.datetime:
    """When this member's grace ends; starts the grace now if it has not started."""
    now = now or timezone.now()
    if membership.mfa_grace_started_at is None:
        # Conditional: of two first requests at once, the first to write sets it.
        started = Membership.objects.filter(pk=membership.pk, mfa_grace_started_at=None).update(
            mfa_grace_started_at=now
        )
        membership.mfa_grace_started_at = (
            now
            if started
            else Membership.objects.values_list("mfa_grace_started_at", flat=True).get(
                pk=membership.pk
            )
        )
    return membership.mfa_grace_started_at + dt.timedelta(days=grace_days(membership.firm))
