"""The restriction pages: who may read and write, audit, lifting, another firm's ids, notes."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from advisory.models import AuditEvent
from portfolios.models import Proposal, Restriction
from tests.factories import AS_OF, fake_proposal


def restrictions_of(firm) -> list[Restriction]:
    with scopes_disabled():
        return list(Restriction.objects.filter(firm=firm).order_by("pk"))


def events(firm, action: str) -> list[AuditEvent]:
    with scopes_disabled():
        return list(AuditEvent.objects.filter(firm=firm, action=action).order_by("seq"))


FORM = {"symbol": "voo", "side": "sell", "reason": "Pending merger review", "expires_on": ""}


def test_an_advisor_adds_a_firm_wide_restriction_audited(world_a, client, login):
    login(world_a.advisor)
    response = client.post("/restrictions/", FORM)
    assert response.status_code == 302
    [r] = restrictions_of(world_a.firm)
    assert (r.security_id, r.side, r.scope, r.reason) == (
        world_a.lot.security_id, "sell", "firm", "Pending merger review",
    )  # fmt: skip
    assert r.created_by_id == world_a.advisor.user_id
    [event] = events(world_a.firm, "restriction.added")
    assert event.object_id == str(r.pk)
    assert event.changes["symbol"] == "VOO" and event.changes["reason"] == "Pending merger review"
    page = client.get("/restrictions/").content.decode()
    assert "Pending merger review" in page and "in force" in page


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({**FORM, "symbol": "NOPE"}, "No security with the symbol NOPE."),
        ({**FORM, "reason": "   "}, "This field is required."),
        ({**FORM, "expires_on": "2020-01-01"}, "The expiry date is in the past."),
        ({**FORM, "side": "hold"}, "Select a valid choice."),
    ],
)
def test_bad_input_is_refused_clearly_and_changes_nothing(world_a, client, login, form, message):
    login(world_a.admin)
    response = client.post("/restrictions/", form)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert restrictions_of(world_a.firm) == []
    assert events(world_a.firm, "restriction.added") == []


def test_a_duplicate_in_force_restriction_is_refused(world_a, client, login):
    login(world_a.admin)
    client.post("/restrictions/", FORM)
    response = client.post("/restrictions/", FORM)
    assert response.status_code == 400
    assert "already restricted that way" in response.content.decode()
    assert len(restrictions_of(world_a.firm)) == 1


def test_household_and_account_restrictions_from_the_household_page(world_a, client, login):
    login(world_a.advisor)
    household = world_a.household
    detail = client.get(f"/households/{household.pk}/").content.decode()
    assert f"/restrictions/households/{household.pk}/" in detail
    url = f"/restrictions/households/{household.pk}/"
    assert client.post(url, {**FORM, "applies_to": "household"}).status_code == 302
    account = {**FORM, "side": "buy", "applies_to": f"account-{world_a.account.pk}"}
    assert client.post(url, account).status_code == 302
    hh, acct = restrictions_of(world_a.firm)
    assert (hh.household_id, hh.account_id, hh.scope) == (household.pk, None, "household")
    assert (acct.household_id, acct.account_id) == (None, world_a.account.pk)
    assert acct.scope == "account"
    # Another household's account is not a choice.
    other = {**FORM, "applies_to": f"account-{world_a.other_account.pk}"}
    assert client.post(url, other).status_code == 400
    page = client.get(url).content.decode()
    assert "Household Alpha Household" in page and "Account Alpha Brokerage" in page


def test_lifting_needs_a_reason_is_audited_and_shows_lifted(world_a, client, login):
    login(world_a.advisor)
    client.post("/restrictions/", FORM)
    [r] = restrictions_of(world_a.firm)
    response = client.post(f"/restrictions/{r.pk}/lift/", {"reason": ""})
    assert response.status_code == 302
    assert restrictions_of(world_a.firm)[0].lifted_at is None
    client.post(f"/restrictions/{r.pk}/lift/", {"reason": "Deal closed"})
    [r] = restrictions_of(world_a.firm)
    assert r.lifted_at is not None and r.lifted_by_id == world_a.advisor.user_id
    [event] = events(world_a.firm, "restriction.lifted")
    assert event.changes["reason"] == "Deal closed" and event.object_id == str(r.pk)
    # Lifting twice is refused, and changes nothing.
    client.post(f"/restrictions/{r.pk}/lift/", {"reason": "Again"})
    assert len(events(world_a.firm, "restriction.lifted")) == 1
    page = client.get("/restrictions/").content.decode()
    assert "lifted" in page and "Lift VOO" not in page


def test_expired_restrictions_show_as_expired(world_a, client, login):
    with scopes_disabled():
        Restriction.objects.create(
            firm=world_a.firm, security=world_a.lot.security, side="buy",
            reason="Quarter-end blackout", expires_on=AS_OF,
        )  # fmt: skip
    login(world_a.compliance)
    page = client.get("/restrictions/").content.decode()
    assert "Quarter-end blackout" in page
    assert ">expired<" in page and ">in force<" not in page


def test_filter_by_scope(world_a, client, login):
    login(world_a.admin)
    client.post("/restrictions/", FORM)
    url = f"/restrictions/households/{world_a.household.pk}/"
    client.post(url, {**FORM, "side": "buy", "reason": "Household only", "applies_to": "household"})
    firm_only = client.get("/restrictions/?scope=firm").content.decode()
    assert "Pending merger review" in firm_only and "Household only" not in firm_only
    household_only = client.get("/restrictions/?scope=household").content.decode()
    assert "Household only" in household_only and "Pending merger review" not in household_only


def test_compliance_reads_but_cannot_write(world_a, client, login):
    login(world_a.admin)
    client.post("/restrictions/", FORM)
    [r] = restrictions_of(world_a.firm)
    login(world_a.compliance)
    assert client.get("/restrictions/").status_code == 200
    assert client.get(f"/restrictions/households/{world_a.household.pk}/").status_code == 200
    assert (
        client.post("/restrictions/", {**FORM, "symbol": "VOO", "side": "buy"}).status_code == 403
    )
    assert client.post(f"/restrictions/{r.pk}/lift/", {"reason": "x"}).status_code == 403
    assert restrictions_of(world_a.firm)[0].lifted_at is None
    assert len(restrictions_of(world_a.firm)) == 1


def test_clients_see_nothing(world_a, client, login):
    login(world_a.client)
    assert client.get("/restrictions/").status_code == 403
    assert client.get(f"/restrictions/households/{world_a.household.pk}/").status_code == 403


def test_an_advisor_cannot_reach_a_household_they_do_not_advise(world_a, client, login):
    with scopes_disabled():
        theirs = Restriction.objects.create(
            firm=world_a.firm, security=world_a.lot.security, side="sell",
            household=world_a.other_household, reason="Not yours",
        )  # fmt: skip
    login(world_a.advisor)
    assert client.get(f"/restrictions/households/{world_a.other_household.pk}/").status_code == 404
    assert client.post(f"/restrictions/{theirs.pk}/lift/", {"reason": "x"}).status_code == 404
    assert "Not yours" not in client.get("/restrictions/").content.decode()


def test_another_firms_restriction_is_a_404(world_a, world_b, client, login):
    with scopes_disabled():
        theirs = Restriction.objects.create(
            firm=world_b.firm, security=world_b.lot.security, side="sell", reason="ZetaSecret"
        )
    login(world_a.admin)
    assert client.post(f"/restrictions/{theirs.pk}/lift/", {"reason": "x"}).status_code == 404
    assert client.get(f"/restrictions/households/{world_b.household.pk}/").status_code == 404
    assert "ZetaSecret" not in client.get("/restrictions/").content.decode()
    with scopes_disabled():
        assert Restriction.objects.get(pk=theirs.pk).lifted_at is None


def test_the_proposal_page_renders_structured_and_old_string_notes(desk, client, login):
    proposal = fake_proposal(desk)
    note = {
        "rule": 2, "subject": "US large cap", "effect": "no_trade", "drift_left": "+10.0",
        "text": "US large cap: VOO is on the do-not-sell list (firm-wide: Merger review).",
    }  # fmt: skip
    with scopes_disabled():
        Proposal.objects.filter(pk=proposal.pk).update(notes=["An old plain note.", note])
    login(desk.w.advisor)
    page = client.get(f"/proposals/{proposal.pk}/").content.decode()
    assert "<li>An old plain note.</li>" in page
    assert (
        '<li data-rule="2">US large cap: VOO is on the do-not-sell list (firm-wide: '
        "Merger review).</li>" in page
    )
    assert "{&#x27;rule&#x27;" not in page  # never the dict itself
