"""Celery tasks of the report archive: thin callers of :mod:`reports.batches`.

Tasks take ids and a date string, enter the firm scope (in :mod:`reports.batches`), are
``acks_late`` with bounded retries for transient errors, and are idempotent: a redelivered
task finds its item done and writes nothing.
"""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError

from . import batches

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
