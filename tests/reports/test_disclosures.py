"""The disclosure workflow: versions, four eyes on approval, report requirements, audit."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from advisory import audit_actions as actions
from advisory.tenancy import firm_scope
from reports import disclosures as workflow
from reports.models import Disclosure, DisclosureVersion
from reports.report_types import (
    HOUSEHOLD_REPORT,
    DisclosureMissing,
    missing_disclosures,
    required_versions,
)
from tests import factories

pytestmark = pytest.mark.django_db


def counts(firm) -> tuple[int, int, int]:
    with firm_scope(firm):
        return (
            Disclosure.objects.count(),
            DisclosureVersion.objects.count(),
            len(factories.firm_events(firm)),
        )


@pytest.fixture
def methodology(world_a):
    return workflow.create_disclosure(
        firm=world_a.firm, key="methodology", title="Methodology", author=world_a.admin.user
    )


def test_create_is_audited_once_with_its_values(world_a):
    before = len(factories.firm_events(world_a.firm))
    made = workflow.create_disclosure(
        firm=world_a.firm, key="not-advice", title="Not advice", author=world_a.admin.user
    )
    events = factories.firm_events(world_a.firm)
    assert len(events) == before + 1
    assert events[-1].action == actions.DISCLOSURE_CREATED.code
    assert events[-1].object_id == str(made.pk)
    assert events[-1].changes["slug"] == {"before": None, "after": "not-advice"}
    assert events[-1].actor_id == world_a.admin.user.pk


def test_create_refuses_a_bad_or_taken_key_writing_nothing(world_a, methodology):
    before = counts(world_a.firm)
    with pytest.raises(ValidationError) as bad:
        workflow.create_disclosure(
            firm=world_a.firm, key="Not Advice!", title="x", author=world_a.admin.user
        )
    assert "key" in bad.value.message_dict
    with pytest.raises(ValidationError, match="already has"):
        workflow.create_disclosure(
            firm=world_a.firm, key="methodology", title="Again", author=world_a.admin.user
        )
    with pytest.raises(PermissionDenied):
        workflow.create_disclosure(
            firm=world_a.firm, key="other", title="Other", author=world_a.advisor.user
        )
    assert counts(world_a.firm) == before


def test_versions_are_numbered_and_each_proposal_audited_with_before_after(world_a, methodology):
    admin = world_a.admin.user
    first = workflow.propose_version(disclosure=methodology, text="Drift is…\r\n", author=admin)
    second = workflow.propose_version(
        disclosure=methodology, text="Drift is the gap.", author=admin
    )
    assert (first.number, second.number) == (1, 2)
    assert first.text == "Drift is…"  # line ends and outer blank lines normalised
    assert first.approved_at is None
    proposed = factories.firm_events(world_a.firm, actions.DISCLOSURE_VERSION_PROPOSED.code)
    assert len(proposed) == 2
    assert proposed[1].object_id == str(second.pk)
    assert proposed[1].changes["number"] == {"before": 1, "after": 2}
    assert proposed[1].changes["text"] == {"before": "Drift is…", "after": "Drift is the gap."}


@pytest.mark.parametrize("text", ["", "   \n\n  ", "Same words.", "Same words.  \r\n"])
def test_empty_or_unchanged_text_is_refused_with_nothing_written(world_a, methodology, text):
    workflow.propose_version(disclosure=methodology, text="Same words.", author=world_a.admin.user)
    before = counts(world_a.firm)
    with pytest.raises(ValidationError) as refused:
        workflow.propose_version(disclosure=methodology, text=text, author=world_a.admin.user)
    assert "text" in refused.value.message_dict
    assert counts(world_a.firm) == before


def test_compliance_approves_and_it_is_audited_once(world_a, methodology):
    version = workflow.propose_version(
        disclosure=methodology, text="Words.", author=world_a.admin.user
    )
    before = len(factories.firm_events(world_a.firm))
    approved = workflow.approve_version(version=version, approver=world_a.compliance.user)
    assert approved.approved_by_id == world_a.compliance.user.pk and approved.approved_at
    events = factories.firm_events(world_a.firm)
    assert len(events) == before + 1
    event = events[-1]
    assert event.action == actions.DISCLOSURE_VERSION_APPROVED.code
    assert event.changes["approved_by"] == {"before": None, "after": world_a.compliance.user.pk}
    assert event.changes["current_version"] == {"before": None, "after": 1}
    assert event.role == "compliance"
    with pytest.raises(ValidationError, match="already approved"):
        workflow.approve_version(version=version, approver=world_a.compliance.user)
    assert len(factories.firm_events(world_a.firm)) == before + 1


def test_the_author_cannot_approve_their_own_version_and_the_refusal_is_audited(world_a):
    compliance = world_a.compliance.user
    made = workflow.create_disclosure(
        firm=world_a.firm, key="past-performance", title="Past", author=compliance
    )
    version = workflow.propose_version(disclosure=made, text="Past is past.", author=compliance)
    before = counts(world_a.firm)
    with pytest.raises(PermissionDenied, match="You wrote this version"):
        workflow.approve_version(version=version, approver=compliance)
    disclosures, versions, events = counts(world_a.firm)
    assert (disclosures, versions, events) == (before[0], before[1], before[2] + 1)
    refused = factories.firm_events(world_a.firm)[-1]
    assert refused.action == actions.DISCLOSURE_REFUSED.code
    assert refused.object_id == str(version.pk)
    assert refused.actor_id == compliance.pk
    assert "You wrote this version" in refused.changes["reason"]
    with firm_scope(world_a.firm):
        assert DisclosureVersion.objects.get(pk=version.pk).approved_at is None


@pytest.mark.parametrize("persona", ["admin", "advisor", "client"])
def test_only_compliance_approves(world_a, methodology, persona):
    version = workflow.propose_version(
        disclosure=methodology, text="Words.", author=world_a.compliance.user
    )
    with pytest.raises(PermissionDenied, match="Only a compliance officer"):
        workflow.approve_version(version=version, approver=getattr(world_a, persona).user)
    refused = factories.firm_events(world_a.firm, actions.DISCLOSURE_REFUSED.code)
    assert len(refused) == 1
    with firm_scope(world_a.firm):
        assert DisclosureVersion.objects.get(pk=version.pk).approved_at is None


def test_compliance_of_another_firm_cannot_approve(world_a, world_b, methodology):
    version = workflow.propose_version(
        disclosure=methodology, text="Words.", author=world_a.admin.user
    )
    with pytest.raises(PermissionDenied):
        workflow.approve_version(version=version, approver=world_b.compliance.user)
    with firm_scope(world_a.firm):
        assert DisclosureVersion.objects.get(pk=version.pk).approved_at is None
    assert factories.firm_events(world_b.firm) == []


def test_current_approved_is_the_highest_approved_version(world_a, methodology):
    admin, compliance = world_a.admin.user, world_a.compliance.user
    with firm_scope(world_a.firm):
        assert workflow.current_approved(methodology) is None
    v1 = workflow.propose_version(disclosure=methodology, text="One.", author=admin)
    workflow.approve_version(version=v1, approver=compliance)
    v2 = workflow.propose_version(disclosure=methodology, text="Two.", author=admin)
    workflow.approve_version(version=v2, approver=compliance)
    v3 = workflow.propose_version(disclosure=methodology, text="Three.", author=admin)
    with firm_scope(world_a.firm):  # a draft awaiting approval changes nothing yet
        assert workflow.current_approved(methodology).pk == v2.pk
        assert workflow.latest_version(methodology).pk == v3.pk
    workflow.approve_version(version=v3, approver=compliance)
    with firm_scope(world_a.firm):
        assert workflow.current_approved(methodology).pk == v3.pk


def test_a_superseded_draft_cannot_be_approved(world_a, methodology):
    admin, compliance = world_a.admin.user, world_a.compliance.user
    v1 = workflow.propose_version(disclosure=methodology, text="One.", author=admin)
    workflow.propose_version(disclosure=methodology, text="Two.", author=admin)
    before = counts(world_a.firm)
    with pytest.raises(ValidationError, match="superseded by version 2"):
        workflow.approve_version(version=v1, approver=compliance)
    assert counts(world_a.firm) == before
    with firm_scope(world_a.firm):
        assert DisclosureVersion.objects.get(pk=v1.pk).approved_at is None


def test_required_versions_names_every_missing_disclosure(world_a):
    admin, compliance = world_a.admin.user, world_a.compliance.user
    factories.disclosure(world_a.firm, "not-advice", "Not advice", "Text.", author=admin,
                         approver=compliance)  # fmt: skip
    factories.disclosure(world_a.firm, "methodology", "Methodology", "Draft.", author=admin)
    with firm_scope(world_a.firm):
        assert missing_disclosures(HOUSEHOLD_REPORT) == [
            "Methodology",
            "asset-class-risks",
            "past-performance",
        ]
        with pytest.raises(DisclosureMissing) as missing:
            required_versions(HOUSEHOLD_REPORT)
    message = str(missing.value)
    assert message == (
        "A household report needs an approved version of: "
        "Methodology, asset-class-risks, past-performance."
    )
    assert missing.value.missing == ["Methodology", "asset-class-risks", "past-performance"]


def test_required_versions_gives_the_current_approved_ones_in_order(world_a, world_b):
    admin, compliance = world_a.admin.user, world_a.compliance.user
    for key in reversed(HOUSEHOLD_REPORT.required):
        factories.disclosure(world_a.firm, key, "", "v1", "v2", author=admin, approver=compliance)
    # Firm B has none: its scope sees nothing of firm A's.
    with firm_scope(world_b.firm):
        assert len(missing_disclosures(HOUSEHOLD_REPORT)) == 4
    with firm_scope(world_a.firm):
        versions = required_versions(HOUSEHOLD_REPORT)
        assert missing_disclosures(HOUSEHOLD_REPORT) == []
    assert [v.disclosure.key for v in versions] == list(HOUSEHOLD_REPORT.required)
    assert {v.number for v in versions} == {2}
