"""The report archive: generate a household report into an immutable ``ArchivedReport``,
release it to the client, render it again, verify its stored file.

The one writer of :class:`~reports.models.ArchivedReport` and
:class:`~reports.models.ReportRelease`. The PDF is written through Django's storage API first;
the row and its audit event are then written in one short transaction, the event last. If
that transaction fails, the file just written is deleted again, so a failure leaves nothing.
Rows are never updated or deleted (a database trigger refuses it): a correction is a new
report that names the one it ``supersedes``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Any

import weasyprint
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from advisory import audit_actions as actions
from advisory import webhooks
from advisory.audit import record
from advisory.db_security.locks import lock_for_transaction
from advisory.models import Household, Membership, User
from advisory.tenancy import active_firm_id, firm_scope

from .models import TEMPLATE_VERSION, ArchivedReport, ReportRelease
from .render import render_household_report
from .report_build import build_household_report
from .report_data import ReportData, from_json, to_json
from .report_types import HOUSEHOLD_REPORT

CHUNK = 1 << 16


def _scope(firm_id: int) -> Any:
    """The active firm scope if any (a request's), else the given firm's."""
    active = active_firm_id()
    return firm_scope(active if active is not None else firm_id)


def _actor(user: User | None) -> dict[str, Any]:
    if user is None:
        return {}
    membership = Membership.objects.filter(user=user, is_active=True).first()
    return {
        "actor": user,
        "actor_label": user.email,
        "role": membership.role if membership else None,
    }


def generate_report(
    *,
    household: Household,
    period_start: dt.date,
    period_end: dt.date,
    actor: User | None,
    supersedes: ArchivedReport | None = None,
    data: ReportData | None = None,
) -> ArchivedReport:
    """Build, render and archive the household report for the period; audited
    ``report.generated``. Raises ``DisclosureMissing`` (nothing written) when a required
    disclosure has no approved version; another firm's household is ``DoesNotExist``.
    ``data``: the household's report contents for the period, built already (a batch item
    reads them from the replica before it takes its lock: reports/batches.py)."""
    with _scope(household.firm_id):
        # Through the scoped manager: another firm's household is DoesNotExist.
        household = Household.objects.get(pk=household.pk)
        if supersedes is not None:
            supersedes = ArchivedReport.objects.get(pk=supersedes.pk, household=household)
        if data is None:
            data = build_household_report(
                household=household, period_start=period_start, period_end=period_end
            )
        elif (data.period_start, data.period_end) != (period_start, period_end):
            raise ValueError("The report data are another period's.")
        generated_at = timezone.now().replace(microsecond=0)
        pdf = render_household_report(data, generated_at=generated_at)
        name = default_storage.save(
            f"reports/{household.firm_id}/{uuid.uuid4().hex}.pdf", ContentFile(pdf)
        )
        try:
            with transaction.atomic():
                report = ArchivedReport.objects.create(
                    firm_id=household.firm_id,
                    household=household,
                    report_type=HOUSEHOLD_REPORT.key,
                    period_start=period_start,
                    period_end=period_end,
                    as_of=data.as_of,
                    file=name,
                    sha256=hashlib.sha256(pdf).hexdigest(),
                    size=len(pdf),
                    disclosure_versions=[
                        {"key": d.key, "version_id": d.version_id, "number": d.version_number}
                        for d in data.disclosures
                    ],
                    data=to_json(data),
                    template_version=TEMPLATE_VERSION,
                    weasyprint_version=weasyprint.__version__,
                    generated_by=actor,
                    generated_at=generated_at,
                    supersedes=supersedes,
                )
                record(
                    firm=household.firm_id,
                    action=actions.REPORT_GENERATED.code,
                    obj=report,
                    changes={
                        "household": {"before": None, "after": household.pk},
                        "period": {"before": None, "after": f"{period_start}/{period_end}"},
                        "sha256": {"before": None, "after": report.sha256},
                        "supersedes": {"before": None, "after": supersedes and supersedes.pk},
                    },
                    **_actor(actor),
                )
        except BaseException:
            default_storage.delete(name)
            raise
    return report


def release_report(*, report: ArchivedReport, actor: User | None) -> ReportRelease:
    """Release an archived report to its client (once); audited ``report.released``. Once the
    release commits, the clients who may see it are e-mailed by the task
    :func:`reports.tasks.notify_report_released` (a failure to queue it is logged, the
    release stands)."""
    from .tasks import notify_report_released  # tasks → batches → archive: import on use

    with _scope(report.firm_id), transaction.atomic():
        report = ArchivedReport.objects.get(pk=report.pk)
        # Not a row lock: the archive is append-only, the app role may not lock its rows.
        lock_for_transaction(f"report-release:{report.pk}")
        if ReportRelease.objects.filter(report=report).exists():
            raise ValidationError(f"Report #{report.pk} has already been released.")
        release = ReportRelease.objects.create(
            firm_id=report.firm_id, report=report, released_by=actor, released_at=timezone.now()
        )
        record(
            firm=report.firm_id,
            action=actions.REPORT_RELEASED.code,
            obj=report,
            changes={"released": {"before": False, "after": True}},
            **_actor(actor),
        )
        webhooks.report_released(report, release.released_at)
        firm_id, report_id = report.firm_id, report.pk
        transaction.on_commit(lambda: notify_report_released.delay(firm_id, report_id), robust=True)
    return release


def rerender(report: ArchivedReport) -> bytes:
    """The report rendered again from its stored data snapshot, dated as the original, with
    today's templates: the same text as the stored PDF when ``report.template_version`` is
    :data:`~reports.models.TEMPLATE_VERSION`; an older version's layout (page breaks, page
    count) may differ. The stored file, not a re-render, is the record of what was sent."""
    return render_household_report(from_json(report.data), generated_at=report.generated_at)


def stored_sha256(report: ArchivedReport) -> str:
    digest = hashlib.sha256()
    with default_storage.open(report.file.name, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_report(report: ArchivedReport) -> str | None:
    """None when the stored file hashes as archived; else what is wrong with it."""
    name = report.file.name
    if not name or not default_storage.exists(name):
        return f"file missing: {name}"
    actual = stored_sha256(report)
    if actual != report.sha256:
        return f"hash mismatch: {name} hashes {actual}, archived as {report.sha256}"
    return None
