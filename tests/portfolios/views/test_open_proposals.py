"""Open proposals where advisors look (issue 12): the household page and the home list them, a
second propose is refused until the advisor ticks "create another anyway" (then audited), and
the batch skips a household whose exported proposal has not been executed.

The desk is tests/portfolios/views/conftest.py's: a drifted 60/40 household and the real engine.
"""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from advisory.models import AuditEvent
from portfolios.models import Proposal
from portfolios.proposals import batches as proposal_batches
from portfolios.proposals import workflow
from tests.portfolios.proposals.test_batches import (  # the batch tests' book and helpers
    book,  # noqa: F401 (a fixture)
    items,
    options,
    start,
)

pytestmark = pytest.mark.django_db


def propose(client, household_id: int, *, follow: bool = False, **extra):
    data = {"mode": "to_target", **extra}
    return client.post(f"/households/{household_id}/propose/", data, follow=follow)


def proposals_of(household) -> list[Proposal]:
    with scopes_disabled():
        return list(Proposal.objects.filter(household=household).order_by("pk"))


def set_state(proposal: Proposal, state: str) -> None:
    with scopes_disabled():
        Proposal.objects.filter(pk=proposal.pk).update(state=state)


def test_a_second_propose_is_refused_with_a_warning_naming_the_open_one(desk, login):
    client = login(desk.advisor)
    assert propose(client, desk.household.pk).status_code == 302
    (first,) = proposals_of(desk.household)

    response = propose(client, desk.household.pk, follow=True)
    assert proposals_of(desk.household) == [first]  # nothing created
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == f"/households/{desk.household.pk}/"
    assert f"already has open proposal #{first.pk} (draft)" in page
    # The form now names the open proposal and asks for the explicit tick.
    assert f'href="/proposals/{first.pk}/"' in page
    assert 'name="another" value="1" required' in page


def test_create_another_anyway_creates_it_and_audits_the_override(desk, login):
    client = login(desk.advisor)
    propose(client, desk.household.pk)
    (first,) = proposals_of(desk.household)
    response = propose(client, desk.household.pk, another="1")
    _, second = proposals_of(desk.household)
    assert response["Location"] == f"/proposals/{second.pk}/"
    with scopes_disabled():
        event = AuditEvent.objects.get(action="proposal.open_overridden")
    assert event.object_id == str(second.pk)
    assert event.changes == {"open_proposal_ids": [first.pk]}
    assert event.actor_id == desk.advisor.user_id


@pytest.mark.parametrize(
    ("state", "refused"),
    [
        ("submitted", True),
        ("approved", True),
        ("exported", True),  # the file may still be at the custodian
        ("executed", False),
        ("rejected", False),
        ("cancelled", False),
    ],
)
def test_which_states_count_as_open(desk, login, state, refused):
    client = login(desk.advisor)
    propose(client, desk.household.pk)
    (first,) = proposals_of(desk.household)
    set_state(first, state)
    propose(client, desk.household.pk)
    assert len(proposals_of(desk.household)) == (1 if refused else 2)


def test_an_account_propose_overlaps_the_households_open_proposal(desk, login):
    client = login(desk.advisor)
    propose(client, desk.household.pk)
    (first,) = proposals_of(desk.household)
    set_state(first, "exported")
    response = client.post(
        f"/accounts/{desk.account.pk}/propose/", {"mode": "to_target"}, follow=True
    )
    assert proposals_of(desk.household) == [first]
    assert f"#{first.pk} (exported)" in response.content.decode()
    assert response.redirect_chain[-1][0] == f"/accounts/{desk.account.pk}/"


def test_household_page_and_home_show_open_proposals_and_drop_closed_ones(desk, login):
    client = login(desk.advisor)
    propose(client, desk.household.pk)
    (first,) = proposals_of(desk.household)
    set_state(first, "exported")
    household_page = client.get(f"/households/{desk.household.pk}/").content.decode()
    assert 'id="household-open-proposals"' in household_page
    assert f'href="/proposals/{first.pk}/"' in household_page and "Exported" in household_page
    home = client.get("/").content.decode()
    open_panel = home.split('id="open-proposals"')[1].split("</section>")[0]
    assert f'href="/proposals/{first.pk}/"' in open_panel
    assert desk.household.name in open_panel
    with scopes_disabled():
        listed = AuditEvent.objects.filter(action="households.listed").latest("seq")
    assert listed.changes["proposal_ids"] == [first.pk]  # who saw what: the panel's too

    set_state(first, "executed")
    household_page = client.get(f"/households/{desk.household.pk}/").content.decode()
    assert 'id="household-open-proposals"' not in household_page
    home = client.get("/").content.decode()
    assert f'href="/proposals/{first.pk}/"' not in home
    assert "No open proposals in your book." in home


def test_the_proposals_list_has_an_open_tab(desk, login):
    client = login(desk.advisor)
    propose(client, desk.household.pk)
    (first,) = proposals_of(desk.household)
    set_state(first, "cancelled")
    propose(client, desk.household.pk)
    first, second = proposals_of(desk.household)
    set_state(second, "exported")
    page = client.get("/proposals/?tab=open").content.decode()
    assert f'href="/proposals/{second.pk}/"' in page
    assert f'href="/proposals/{first.pk}/"' not in page
    everything = client.get("/proposals/").content.decode()
    assert f'href="/proposals/{first.pk}/"' in everything


def test_the_batch_skips_a_household_with_an_exported_proposal(book):  # noqa: F811
    existing = workflow.create_proposal(
        firm=book.firm, household=book.household, options=options(), author=book.advisor.user
    )
    set_state(existing, "exported")
    batch = proposal_batches.process_batch(book.firm.pk, start(book).pk)
    by_household = {r.household_id: r for r in items(batch)}
    assert by_household[book.household.pk].outcome == "skipped"
    assert f"#{existing.pk}" in by_household[book.household.pk].detail
    assert by_household[book.team_household.pk].outcome == "proposed"
    assert len(proposals_of(book.household)) == 1


def test_the_batch_proposes_again_once_the_exported_one_is_executed(book):  # noqa: F811
    existing = workflow.create_proposal(
        firm=book.firm, household=book.household, options=options(), author=book.advisor.user
    )
    set_state(existing, "executed")
    batch = proposal_batches.process_batch(book.firm.pk, start(book).pk)
    by_household = {r.household_id: r for r in items(batch)}
    assert by_household[book.household.pk].outcome == "proposed"
