"""Open proposals built on an older model version are stale: not approved, not exported,
and the proposal page says why. A proposal on the current version is not (the control)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from advisory.tenancy import firm_scope
from portfolios import model_versions as mv
from portfolios.models import Proposal, TaxLot
from portfolios.proposals import workflow
from portfolios.proposals.order_files import export_order_file
from portfolios.proposals.workflow import ProposalStale
from tests.factories import fake_proposal, make_desk, proposal_events, reload_proposal
from tests.portfolios.model_versions.conftest import line


@pytest.fixture
def desk(world_a, classes):
    return make_desk(world_a, classes)  # 80% large cap (VOO) / 20% small cap (IWM)


def edit_model(desk, classes, expected=1):
    """Move the desk's model to 70/30 (a new live version)."""
    return mv.publish_version(
        model=desk.w.model,
        lines=[
            line(classes["us-large-cap"], weight="70"),
            line(classes["us-small-cap"], weight="30", preferred=desk.iwm),
        ],
        summary="More small caps",
        actor=desk.w.admin.user,
        expected_version=expected,
    )


def submitted(desk):
    p = fake_proposal(desk)
    return workflow.submit(proposal=p, actor=p.author, expected_version=p.version)


def approved(desk):
    p = submitted(desk)
    return workflow.approve(proposal=p, approver=desk.w.admin.user, expected_version=p.version)


def test_a_proposal_records_the_live_version_it_was_built_on(desk, classes):
    assert fake_proposal(desk).model_version == 1
    edit_model(desk, classes)
    assert fake_proposal(desk).model_version == 2


def test_a_model_edit_makes_open_proposals_stale_and_approval_is_refused(desk, classes):
    p = submitted(desk)
    assert not workflow.is_stale(p)
    edit_model(desk, classes)
    assert workflow.is_stale(p)
    with firm_scope(desk.firm):
        reason = mv.model_staleness(reload_proposal(p))
    assert reason == ("Built on version 1 of Alpha Growth Model; the model is now at version 2.")
    with pytest.raises(ProposalStale, match="Built on version 1 of Alpha Growth Model"):
        workflow.approve(proposal=p, approver=desk.w.admin.user, expected_version=p.version)
    p = reload_proposal(p)
    assert (p.state, p.approved_by_id) == ("submitted", None)
    (refusal,) = proposal_events(p, "proposal.refused")
    assert "now at version 2" in refusal.changes["reason"]


def test_control_a_proposal_on_the_current_version_is_approved(desk, classes):
    edit_model(desk, classes)
    p = approved(desk)  # built after the edit: version 2, current
    assert (p.state, p.model_version) == ("approved", 2)
    assert not workflow.is_stale(p)


def test_an_approved_proposal_is_not_exported_after_a_model_edit(desk, classes):
    p = approved(desk)
    edit_model(desk, classes)
    with pytest.raises(ProposalStale, match="now at version 2"):
        export_order_file(proposal=p, actor=desk.w.advisor.user, expected_version=p.version)
    p = reload_proposal(p)
    assert (p.state, p.order_file_sha256) == ("approved", "")


def test_a_refresh_rebuilds_on_the_new_version(desk, classes):
    p = submitted(desk)
    edit_model(desk, classes)
    p = workflow.refresh(proposal=p, actor=desk.w.advisor.user, expected_version=p.version)
    assert (p.state, p.model_version) == ("draft", 2)
    assert not workflow.is_stale(p)


def test_a_draft_model_version_does_not_make_proposals_stale(desk, classes):
    p = submitted(desk)
    mv.save_draft(
        model=desk.w.model,
        lines=[line(classes["us-large-cap"], weight="100")],
        summary="Maybe all large cap",
        actor=desk.w.admin.user,
        expected_version=1,
    )
    assert not workflow.is_stale(p)


def test_older_proposals_without_a_version_are_judged_by_fingerprint_only(desk, classes):
    p = submitted(desk)
    with firm_scope(desk.firm):
        Proposal.objects.filter(pk=p.pk).update(model_version=None)
    edit_model(desk, classes)
    p = reload_proposal(p)
    assert not workflow.is_stale(p)
    assert (
        workflow.approve(proposal=p, approver=desk.w.admin.user, expected_version=p.version).state
        == "approved"
    )


def test_the_proposal_page_says_which_version_it_was_built_on(desk, classes, login):
    p = submitted(desk)
    edit_model(desk, classes)
    body = login(desk.w.advisor).get(f"/proposals/{p.pk}/").content.decode()
    assert "Built on version 1 of" in body
    assert "the model is now at version 2" in body
    assert "Prices or holdings changed" not in body


def test_the_proposal_page_still_names_prices_when_only_they_changed(desk, login):
    p = submitted(desk)
    with firm_scope(desk.firm):
        TaxLot.objects.filter(pk=desk.w.lot.pk).update(quantity=Decimal("11"))
    body = login(desk.w.advisor).get(f"/proposals/{p.pk}/").content.decode()
    assert "Prices or holdings changed" in body
    assert "Built on version" not in body
