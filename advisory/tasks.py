"""Celery tasks of the audit chain: nightly anchoring and verification with progress.

Thin callers of :mod:`advisory.chain.runs`; they take ids, and each is safe to retry (a
finished verification is left as it is; an anchoring run writes a new file).
"""

from __future__ import annotations

from functools import partial

from celery import shared_task
from django.db import transaction

from .chain.runs import anchor_heads, run_verification, start_verification
from .models import Firm

TASK_OPTIONS = {"acks_late": True, "soft_time_limit": 25 * 60, "time_limit": 30 * 60}


@shared_task(name="advisory.tasks.verify_audit_chain", **TASK_OPTIONS)
def verify_audit_chain(firm_id: int, verification_id: int) -> str:
    """Walk one firm's chain for a recorded verification; returns its final state."""
    return str(run_verification(firm_id, verification_id).state)


@shared_task(name="advisory.tasks.anchor_and_verify", **TASK_OPTIONS)
def anchor_and_verify() -> str:
    """The nightly beat entry: anchor every firm's head, then verify every firm's chain
    against all anchors so far, one recorded verification per firm."""
    name, _batch = anchor_heads()
    for firm in Firm.objects.order_by("pk"):
        verification, created = start_verification(firm, None)
        if created:
            transaction.on_commit(partial(verify_audit_chain.delay, firm.pk, verification.pk))
    return name
