"""Verification as a recorded Celery task with progress, the nightly run, and the page."""

from __future__ import annotations

from django.urls import reverse

from advisory.audit import record
from advisory.chain import runs
from advisory.models import AuditVerification, VerificationState
from advisory.tasks import anchor_and_verify, verify_audit_chain
from advisory.tenancy import firm_scope
from tests.factories import firm_events

from .conftest import rewrite_chain


def _events(firm, n: int) -> None:
    for i in range(n):
        record(firm=firm, action="household.viewed", changes={"n": i})


def _verifications(firm) -> list[AuditVerification]:
    with firm_scope(firm):
        return list(AuditVerification.objects.order_by("pk"))


def test_the_task_records_progress_and_a_pass(world_a, anchor_dir, monkeypatch):
    _events(world_a.firm, 12)
    verification, created = runs.start_verification(world_a.firm, world_a.compliance.user)
    assert created
    seen: list[int] = []
    walk = runs.verify_chain

    def small_batches(firm, **kwargs):
        def progress(checked):
            kwargs["progress"](checked)
            with firm_scope(firm):
                seen.append(AuditVerification.objects.get(pk=verification.pk).checked)

        return walk(firm, progress=progress, batch_size=5)

    monkeypatch.setattr(runs, "verify_chain", small_batches)
    assert verify_audit_chain(world_a.firm.pk, verification.pk) == "passed"
    assert seen == [5, 10, 13]  # 12 events and the verification_started one
    (done,) = _verifications(world_a.firm)
    assert (done.state, done.ok, done.checked, done.total) == ("passed", True, 13, 13)
    assert done.finished_at is not None
    assert [e.action for e in firm_events(world_a.firm)[-2:]] == [
        "audit.verification_started",
        "audit.verified",
    ]
    # A retry of a finished verification changes nothing.
    assert verify_audit_chain(world_a.firm.pk, verification.pk) == "passed"
    assert len(firm_events(world_a.firm)) == 14


def test_the_task_records_a_failure(world_a, anchor_dir):
    _events(world_a.firm, 3)
    rewrite_chain(world_a.firm, lambda seq: ("t1", b"not-the-key-0123456789abcdef012345"))
    verification, _ = runs.start_verification(world_a.firm, None)
    assert verify_audit_chain(world_a.firm.pk, verification.pk) == "failed"
    (done,) = _verifications(world_a.firm)
    assert (done.ok, done.failed_seq) == (False, 1)
    assert "does not match its hash" in done.failure
    assert firm_events(world_a.firm)[-1].action == "audit.verification_failed"


def test_the_nightly_run_anchors_then_records_one_verification_per_firm(
    world_a, world_b, anchor_dir, django_capture_on_commit_callbacks
):
    _events(world_a.firm, 2)
    _events(world_b.firm, 1)
    with django_capture_on_commit_callbacks(execute=True):
        name = anchor_and_verify()
    assert (anchor_dir / name).exists()
    for world in (world_a, world_b):
        (verification,) = _verifications(world.firm)
        assert verification.state == VerificationState.PASSED
        assert verification.started_by is None
        assert verification.checked >= 3  # its events, the anchoring, the start


def test_the_page_starts_a_run_and_shows_progress_and_the_result(
    world_a, login, client, anchor_dir, django_capture_on_commit_callbacks
):
    _events(world_a.firm, 3)
    login(world_a.compliance)
    url = reverse("audit_verify")
    page = client.get(url)
    assert page.status_code == 200
    assert "No verification has run yet" in page.content.decode()
    assert "never" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302
    (verification,) = _verifications(world_a.firm)
    assert verification.state == VerificationState.PASSED
    started = firm_events(world_a.firm, "audit.verification_started")
    assert started[0].actor_id == world_a.compliance.user.pk
    body = client.get(url).content.decode()
    assert "Chain intact" in body
    assert "Last passed" in body and "never" not in body

    fragment = client.get(
        reverse("audit_verify_progress", args=[verification.pk]), HTTP_HX_REQUEST="true"
    )
    assert fragment.status_code == 286  # htmx: stop polling, the run has ended


def test_a_running_verification_polls_with_its_progress(world_a, login, client):
    with firm_scope(world_a.firm):
        running = AuditVerification.objects.create(
            firm=world_a.firm, state=VerificationState.RUNNING, checked=5000, total=20000
        )
    login(world_a.admin)
    body = client.get(reverse("audit_verify")).content.decode()
    progress_url = reverse("audit_verify_progress", args=[running.pk])
    assert f'hx-get="{progress_url}"' in body
    assert "5,000 of 20,000 events checked" in body
    fragment = client.get(progress_url, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    assert 'aria-valuenow="25"' in fragment.content.decode()
    # A second start joins the running one instead of queueing another.
    client.post(reverse("audit_verify"))
    assert len(_verifications(world_a.firm)) == 1


def test_advisors_cannot_start_a_verification(world_a, login, client):
    login(world_a.advisor)
    assert client.post(reverse("audit_verify")).status_code == 403
    assert _verifications(world_a.firm) == []
