"""Anchoring runs and verification runs: what the commands, the tasks and the page start."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from advisory import audit
from advisory import audit_actions as actions
from advisory.models import (
    AuditEvent,
    AuditVerification,
    Firm,
    User,
    VerificationState,
)
from advisory.tenancy import firm_scope

from .anchors import Anchor, AnchorBatch, AnchorStore, anchor_store, build_batch
from .verify import verify_chain

# A queued or running verification older than this is taken as lost (its worker died):
# starting a new one is allowed instead of waiting for it forever.
STALE_AFTER = dt.timedelta(hours=1)


def firm_heads() -> list[Anchor]:
    """The last event of every firm that has one."""
    heads = []
    for firm in Firm.objects.order_by("pk"):
        with firm_scope(firm):
            last = AuditEvent.objects.order_by("-seq").first()
        if last is not None:
            heads.append(
                Anchor(
                    firm_id=firm.pk,
                    firm_slug=firm.slug,
                    seq=last.seq,
                    hash=last.hash,
                    key_id=last.key_id,
                    event_time=last.created_at.astimezone(dt.UTC).isoformat(),
                )
            )
    return heads


def anchor_heads(store: AnchorStore | None = None) -> tuple[str, AnchorBatch]:
    """Write every firm's head to the anchor store, the anchoring itself included.

    Each firm with events first gets its ``audit.anchored`` event, then the heads (those
    events) are written, all in one transaction: the newest event is covered by the anchor,
    and a failed write leaves no event claiming an anchor that does not exist.
    """
    at = timezone.now()
    name = build_batch([], at).name
    with transaction.atomic():
        for firm in Firm.objects.order_by("pk"):
            with firm_scope(firm):
                if not AuditEvent.objects.exists():
                    continue
            audit.record(
                firm=firm,
                action=actions.AUDIT_ANCHORED,
                object_type="anchor",
                object_id=name,
                object_repr="Chain head anchored outside the database",
                changes={"file": name},
                actor_label="anchor_audit",
            )
        batch = build_batch(firm_heads(), at)
        (store or anchor_store()).write(batch)
    return name, batch


def start_verification(firm: Firm, started_by: User | None) -> tuple[AuditVerification, bool]:
    """A new queued verification of ``firm``'s chain, or the one already under way.

    Audited as ``audit.verification_started``. Dispatch the task after commit.
    """
    with firm_scope(firm), transaction.atomic():
        Firm.objects.select_for_update(no_key=True).filter(pk=firm.pk).values_list("pk").get()
        active = (
            AuditVerification.objects.filter(
                state__in=[VerificationState.QUEUED, VerificationState.RUNNING],
                started_at__gte=timezone.now() - STALE_AFTER,
            )
            .order_by("-started_at")
            .first()
        )
        if active is not None:
            return active, False
        verification = AuditVerification.objects.create(firm=firm, started_by=started_by)
        audit.record(
            firm=firm,
            action=actions.AUDIT_VERIFICATION_STARTED,
            obj=verification,
            actor=started_by,
            actor_label=None if started_by else "nightly verification",
        )
    return verification, True


def run_verification(firm_id: int, verification_id: int) -> AuditVerification:
    """Walk the firm's chain for one verification, recording progress and the outcome.

    Idempotent: a verification that already finished is returned as it is.
    """
    with firm_scope(firm_id):
        verification = AuditVerification.objects.select_related("firm", "started_by").get(
            pk=verification_id
        )
        if not verification.active:
            return verification
        total = AuditEvent.objects.count()
        AuditVerification.objects.filter(pk=verification.pk).update(
            state=VerificationState.RUNNING, total=total, checked=0
        )

        def progress(checked: int) -> None:
            AuditVerification.objects.filter(pk=verification.pk).update(checked=checked)

        report = verify_chain(verification.firm, progress=progress)
        with transaction.atomic():
            verification.state = VerificationState.PASSED if report.ok else VerificationState.FAILED
            verification.ok = report.ok
            verification.total = max(total, report.checked)
            verification.checked = report.checked
            verification.failed_seq = report.first_bad_seq
            verification.failure = report.reason
            verification.finished_at = timezone.now()
            verification.save()
            audit.record(
                firm=firm_id,
                action=actions.AUDIT_VERIFIED if report.ok else actions.AUDIT_VERIFICATION_FAILED,
                obj=verification,
                actor=verification.started_by,
                actor_label=None if verification.started_by else "nightly verification",
                changes={
                    "checked": report.checked,
                    "anchors_checked": report.anchors_checked,
                    "failed_seq": report.first_bad_seq,
                    "reason": report.reason,
                },
            )
    return verification
