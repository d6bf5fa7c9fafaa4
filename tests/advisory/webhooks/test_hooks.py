"""Each hooked event fires once for the real thing: a proposal submitted, approved and
executed through the workflow, a drift run finishing (or failing), a report released."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from advisory.models import WebhookDelivery
from advisory.tenancy import firm_scope
from portfolios.drift import runs as drift_runs
from portfolios.proposals import workflow
from portfolios.proposals.order_files import export_order_file
from reports.archive import release_report
from tests.factories import AS_OF, fake_proposal, stored_report


def deliveries(firm) -> list[WebhookDelivery]:
    with firm_scope(firm):
        return list(WebhookDelivery.objects.order_by("pk"))


def test_submit_approve_and_execute_each_fire_their_event_once(
    desk, hooked, receiver, django_capture_on_commit_callbacks
):
    w = desk.w
    with django_capture_on_commit_callbacks(execute=True):
        p = fake_proposal(desk)
    with django_capture_on_commit_callbacks(execute=True):
        p = workflow.submit(proposal=p, actor=w.advisor.user, expected_version=p.version)
    with django_capture_on_commit_callbacks(execute=True):
        p = workflow.approve(proposal=p, approver=w.admin.user, expected_version=p.version)
    with django_capture_on_commit_callbacks(execute=True):
        export_order_file(proposal=p, actor=w.advisor.user, expected_version=p.version)
    with django_capture_on_commit_callbacks(execute=True):
        p = workflow.mark_executed(proposal=p, actor=w.advisor.user, expected_version=p.version + 1)
    sent = deliveries(w.firm)
    assert [d.event for d in sent] == [
        "proposal.submitted",
        "proposal.approved",
        "proposal.executed",
    ]
    assert all(d.state == "delivered" for d in sent)
    bodies = [json.loads(r.body) for r in receiver.requests]
    assert [b["event"] for b in bodies] == [d.event for d in sent]
    approved = bodies[1]["data"]["proposal"]
    assert approved["id"] == p.pk and approved["state"] == "approved"
    assert approved["household_id"] == w.household.pk
    # Ids only: no account number, no client or household name.
    text = b"".join(r.body for r in receiver.requests).decode()
    assert "ALPHA-1001" not in text and "Alpha Household" not in text and "Alpha Client" not in text


def test_a_command_marking_a_proposal_executed_fires_the_event_too(desk, hooked):
    w = desk.w
    p = fake_proposal(desk)
    p = workflow.submit(proposal=p, actor=w.advisor.user, expected_version=p.version)
    p = workflow.approve(proposal=p, approver=w.admin.user, expected_version=p.version)
    export_order_file(proposal=p, actor=w.advisor.user, expected_version=p.version)
    workflow.mark_executed(proposal=p, actor=None, expected_version=p.version + 1)
    assert [d.event for d in deliveries(w.firm)][-1:] == ["proposal.executed"]
    assert [d.event for d in deliveries(w.firm)].count("proposal.executed") == 1


def test_a_refused_transition_fires_nothing(desk, hooked):
    from portfolios.proposals.core import ProposalConflict

    p = fake_proposal(desk)
    with pytest.raises(ProposalConflict):
        workflow.submit(proposal=p, actor=desk.w.advisor.user, expected_version=p.version + 5)
    assert deliveries(desk.firm) == []


def test_a_finished_drift_run_fires_once(
    world_a, hooked, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run, created = drift_runs.start_run(world_a.firm, AS_OF, chunk_households=2)
    assert created and run.expected_chunks == 2  # three households: two chunks
    with django_capture_on_commit_callbacks(execute=True):
        run = drift_runs.process_inline(run)
    assert run.state == "complete"
    (d,) = deliveries(world_a.firm)
    assert (d.event, d.state) == ("drift.run_finished", "delivered")
    data = json.loads(receiver.requests[0].body)["data"]["drift_run"]
    assert data == {
        "id": run.pk, "as_of": "2025-12-31", "state": "complete",
        "accounts": run.accounts, "finished_at": data["finished_at"],
    }  # fmt: skip
    assert run.accounts > 0 and data["finished_at"].endswith("Z")


def test_a_failed_drift_run_fires_finished_with_its_state(world_a, hooked):
    run, _ = drift_runs.start_run(world_a.firm, AS_OF)
    drift_runs.fail_run(world_a.firm.pk, run.pk, "chunk 1: boom")
    (d,) = deliveries(world_a.firm)
    assert d.event == "drift.run_finished"
    assert d.payload["data"]["drift_run"]["state"] == "failed"


def test_releasing_a_report_fires_once(
    world_a, hooked, receiver, django_capture_on_commit_callbacks
):
    report = stored_report(world_a.household, released=False)
    with django_capture_on_commit_callbacks(execute=True):
        release = release_report(report=report, actor=world_a.advisor.user)
    (d,) = deliveries(world_a.firm)
    assert (d.event, d.state) == ("report.released", "delivered")
    body = json.loads(receiver.requests[0].body)
    assert body["data"]["report"] == {
        "id": report.pk, "household_id": world_a.household.pk, "report_type": "household",
        "period_start": "2025-12-01", "period_end": "2025-12-31",
        "released_at": release.released_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
    }  # fmt: skip


def test_without_endpoints_a_transition_writes_no_delivery(desk):
    p = fake_proposal(desk)
    workflow.submit(proposal=p, actor=desk.w.advisor.user, expected_version=p.version)
    assert deliveries(desk.firm) == []
