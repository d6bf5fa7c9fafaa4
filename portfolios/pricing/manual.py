"""Manual price entry by a firm admin: one close, the same checks as a file.

A manual price belongs to the firm it was entered for: its source is
``manual:<firm slug>`` and valuation counts it for that firm only (see
:func:`portfolios.valuation.visible_prices`). Prices from files are shared.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction

from advisory import audit_actions as actions
from advisory.audit import record
from advisory.models import Firm, Membership, Role, User
from advisory.tenancy import firm_scope
from portfolios.models import Price
from portfolios.pricing.importer import run_import
from portfolios.pricing.sources import ManualPriceSource

log = logging.getLogger("ballast.prices")


def is_firm_admin(user: User, firm: Firm) -> bool:
    """Whether ``user`` is active and an active admin of ``firm`` (operators are not)."""
    if not getattr(user, "is_active", False) or not getattr(user, "pk", None):
        return False
    with firm_scope(firm):
        return Membership.objects.filter(user=user, role=Role.ADMIN, is_active=True).exists()


@transaction.atomic
def enter_price(
    symbol: str,
    date: dt.date | str,
    close: Decimal | str,
    *,
    firm: Firm,
    entered_by: User,
) -> Price:
    """Store one close typed in by an admin of ``firm``, for that firm only.

    ``entered_by`` must be an active admin of ``firm``; being a platform
    operator (``is_staff``) is not enough. Entering the same close again
    returns the stored price; a different close for the same symbol and day
    corrects it, audited as ``price.corrected`` with the old and new close.
    Raises ValidationError keyed by field ("symbol", "date", "close"),
    PermissionDenied otherwise.
    """
    if not is_firm_admin(entered_by, firm):
        raise PermissionDenied("only an active admin of this firm may enter its prices")
    source = ManualPriceSource(firm.slug, [(symbol, date, close)])
    result, prices = run_import(source, replace=True)
    if not result.ok:
        by_field: dict[str, list[str]] = {}
        for error in result.errors:
            by_field.setdefault(error.column or NON_FIELD_ERRORS, []).append(error.message)
        raise ValidationError(by_field)
    entered = prices[0]
    price = Price.objects.get(security=entered.security, date=entered.date, source=source.name)
    if result.written:
        before = result.replaced.get((price.security_id, price.date))
        action = (actions.PRICE_CORRECTED if before is not None else actions.PRICE_ENTERED).code
        log.info("%s: %s for firm %s by user %s", action, price, firm.pk, entered_by.pk)
        changes = {"close": {"before": before, "after": price.close}, "date": price.date}
        record(firm=firm, action=action, obj=price, changes=changes, actor=entered_by)
    return price
