"""The advisor workspace for rebalance proposals: pages, HTMX edits, approval, export.

These tests use the real engine (portfolios.rebalance.engine) on a small drifted household:
10 VOO and $1,000 cash against a 60/40 model whose small-cap target buys IWM (the desk
of conftest.py here).
"""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from advisory.models import AuditEvent, HouseholdTeamMember
from portfolios.models import Proposal, ProposedTrade
from tests import factories
from tests.factories import AS_OF


def propose(client, world, mode="to_target"):
    return client.post(f"/households/{world.household.pk}/propose/", {"mode": mode})


def only_proposal(world) -> Proposal:
    with scopes_disabled():
        return Proposal.objects.get(household=world.household)


def trades(proposal) -> list[ProposedTrade]:
    with scopes_disabled():
        return list(ProposedTrade.objects.filter(proposal=proposal).order_by("position", "pk"))


def buy(proposal) -> ProposedTrade:
    return next(t for t in trades(proposal) if t.side == "buy")


def actions(proposal) -> list[str]:
    with scopes_disabled():
        return list(
            AuditEvent.objects.filter(object_id=str(proposal.pk), action__startswith="proposal.")
            .order_by("pk")
            .values_list("action", flat=True)
        )


@pytest.fixture
def draft(desk, login):
    client = login(desk.advisor)
    response = propose(client, desk)
    proposal = only_proposal(desk)
    assert response.status_code == 302
    assert response["Location"] == f"/proposals/{proposal.pk}/"
    return client, proposal


def test_propose_creates_a_draft_and_the_page_shows_trades_and_chart(desk, draft):
    client, proposal = draft
    assert proposal.state == "draft" and proposal.version == 1
    assert (
        "as it first proposed the trades"
        not in client.get(f"/proposals/{proposal.pk}/").content.decode()
    )
    rows = trades(proposal)
    assert rows, "the drifted household should get trades"
    body = client.get(f"/proposals/{proposal.pk}/").content.decode()
    assert "<svg" in body
    assert "projected" in body
    for row in rows:
        assert f'id="trade-{row.pk}"' in body
        assert f"/proposals/{proposal.pk}/trades/{row.pk}/" in body
    assert 'name="version" value="1"' in body
    assert "Submit for approval" in body
    # Account numbers are masked on pages; only the order file carries them whole.
    assert desk.account.masked_number in body
    assert desk.account.account_number not in body
    listing = client.get("/proposals/?state=draft").content.decode()
    assert f"/proposals/{proposal.pk}/" in listing
    assert (
        f"/proposals/{proposal.pk}/"
        not in client.get("/proposals/?state=approved").content.decode()
    )


def test_the_household_page_offers_propose_rebalance(desk, login):
    body = login(desk.advisor).get(f"/households/{desk.household.pk}/").content.decode()
    assert "Propose rebalance" in body
    body = login(desk.compliance).get(f"/households/{desk.household.pk}/").content.decode()
    assert "Propose rebalance" not in body


