"""Custodian files and the price feed in the demo: a saved column mapping with two versions
for one firm, and one recorded price feed run (prices are platform-wide: seeded once).

The feed run is real: a small drop directory with the demo's closes for its pricing date
(and one row for a symbol nobody lists, rejected and reported) is loaded by the same code
as the nightly task, and the run is dated that night, the demo's "today". Idempotent.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
from pathlib import Path

from django.db.models import Max
from django.utils import timezone

from advisory.models import Firm, Membership, Role
from advisory.tenancy import firm_scope
from portfolios.imports.custodians import CUSTODIAN_PRESETS
from portfolios.imports.mappings import save_mapping
from portfolios.models import ColumnMapping, Price, PriceFeedRun
from portfolios.pricing.feed import run_feed
from portfolios.pricing.feed_sources import DropDirectorySource

MAPPING_NAME = "Schwab positions (demo)"


def seed_column_mapping(firm: Firm) -> int:
    """A saved mapping for ``firm`` with two versions (the second skips more summary rows);
    returns the number of versions created (0 if the firm already has the mapping)."""
    with firm_scope(firm):
        if ColumnMapping.objects.filter(name=MAPPING_NAME).exists():
            return 0
        admin = (
            Membership.objects.filter(role=Role.ADMIN, is_active=True)
            .select_related("user")
            .order_by("user__email")
            .first()
        )
        actor = admin.user if admin else None
        layout = CUSTODIAN_PRESETS["schwab"].mapping
        first = save_mapping(
            firm,
            name=MAPPING_NAME,
            custodian="schwab",
            layout=dataclasses.replace(layout, summary_markers=("account total",)),
            actor=actor,
        )
        save_mapping(
            firm, name=MAPPING_NAME, custodian="schwab", layout=layout, actor=actor, edits=first
        )
        return 2


def seed_price_feed_run() -> PriceFeedRun | None:
    """One feed run over a demo drop file, dated the night of the demo's latest price."""
    if PriceFeedRun.objects.exists():
        return None
    night = Price.objects.aggregate(d=Max("date"))["d"]
    if night is None:
        return None
    closes = list(
        Price.objects.filter(date=night).select_related("security").order_by("security__symbol")
    )[:20]
    with tempfile.TemporaryDirectory(prefix="ballast-demo-drop-") as directory:
        lines = ["symbol,date,close"]
        lines += [
            f"{p.security.symbol},{night.isoformat()},{p.close.normalize():f}" for p in closes
        ]
        lines.append(f"ZZZZ,{night.isoformat()},1.00")  # nobody lists it: rejected, reported
        Path(directory, f"closes-{night:%Y%m%d}.csv").write_text("\n".join(lines) + "\n")
        run = run_feed(DropDirectorySource(directory), as_of=night)
    evening = timezone.make_aware(dt.datetime.combine(night, dt.time(22, 0)))
    PriceFeedRun.objects.filter(pk=run.pk).update(
        started_at=evening, finished_at=evening + dt.timedelta(minutes=1)
    )
    run.refresh_from_db()
    return run
