"""Celery tasks of the report archive: thin callers of :mod:`reports.batches` and
:mod:`reports.notifications`.

Tasks take ids and a date string, enter the firm scope (in those modules), are ``acks_late``
with bounded retries for transient errors, and are idempotent: a redelivered task finds its
item done (or its clients told) and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from advisory.models import Firm

from . import batches, notifications
from .records import runs as records_runs

TRANSIENT = (OperationalError, InterfaceError, BrokerError, ConnectionError, TimeoutError)
RETRY = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": TRANSIENT,
    "retry_backoff": 2,
    "retry_backoff_max": 120,
    "retry_jitter": True,
    "max_retries": 6,
}


class ReportItemTask(Task):
    """Marks the batch failed once an item's task has used up its retries."""

    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo) -> None:
        batch_id = batches.batch_of_item(args[0], args[3])
        if batch_id is not None:
            batches.fail_batch(args[0], batch_id, f"{type(exc).__name__}: {exc}")


@shared_task(
    bind=True,
    base=ReportItemTask,
    name="reports.tasks.generate_household_report",
    soft_time_limit=5 * 60,
    time_limit=6 * 60,
    **RETRY,
)
def generate_household_report(
    self: Task, firm_id: int, household_id: int, period: str, item_id: int
) -> str:
    """The household's report for the period (``YYYY-MM-DD``, its first day) as one batch
    item; nothing when the item is done already. An item another transaction holds (a killed
    worker's, until PostgreSQL rolls it back) is retried later, never dropped."""
    outcome = batches.process_item(firm_id, item_id, household_id, period)
    if outcome == "busy":
        raise self.retry(countdown=5)
    return outcome


def dispatch_batch(firm_id: int, batch_id: int) -> int:
    """Send one task per pending item of the batch."""
    items = batches.pending_items(firm_id, batch_id)
    for item_id, household_id, period in items:
        generate_household_report.delay(firm_id, household_id, period, item_id)
    return len(items)


@shared_task(name="reports.tasks.resume_stalled_report_batches", **RETRY)
def resume_stalled_report_batches() -> int:
    """The beat watchdog: re-send the pending items of report batches that made no progress
    for ``BALLAST_DRIFT_STALL_SECONDS`` (a lost broker message, a dead worker whose message
    was dropped). Each resend touches the batch, so the next resend of the same batch waits
    another stall period. Duplicates are harmless: items are claimed ``SKIP LOCKED`` and done
    items are skipped. Returns the number of tasks sent."""
    cutoff = timezone.now() - dt.timedelta(seconds=settings.BALLAST_DRIFT_STALL_SECONDS)
    resent = 0
    for firm_id in Firm.objects.values_list("pk", flat=True):
        for batch_id in batches.stalled_batch_ids(firm_id, cutoff):
            items = batches.resume_batch(firm_id, batch_id, cutoff)
            for item_id, household_id, period in items:
                generate_household_report.delay(firm_id, household_id, period, item_id)
            resent += len(items)
    return resent


@shared_task(
    name="reports.tasks.notify_report_released",
    soft_time_limit=5 * 60,
    time_limit=6 * 60,
    **{**RETRY, "autoretry_for": (*TRANSIENT, smtplib.SMTPException)},
)
def notify_report_released(firm_id: int, report_id: int) -> int:
    """E-mail the clients who may see a released report that it is in their portal; a
    redelivery e-mails nobody twice (the audit trail records who was told)."""
    return notifications.notify_released(firm_id, report_id)


@shared_task(
    name="reports.tasks.export_records",
    soft_time_limit=30 * 60,
    time_limit=35 * 60,
    **RETRY,
)
def export_records_task(firm_id: int, export_id: int) -> str:
    """Make an examination export's zip (see :func:`reports.records.runs.run_export`)."""
    return records_runs.run_export(firm_id, export_id)
