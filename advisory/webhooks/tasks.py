"""Celery tasks of the webhooks: thin callers of :mod:`advisory.webhooks.delivery`.

``deliver`` makes one attempt (queued on commit by :func:`advisory.webhooks.emit.emit`);
retries are not Celery retries but rows due again (``next_attempt_at``), which the beat's
``send_due_webhooks`` sweep sends: a long backoff never sits in the broker (Redis would
redeliver an unacknowledged message past its visibility timeout), and a message the broker
lost is found again. Registered through ``CELERY_IMPORTS`` (config/settings/base.py).
"""

from __future__ import annotations

from celery import shared_task

from ..models import Firm
from ..tenancy import firm_scope
from . import delivery

TASK_OPTIONS = {"acks_late": True, "soft_time_limit": 60, "time_limit": 90}


@shared_task(name="advisory.webhooks.tasks.deliver", **TASK_OPTIONS)
def deliver(firm_id: int, delivery_id: int) -> str | None:
    """One attempt at a delivery; its state afterwards (None: nothing was due)."""
    result = delivery.attempt(firm_id, delivery_id)
    return None if result is None else str(result.state)


@shared_task(name="advisory.webhooks.tasks.send_due_webhooks", **TASK_OPTIONS)
def send_due_webhooks() -> int:
    """The beat's sweep: queue every delivery whose next attempt is due, firm by firm."""
    sent = 0
    for firm_id in Firm.objects.order_by("pk").values_list("pk", flat=True):
        with firm_scope(firm_id):
            due = delivery.due_ids()
        for delivery_id in due:
            deliver.delay(firm_id, delivery_id)
            sent += 1
    return sent
