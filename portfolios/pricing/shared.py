"""Shared price files uploaded by a platform operator, recorded in an audit trail."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction

from advisory import audit_actions as actions
from advisory.audit import record
from advisory.models import Firm, User
from portfolios.imports.csv_rows import ImportResult
from portfolios.pricing.importer import import_prices
from portfolios.pricing.sources import CsvPriceSource


def import_shared_prices(
    source: CsvPriceSource, *, firm: Firm, actor: User, file_name: str, partial: bool = False
) -> ImportResult:
    """Import a price file for every firm; only platform operators (``is_staff``) may.

    Prices are shared reference data, so no firm owns the import; the event
    goes to the operator's current firm (``firm``): ``prices.imported``, or
    ``prices.import_rejected`` when errors meant nothing was written.
    """
    if not (getattr(actor, "is_active", False) and getattr(actor, "is_staff", False)):
        raise PermissionDenied("only platform operators may import shared prices")
    with transaction.atomic():
        result = import_prices(source, partial=partial)
        action = (
            actions.PRICES_IMPORTED.code
            if result.ok or result.written
            else actions.PRICES_IMPORT_REJECTED.code
        )
        changes = {
            "file": file_name,
            "source": source.name,
            "partial": partial,
            "rows": result.rows_read,
            "written": result.written,
            "already_present": result.skipped_existing,
            "errors": result.error_count,
            "first_errors": [str(e) for e in result.errors[:10]],
        }
        record(firm=firm, action=action, object_repr=file_name, changes=changes, actor=actor)
    return result
