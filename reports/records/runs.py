"""Examination exports as a Celery task: :func:`start_export` records what was asked,
:func:`run_export` (the task's body) writes the folder with :func:`.export.export_records`,
zips it with its MANIFEST into storage and marks the export ready. Each step is audited.

Idempotent under redelivery: the export row is claimed ``FOR UPDATE SKIP LOCKED`` and a
finished export is left alone, so a task sent twice makes one zip.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
import uuid
import zipfile
from dataclasses import asdict
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from advisory import audit_actions as actions
from advisory.audit import record
from advisory.chain.anchors import anchor_store, anchors_by_firm
from advisory.models import Firm, Membership, Role, User
from advisory.tenancy import firm_scope
from config.db_routing.router import use_replica

from ..models import RecordsExport, RecordsExportState
from .export import ExportError, export_records, window

OFFICERS = (Role.COMPLIANCE, Role.ADMIN)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed member times: the same folder zips to the same bytes


def start_export(*, firm: Firm, user: User, date_from: dt.date, date_to: dt.date) -> RecordsExport:
    """Record an export to make; the caller dispatches the task once this commits."""
    window(date_from, date_to)  # ExportError for a period that ends before it starts
    if date_from > timezone.now().date():
        raise ExportError("The period starts in the future.")
    with firm_scope(firm), transaction.atomic():
        membership = Membership.objects.filter(user=user, is_active=True).first()
        if membership is None or membership.role not in OFFICERS:
            raise PermissionDenied("Only compliance officers and firm admins export records.")
        export = RecordsExport.objects.create(
            firm=firm, requested_by=user, date_from=date_from, date_to=date_to
        )
        record(
            firm=firm,
            action=actions.RECORDS_EXPORT_STARTED.code,
            obj=export,
            changes={"from": date_from.isoformat(), "to": date_to.isoformat()},
        )
    return export


def zip_folder(folder: Path) -> bytes:
    """The folder as a zip (under its own name, so it unzips to one folder), members sorted,
    with fixed times (deterministic bytes)."""
    with tempfile.SpooledTemporaryFile(max_size=32 << 20) as buffer:
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                info = zipfile.ZipInfo(path.relative_to(folder.parent).as_posix(), ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes())
        buffer.seek(0)
        return buffer.read()


def run_export(firm_id: int, export_id: int) -> str:
    """Make the export's zip; ``"done"``, ``"skipped"`` (finished or claimed elsewhere) or
    ``"failed"`` (the reason is kept on the row and in the trail)."""
    with firm_scope(firm_id):
        with transaction.atomic():
            export = (
                RecordsExport.objects.select_for_update(skip_locked=True)
                .filter(pk=export_id, state=RecordsExportState.QUEUED)
                .first()
            )
            if export is None:
                return "skipped"
            export.state = RecordsExportState.RUNNING
            export.save(update_fields=["state"])
        firm = Firm.objects.get(pk=firm_id)
        anchors = [asdict(a) for a in anchors_by_firm(anchor_store().read_all()).get(firm_id, [])]
        try:
            with (
                tempfile.TemporaryDirectory(prefix="ballast-export-") as tmp,
                # Read from the replica once it has everything committed before the request.
                use_replica(fresh_since=export.created_at),
            ):
                folder = Path(tmp) / f"records-{firm.slug}-{export.date_from}-{export.date_to}"
                summary = export_records(
                    firm=firm,
                    date_from=export.date_from,
                    date_to=export.date_to,
                    out=folder,
                    anchors=anchors,
                )
                data = zip_folder(folder)
        except (ExportError, OSError) as exc:
            return _fail(export, f"{type(exc).__name__}: {exc}")
        name = default_storage.save(records_name(export), ContentFile(data))
        with transaction.atomic():
            export.file = name
            export.sha256 = hashlib.sha256(data).hexdigest()
            export.size = len(data)
            export.counts = dict(summary.counts)
            export.state = RecordsExportState.DONE
            export.finished_at = timezone.now()
            export.save()
            record(
                firm=firm_id,
                action=actions.RECORDS_EXPORTED.code,
                obj=export,
                actor=export.requested_by,
                actor_label=export.requested_by.email,
                changes={
                    "from": export.date_from.isoformat(),
                    "to": export.date_to.isoformat(),
                    "sha256": export.sha256,
                    **{k.replace(" ", "_"): v for k, v in summary.counts.items()},
                },
            )
        return "done"


def records_name(export: RecordsExport) -> str:
    return f"exports/{export.firm_id}/{uuid.uuid4().hex}.zip"


def _fail(export: RecordsExport, reason: str) -> str:
    with transaction.atomic():
        export.state = RecordsExportState.FAILED
        export.error = reason[:500]
        export.finished_at = timezone.now()
        export.save(update_fields=["state", "error", "finished_at"])
        record(
            firm=export.firm_id,
            action=actions.RECORDS_EXPORT_FAILED.code,
            obj=export,
            changes={"reason": export.error},
        )
    return "failed"