def test_htmx_edit_returns_the_partial_with_new_totals_and_version(draft):
    client, proposal = draft
    row = buy(proposal)  # fewer shares bought: cash stays positive
    new_q = row.quantity - 1
    response = client.post(
        f"/proposals/{proposal.pk}/trades/{row.pk}/",
        {"quantity": str(new_q), "version": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="proposal-body"')
    assert "<html" not in body
    after = only_proposal_by_pk(proposal.pk)
    assert after.version == 2
    assert 'name="version" value="2"' in body
    edited = next(t for t in trades(after) if t.pk == row.pk)
    assert edited.quantity == new_q and edited.edited
    assert f"{after.trade_value:,.2f}" in body
    assert "proposal.trade_edited" in actions(after)
    # The engine's notes describe its own trades: once edited, the page says so.
    assert after.notes and "as it first proposed the trades" in body


def only_proposal_by_pk(pk) -> Proposal:
    with scopes_disabled():
        return Proposal.objects.get(pk=pk)


def test_plain_post_edit_redirects_without_js(draft):
    client, proposal = draft
    row = buy(proposal)
    response = client.post(
        f"/proposals/{proposal.pk}/trades/{row.pk}/", {"quantity": "1", "version": "1"}
    )
    assert response.status_code == 302
    assert only_proposal_by_pk(proposal.pk).version == 2


def test_an_old_version_shows_the_conflict_and_changes_nothing(draft):
    client, proposal = draft
    row = buy(proposal)
    client.post(f"/proposals/{proposal.pk}/trades/{row.pk}/", {"quantity": "1", "version": "1"})
    before = [(t.pk, t.quantity) for t in trades(proposal)]
    response = client.post(
        f"/proposals/{proposal.pk}/trades/{row.pk}/",
        {"quantity": "2", "version": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert "changed by someone else" in response.content.decode()
    assert only_proposal_by_pk(proposal.pk).version == 2
    assert [(t.pk, t.quantity) for t in trades(proposal)] == before


def test_invalid_quantity_shows_the_error_next_to_the_field(draft):
    client, proposal = draft
    row = trades(proposal)[0]
    response = client.post(
        f"/proposals/{proposal.pk}/trades/{row.pk}/",
        {"quantity": "100000", "version": "1"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert f'id="qty-{row.pk}-error"' in body
    assert 'aria-invalid="true"' in body
    assert 'value="100000"' in body
    assert only_proposal_by_pk(proposal.pk).version == 1
    response = client.post(
        f"/proposals/{proposal.pk}/trades/{row.pk}/", {"quantity": "abc", "version": "1"}
    )
    assert response.status_code == 400
    assert f'id="qty-{row.pk}-error"' in response.content.decode()


def add(client, proposal, version="1", htmx=True, **fields):
    data = {"add-account": "", "add-side": "sell", "add-symbol": "voo", "add-quantity": "1"}
    data |= {f"add-{k}": v for k, v in fields.items()} | {"version": version}
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(f"/proposals/{proposal.pk}/trades/add/", data, **headers)


def test_add_a_trade_inline_updates_the_projection(desk, draft):
    client, proposal = draft
    before = trades(proposal)
    page = client.get(f"/proposals/{proposal.pk}/").content.decode()
    assert 'id="add-trade-form"' in page
    assert '<option value="IWM">' in page and '<option value="VOO">' in page  # suggestions
    response = add(client, proposal, account=str(desk.account.pk))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="proposal-body"')
    after = only_proposal_by_pk(proposal.pk)
    assert after.version == 2
    rows = trades(after)
    assert len(rows) == len(before) + 1
    added = rows[-1]
    assert (added.side, added.security.symbol, added.quantity) == ("sell", "VOO", 1)
    assert added.edited and "Added by" in added.reason
    assert f'id="trade-{added.pk}"' in body
    assert f"{after.trade_value:,.2f}" in body
    assert after.projection != proposal.projection  # re-projected with the extra sale
    assert "proposal.trade_added" in actions(after)


def test_add_trade_errors_show_next_to_their_fields_and_change_nothing(desk, draft):
    client, proposal = draft
    account = str(desk.account.pk)
    cases = [
        ({"symbol": "NOPE"}, "No security with the symbol NOPE."),
        ({"quantity": "abc"}, "Enter a number of shares."),
        ({"quantity": "1.5"}, "whole shares only"),
        ({"quantity": "500"}, "which holds 10"),
        ({"account": str(desk.other_account.pk)}, "Select a valid choice"),
    ]
    for fields, message in cases:
        response = add(client, proposal, **({"account": account} | fields))
        body = response.content.decode()
        assert response.status_code == 200, fields
        assert message in body, (fields, message)
        assert 'class="field-error"' in body
        assert only_proposal_by_pk(proposal.pk).version == 1
    response = add(client, proposal, htmx=False, account=account, symbol="NOPE")
    assert response.status_code == 400  # without JS: the full page with the form's errors
    assert "<html" in response.content.decode()
    response = add(client, proposal, htmx=False, account=account)
    assert response.status_code == 302
    assert only_proposal_by_pk(proposal.pk).version == 2


def test_remove_a_trade(draft):
    client, proposal = draft
    rows = trades(proposal)
    response = client.post(
        f"/proposals/{proposal.pk}/trades/{rows[-1].pk}/remove/",
        {"version": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert len(trades(proposal)) == len(rows) - 1


def test_submit_approve_by_another_advisor_and_export(desk, draft, login):
    client, proposal = draft
    row = buy(proposal)
    client.post(f"/proposals/{proposal.pk}/trades/{row.pk}/", {"quantity": "1", "version": "1"})
    response = client.post(f"/proposals/{proposal.pk}/submit/", {"version": "2"})
    assert response.status_code == 302
    assert only_proposal_by_pk(proposal.pk).state == "submitted"

    # A second approver, who entered a second factor a moment ago (step-up).
    other = factories.stepped_up(login(desk.other_advisor), desk.other_advisor.user)
    # The confirmation box is required.
    response = other.post(f"/proposals/{proposal.pk}/approve/", {"version": "3"})
    assert response.status_code == 400
    assert "confirm you reviewed" in response.content.decode()
    assert only_proposal_by_pk(proposal.pk).state == "submitted"
    response = other.post(
        f"/proposals/{proposal.pk}/approve/",
        {"version": "3", "confirm": "on", "comment": "Looks right"},
    )
    assert response.status_code == 302
    approved = only_proposal_by_pk(proposal.pk)
    assert (approved.state, approved.comment) == ("approved", "Looks right")

    response = other.post(
        f"/proposals/{proposal.pk}/export/", {"version": "4", "custodian": "generic"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment")
    assert desk.account.account_number in response.content.decode()
    assert only_proposal_by_pk(proposal.pk).state == "exported"
    assert actions(proposal) == [
        "proposal.created",
        "proposal.trade_edited",
        "proposal.submitted",
        "proposal.approved",
        "proposal.exported",
    ]


def test_the_author_cannot_approve_by_default(desk, draft):
    client, proposal = draft
    factories.stepped_up(client, desk.advisor.user)  # a second factor does not make four eyes
    client.post(f"/proposals/{proposal.pk}/submit/", {"version": "1"})
    response = client.post(f"/proposals/{proposal.pk}/approve/", {"version": "2", "confirm": "on"})
    assert response.status_code == 400
    assert "second approver" in response.content.decode()
    assert only_proposal_by_pk(proposal.pk).state == "submitted"
    # The refusal is in the audit trail (the request's transaction committed it).
    assert actions(proposal)[-1] == "proposal.refused"


def test_reject_with_a_comment(desk, draft, login):
    client, proposal = draft
    client.post(f"/proposals/{proposal.pk}/submit/", {"version": "1"})
    response = login(desk.admin).post(
        f"/proposals/{proposal.pk}/reject/", {"version": "2", "confirm": "on", "comment": "No"}
    )
    assert response.status_code == 302
    assert only_proposal_by_pk(proposal.pk).state == "rejected"


def test_compliance_reads_but_cannot_post(desk, draft, login):
    _, proposal = draft
    compliance = login(desk.compliance)
    assert compliance.get(f"/proposals/{proposal.pk}/").status_code == 200
    assert compliance.get("/proposals/").status_code == 200
    response = compliance.post(f"/proposals/{proposal.pk}/submit/", {"version": "1"})
    assert response.status_code == 403
    row = trades(proposal)[0]
    response = compliance.post(
        f"/proposals/{proposal.pk}/trades/{row.pk}/", {"quantity": "1", "version": "1"}
    )
    assert response.status_code == 403
    assert only_proposal_by_pk(proposal.pk).version == 1


def test_an_advisor_of_another_household_gets_404(world_a, desk, draft, login):
    _, proposal = draft
    with scopes_disabled():
        HouseholdTeamMember.objects.filter(
            household=desk.household, membership=desk.other_advisor
        ).delete()
    other = login(desk.other_advisor)
    assert other.get(f"/proposals/{proposal.pk}/").status_code == 404
    assert other.post(f"/proposals/{proposal.pk}/submit/", {"version": "1"}).status_code == 404
    assert f"/proposals/{proposal.pk}/" not in other.get("/proposals/").content.decode()
    assert (
        other.post(f"/households/{desk.household.pk}/propose/", {"mode": "to_target"}).status_code
        == 404
    )


def test_a_new_price_makes_it_stale_and_approve_says_so(desk, draft, login):
    client, proposal = draft
    client.post(f"/proposals/{proposal.pk}/submit/", {"version": "1"})
    with scopes_disabled():
        factories.price(desk.lot.security, "530.00", AS_OF, source="vendor")
    body = client.get(f"/proposals/{proposal.pk}/").content.decode()
    assert "Refresh" in body and "cannot be approved" in body
    other = factories.stepped_up(login(desk.other_advisor), desk.other_advisor.user)
    response = other.post(f"/proposals/{proposal.pk}/approve/", {"version": "2", "confirm": "on"})
    assert response.status_code == 400
    assert "refresh it" in response.content.decode()
    factories.log_in(client, desk.advisor.user)
    assert only_proposal_by_pk(proposal.pk).state == "submitted"
    response = client.post(f"/proposals/{proposal.pk}/refresh/", {"version": "2"})
    assert response.status_code == 302
    refreshed = only_proposal_by_pk(proposal.pk)
    assert (refreshed.state, refreshed.version) == ("draft", 3)


def test_propose_without_a_model_shows_a_message(desk, login):
    client = login(desk.other_advisor)
    with scopes_disabled():
        household = desk.team_household
    household_id = household.pk
    response = client.post(f"/households/{household_id}/propose/", {"mode": "to_target"})
    assert response.status_code == 302
    assert response["Location"] == f"/households/{household_id}/"
    with scopes_disabled():
        assert not Proposal.objects.filter(household_id=household_id).exists()


def test_propose_from_an_account_page_trades_that_account_only(desk, login):
    client = login(desk.advisor)
    page = client.get(f"/accounts/{desk.account.pk}/").content.decode()
    assert f'action="/accounts/{desk.account.pk}/propose/"' in page
    response = client.post(f"/accounts/{desk.account.pk}/propose/", {"mode": "to_target"})
    proposal = only_proposal(desk)
    assert response.status_code == 302
    assert response["Location"] == f"/proposals/{proposal.pk}/"
    assert proposal.account_id == desk.account.pk and proposal.scope == "account"
    rows = trades(proposal)
    assert rows and {t.account_id for t in rows} == {desk.account.pk}
    body = client.get(response["Location"]).content.decode()
    assert desk.account.name in body and "Account value" in body


def test_account_propose_refuses_held_away_and_outsiders(desk, login):
    with scopes_disabled():
        type(desk.account).objects.filter(pk=desk.account.pk).update(held_away=True)
    client = login(desk.advisor)
    assert "/propose/" not in client.get(f"/accounts/{desk.account.pk}/").content.decode()
    response = client.post(
        f"/accounts/{desk.account.pk}/propose/", {"mode": "to_target"}, follow=True
    )
    assert "held-away account is never traded" in response.content.decode()
    compliance = login(desk.compliance)
    assert (
        compliance.post(f"/accounts/{desk.account.pk}/propose/", {"mode": "to_target"}).status_code
        == 403
    )
    with scopes_disabled():
        assert not Proposal.objects.exists()
