"""Write a firm's records for a period to a folder, for an examiner.

What goes in (``--from`` and ``--to`` are inclusive UTC dates):

- ``audit/events.jsonl``: the firm's audit events of the period, one JSON object per line,
  with the chain fields (seq, prev_hash, hash, key id), and ``audit/segment.json``: where the
  segment sits in the chain (first and last seq, the hash it continues from);
- ``proposals/proposals.json``: proposals created or decided in the period, with their
  trades, author, submitter, approver or rejecter and times;
- ``reports/reports.json`` and ``reports/<id>.pdf``: reports released in the period, the
  exact stored bytes, with their SHA-256 and disclosure versions;
- ``disclosures/disclosures.json``: every disclosure version, its author and approver;
- ``people/members.json``: the firm's members and roles;
- ``anchors/``: the anchored heads of the firm's chain, when an anchor store is configured;
- ``index.html``: what is in the folder, for a person; ``MANIFEST``: every file's SHA-256.

Reads in the firm's scope; portfolio data through :mod:`portfolios.queries`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import timezone

from advisory.audit import event_content
from advisory.models import AuditEvent, Firm, Membership
from advisory.tenancy import firm_scope
from portfolios import queries as portfolio

from ..models import ArchivedReport, DisclosureVersion
from .manifest import write_manifest


class ExportError(ValueError):
    """The export cannot be written as asked; the message says why."""


@dataclass
class ExportSummary:
    folder: Path
    counts: dict[str, int] = field(default_factory=dict)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def _dump(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(data, indent=2, sort_keys=True, default=_json_default) + "\n", encoding="utf-8"
    )


def window(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The half-open UTC interval [from 00:00, the day after to 00:00)."""
    if date_to < date_from:
        raise ExportError("--to is before --from.")
    start = dt.datetime.combine(date_from, dt.time.min, tzinfo=dt.UTC)
    return start, dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)


def event_record(event: AuditEvent) -> dict[str, Any]:
    """An event as exported: its hashed content plus where it sits in the chain."""
    return {
        **event_content(event),
        "seq": event.seq,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
        "key_id": getattr(event, "key_id", ""),
    }


def _write_events(folder: Path, start: dt.datetime, end: dt.datetime) -> int:
    events = AuditEvent.objects.filter(created_at__gte=start, created_at__lt=end).order_by("seq")
    path = folder / "audit" / "events.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    first = last = None
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for event in events.iterator(chunk_size=2000):
            record = event_record(event)
            out.write(json.dumps(record, sort_keys=True, default=_json_default) + "\n")
            first = first or record
            last = record
            count += 1
    _dump(
        folder / "audit" / "segment.json",
        {
            "events": count,
            "first_seq": first["seq"] if first else None,
            "last_seq": last["seq"] if last else None,
            "continues_from_hash": first["prev_hash"] if first else None,
        },
    )
    return count


def _write_reports(folder: Path, start: dt.datetime, end: dt.datetime) -> int:
    reports = (
        ArchivedReport.objects.filter(release__released_at__gte=start, release__released_at__lt=end)
        .select_related("household", "release__released_by", "generated_by")
        .order_by("pk")
    )
    rows = []
    for report in reports:
        name = f"reports/{report.pk}.pdf"
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with default_storage.open(report.file.name, "rb") as src, target.open("wb") as dst:
            for chunk in iter(lambda: src.read(1 << 16), b""):
                dst.write(chunk)
        rows.append(
            {
                "id": report.pk,
                "file": name,
                "sha256": report.sha256,
                "size": report.size,
                "household": report.household.name,
                "household_id": report.household_id,
                "period_start": report.period_start,
                "period_end": report.period_end,
                "disclosure_versions": report.disclosure_versions,
                "template_version": report.template_version,
                "weasyprint_version": report.weasyprint_version,
                "generated_at": report.generated_at,
                "generated_by": report.generated_by.email if report.generated_by else None,
                "released_at": report.release.released_at,
                "released_by": report.release.released_by.email
                if report.release.released_by
                else None,
                "supersedes": report.supersedes_id,
            }
        )
    _dump(folder / "reports" / "reports.json", rows)
    return len(rows)


def _write_disclosures(folder: Path) -> int:
    versions = DisclosureVersion.objects.select_related(
        "disclosure", "author", "approved_by"
    ).order_by("disclosure__key", "number")
    rows = [
        {
            "version_id": v.pk,
            "key": v.disclosure.key,
            "title": v.disclosure.title,
            "number": v.number,
            "text": v.text,
            "author": v.author.email,
            "created_at": v.created_at,
            "approved_by": v.approved_by.email if v.approved_by else None,
            "approved_at": v.approved_at,
        }
        for v in versions
    ]
    _dump(folder / "disclosures" / "disclosures.json", rows)
    return len(rows)


def _write_members(folder: Path) -> int:
    members = Membership.objects.select_related("user").order_by("user__email")
    rows = [
        {
            "email": m.user.email,
            "name": m.user.full_name,
            "role": m.role,
            "active": m.is_active,
            "member_since": m.created_at,
        }
        for m in members
    ]
    _dump(folder / "people" / "members.json", rows)
    return len(rows)


def _write_proposals(folder: Path, start: dt.datetime, end: dt.datetime) -> int:
    rows = portfolio.proposals_for_records(start, end)
    _dump(folder / "proposals" / "proposals.json", rows)
    return len(rows)


def _write_index(
    folder: Path, firm: Firm, date_from: dt.date, date_to: dt.date, counts: dict[str, int]
) -> None:
    context = {
        "firm": firm,
        "date_from": date_from,
        "date_to": date_to,
        "written": timezone.now(),
        "counts": counts,
    }
    html = render_to_string("reports/records/index.html", context)
    (folder / "index.html").write_text(html, encoding="utf-8")


def export_records(
    *,
    firm: Firm,
    date_from: dt.date,
    date_to: dt.date,
    out: Path,
    anchors: Iterable[dict[str, Any]] = (),
) -> ExportSummary:
    """Write the firm's records of the period into ``out`` (created; must be empty)."""
    start, end = window(date_from, date_to)
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise ExportError(f"{out} is not empty: an export goes into a new folder.")
    out.mkdir(parents=True, exist_ok=True)
    summary = ExportSummary(out)
    with firm_scope(firm):
        summary.counts["audit events"] = _write_events(out, start, end)
        summary.counts["proposals"] = _write_proposals(out, start, end)
        summary.counts["released reports"] = _write_reports(out, start, end)
        summary.counts["disclosure versions"] = _write_disclosures(out)
        summary.counts["members"] = _write_members(out)
    anchored = [a for a in anchors if a.get("firm_id") == firm.pk]
    _dump(out / "anchors" / "anchors.json", anchored)
    summary.counts["anchored heads"] = len(anchored)
    _write_index(out, firm, date_from, date_to, summary.counts)
    write_manifest(out)
    return summary
