"""Manual price entry by an admin: one close, the same checks as a file, source "manual"."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction

from advisory.audit import record
from advisory.membership import firms_of
from advisory.models import Firm, Membership, Role, User
from advisory.tenancy import firm_scope
from portfolios.models import Price

from .importer import run_import
from .sources import MANUAL_SOURCE, ManualPriceSource

log = logging.getLogger("ballast.prices")


def admin_firms(user: User) -> list[Firm]:
    """The firms in which ``user`` is an active firm admin."""
    firms = []
    for firm in firms_of(user):
        with firm_scope(firm):
            if Membership.objects.filter(user=user, role=Role.ADMIN, is_active=True).exists():
                firms.append(firm)
    return firms


@transaction.atomic
def enter_price(
    symbol: str, date: dt.date | str, close: Decimal | str, *, entered_by: User
) -> Price:
    """Store one close typed in by an admin, validated like a file row.

    ``entered_by`` must be a platform operator or an active firm admin. Entering
    the same close again returns the stored price; a different close for the
    same symbol and day is refused (correct it by deleting the wrong one).
    Raises ValidationError keyed by field ("symbol", "date", "close").
    """
    firms = _check_may_enter(entered_by)
    result, prices = run_import(ManualPriceSource([(symbol, date, close)]))
    if not result.ok:
        by_field: dict[str, list[str]] = {}
        for error in result.errors:
            by_field.setdefault(error.column or NON_FIELD_ERRORS, []).append(error.message)
        raise ValidationError(by_field)
    entered = prices[0]
    price = Price.objects.get(security=entered.security, date=entered.date, source=MANUAL_SOURCE)
    if result.written:
        log.info("price entered: %s by user %s", price, entered_by.pk)
        changes = {"close": {"before": None, "after": price.close}, "date": price.date}
        for firm in firms:
            record(firm=firm, action="price.entered", obj=price, changes=changes, actor=entered_by)
    return price


def _check_may_enter(user: User) -> list[Firm]:
    if not getattr(user, "is_active", False) or not getattr(user, "pk", None):
        raise PermissionDenied("prices can only be entered by an active user")
    firms = admin_firms(user)
    if not (firms or user.is_staff or user.is_superuser):
        raise PermissionDenied("only firm admins and platform operators may enter prices")
    return firms
