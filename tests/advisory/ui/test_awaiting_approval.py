"""The "awaiting my approval" queue (issue 12): submitted proposals the user may approve as a
second pair of eyes, on the home page and as a tab of the proposals list; never their own,
one they edited, one already decided, or another firm's."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from advisory.access import households_for
from advisory.tenancy import firm_scope
from portfolios import queries as portfolio
from portfolios.models import Proposal
from portfolios.proposals import workflow
from tests.factories import AS_OF

pytestmark = pytest.mark.django_db


def propose(client, world, **extra) -> Proposal:
    response = client.post(
        f"/households/{world.household.pk}/propose/", {"mode": "to_target", **extra}
    )
    assert response.status_code == 302, response
    with scopes_disabled():
        return Proposal.objects.filter(household=world.household).latest("pk")


def submit(proposal: Proposal, who) -> Proposal:
    with scopes_disabled():
        current = Proposal.objects.get(pk=proposal.pk)
    return workflow.submit(proposal=current, actor=who.user, expected_version=current.version)


@pytest.fixture
def queue(desk, world_b, client, login):
    """Four proposals of firm A's household, by the advisor, and one of firm B:

    * ``mine``: submitted, untouched by anyone else: for the other advisor and the admin;
    * ``edited``: submitted after the other advisor edited a trade: for the admin only;
    * ``approved``: already decided; ``draft``: never submitted: for no one;
    * firm B's submitted proposal: never for firm A.
    """
    advisor = login(desk.advisor)
    mine = submit(propose(advisor, desk), desk.advisor)
    edited = propose(advisor, desk, another="1")
    with scopes_disabled():
        trade = edited.trades.order_by("position").first()
    with firm_scope(desk.firm):
        workflow.edit_trade(
            proposal=edited,
            trade_id=trade.pk,
            quantity=str(trade.quantity + 1),
            expected_version=edited.version,
            actor=desk.other_advisor.user,
        )
    edited = submit(edited, desk.advisor)
    approved = propose(advisor, desk, another="1")
    draft = propose(advisor, desk, another="1")
    with scopes_disabled():
        Proposal.objects.filter(pk=approved.pk).update(
            state="approved", approved_by=desk.admin.user
        )
        foreign = Proposal.objects.create(
            firm=world_b.firm,
            household=world_b.household,
            mode="to_target",
            author=world_b.advisor.user,
            inputs_fingerprint="x" * 64,
            as_of=AS_OF,
            state="submitted",
        )
    return {
        "mine": mine,
        "edited": edited,
        "approved": approved,
        "draft": draft,
        "foreign": foreign,
    }


def ids(proposals) -> set[int]:
    return {p.pk for p in proposals}


def awaiting(membership) -> set[int]:
    with firm_scope(membership.firm):
        return ids(portfolio.awaiting_approval(membership.user, households_for(membership)))


def test_the_queue_holds_exactly_what_each_person_may_approve(desk, queue):
    assert awaiting(desk.advisor) == set()  # both submitted ones are their own
    assert awaiting(desk.other_advisor) == {queue["mine"].pk}  # not the one they edited
    assert awaiting(desk.admin) == {queue["mine"].pk, queue["edited"].pk}


def test_the_queue_agrees_with_the_four_eyes_rule(desk, queue):
    # Whatever is listed, the workflow lets that person approve; what is left out, it refuses.
    with scopes_disabled():
        edited = Proposal.objects.get(pk=queue["edited"].pk)
        assert workflow.wrote(edited, desk.other_advisor.user)
        assert not workflow.wrote(edited, desk.admin.user)
        mine = Proposal.objects.get(pk=queue["mine"].pk)
        assert not workflow.wrote(mine, desk.other_advisor.user)


def test_home_and_the_list_tab_show_the_queue(desk, queue, client, login):
    pages = {}
    for who in ("advisor", "other_advisor", "admin"):
        c = login(getattr(desk, who))
        home = c.get("/").content.decode()
        panel = home.split('id="awaiting-approval"')[1].split("</section>")[0]
        tab = c.get("/proposals/?tab=awaiting").content.decode()
        table = tab.split("<tbody>")[1].split("</tbody>")[0]
        pages[who] = (panel, table)
    expected = {
        "advisor": set(),
        "other_advisor": {queue["mine"].pk},
        "admin": {queue["mine"].pk, queue["edited"].pk},
    }
    every = [queue[k].pk for k in ("mine", "edited", "approved", "draft", "foreign")]
    for who, (panel, table) in pages.items():
        for pk in every:
            link = f'href="/proposals/{pk}/"'
            assert (link in panel) == (pk in expected[who]), (who, pk, "home")
            assert (link in table) == (pk in expected[who]), (who, pk, "tab")
    assert "Nothing is waiting for your approval." in pages["advisor"][0]


def test_compliance_has_no_queue(desk, queue, login):
    c = login(desk.compliance)
    page = c.get("/proposals/?tab=awaiting").content.decode()
    assert "Awaiting my approval" not in page  # no tab: compliance never approves
    assert f'href="/proposals/{queue["approved"].pk}/"' in page  # the plain list instead
