"""Write a firm's books and records for a period to a new folder, with a MANIFEST."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from advisory import audit_actions as actions
from advisory.audit import record
from advisory.chain.anchors import anchor_store, anchors_by_firm
from advisory.models import Firm
from advisory.request_context import acting_as
from reports.records.export import ExportError, export_records


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = "Export a firm's records for a period (audit events, proposals, reports, ...)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--firm", required=True, metavar="SLUG")
        parser.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD")
        parser.add_argument("--out", required=True, metavar="DIR", help="A new or empty folder.")

    def handle(self, *args: Any, **options: Any) -> None:
        firm = Firm.objects.filter(slug=options["firm"]).first()
        if firm is None:
            raise CommandError(f"No firm with slug {options['firm']!r}.")
        date_from, date_to = _date(options["date_from"]), _date(options["date_to"])
        try:
            summary = export_records(
                firm=firm,
                date_from=date_from,
                date_to=date_to,
                out=Path(options["out"]),
                anchors=[
                    asdict(a) for a in anchors_by_firm(anchor_store().read_all()).get(firm.pk, [])
                ],
            )
        except ExportError as exc:
            raise CommandError(str(exc)) from None
        with acting_as(actor_label="export_records", role="system"):
            record(
                firm=firm,
                action=actions.RECORDS_EXPORTED.code,
                changes={
                    "from": date_from.isoformat(),
                    "to": date_to.isoformat(),
                    "folder": str(summary.folder),
                    **{k.replace(" ", "_"): v for k, v in summary.counts.items()},
                },
            )
        counts = ", ".join(f"{n} {what}" for what, n in summary.counts.items())
        self.stdout.write(f"Wrote {summary.folder}: {counts}.")
