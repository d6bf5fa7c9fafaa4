"""Restrictions read from the database into the engine's input, and proposal staleness."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from advisory.models import Account
from portfolios.models import Restriction
from portfolios.proposals import workflow as proposals
from portfolios.proposals.edits import add_trade
from portfolios.proposals.inputs import build_input
from portfolios.rebalance.types import Options, RestrictionInfo
from portfolios.restrictions.lists import add_restriction, lift_restriction
from tests.factories import AS_OF, OPTIONS, fake_proposal, reload_proposal


def restrict(desk, security, side, *, household=None, account=None, firm=None, **kw):
    with scopes_disabled():
        return Restriction.objects.create(
            firm=firm or desk.firm,
            security=security,
            side=side,
            household=household,
            account=account,
            reason=kw.pop("reason", f"{security.symbol} {side}"),
            **kw,
        )


def test_in_force_restrictions_reach_the_lists_and_the_rest_do_not(desk, world_b):
    w = desk.w
    with scopes_disabled():
        second = Account.objects.create(
            firm=desk.firm, household=w.household, name="Alpha Roth", registration="roth_ira",
            tax_status="tax_exempt", custodian="schwab", account_number="ALPHA-2001",
        )  # fmt: skip
    restrict(desk, desk.voo, "sell", reason="Merger review")  # firm-wide
    restrict(desk, desk.iwm, "buy", household=w.household, reason="Client objects")
    restrict(desk, desk.voo, "buy", account=second, reason="No VOO in Roth")
    # Not in force or not this household's: each would show in the lists if it leaked.
    restrict(desk, desk.iwm, "sell", expires_on=AS_OF - dt.timedelta(days=1))  # expired
    restrict(desk, desk.iwm, "sell", lifted_at=timezone.now())  # lifted
    restrict(desk, desk.voo, "buy", household=w.other_household)  # another household
    restrict(desk, desk.iwm, "sell", account=w.other_account)  # another household's account
    restrict(desk, desk.voo, "buy", firm=world_b.firm)  # another firm
    restrict(desk, desk.voo, "buy", expires_on=AS_OF)  # the last day it applies: in force

    data, _ = build_input(firm=desk.firm, household=w.household, options=OPTIONS)
    assert data.options.do_not_sell == {desk.voo.pk}
    assert data.options.do_not_buy == {desk.iwm.pk, desk.voo.pk}
    accounts = {a.name: a for a in data.accounts}
    assert accounts["Alpha Brokerage"].do_not_buy == frozenset()
    assert accounts["Alpha Roth"].do_not_buy == {desk.voo.pk}
    assert accounts["Alpha Roth"].do_not_sell == frozenset()
    assert set(data.restrictions) == {
        RestrictionInfo(desk.voo.pk, "sell", "firm", "firm-wide", "Merger review"),
        RestrictionInfo(desk.iwm.pk, "buy", "household", "Alpha Household", "Client objects"),
        RestrictionInfo(desk.voo.pk, "buy", "account", "Alpha Roth", "No VOO in Roth", second.pk),
        RestrictionInfo(desk.voo.pk, "buy", "firm", "firm-wide", "VOO buy"),
    }  # fmt: skip
    # One account's proposal carries only that account's own restrictions.
    data, _ = build_input(firm=desk.firm, household=w.household, account=w.account, options=OPTIONS)
    assert all(r.account_id is None for r in data.restrictions)


def test_passed_in_lists_are_merged_and_the_query_count_stays_fixed(desk):
    w = desk.w
    with CaptureQueriesContext(connection) as none:
        build_input(firm=desk.firm, household=w.household, options=OPTIONS)
    restrict(desk, desk.voo, "sell")
    restrict(desk, desk.iwm, "buy", account=w.account)
    options = Options(mode="to_target", as_of=AS_OF, do_not_sell=frozenset({desk.iwm.pk}))
    with CaptureQueriesContext(connection) as some:
        data, _ = build_input(firm=desk.firm, household=w.household, options=options)
    assert data.options.do_not_sell == {desk.voo.pk, desk.iwm.pk}
    assert data.accounts[0].do_not_buy == {desk.iwm.pk}
    assert len(some.captured_queries) == len(none.captured_queries)


def test_the_real_engine_names_a_restriction_from_the_database(desk):
    w = desk.w
    # 80/20 model: VOO 10 × 512.34 = 5,123.40 and 1,000 cash (6,123.40): small cap 0%,
    # below its band: to target buys IWM. With IWM on the household's do-not-buy list and
    # no equivalent, nothing is bought and the note names it.
    add_restriction(
        firm=desk.firm, actor=w.advisor.user, symbol="IWM", side="buy",
        household=w.household, reason="Client objects to the fund", today=AS_OF,
    )  # fmt: skip
    p = proposals.create_proposal(
        firm=desk.firm, household=w.household, options=OPTIONS, author=w.advisor.user
    )
    p = reload_proposal(p)
    [note] = [n for n in p.notes if n["rule"] == 2]
    assert note["subject"] == "US small cap"
    assert note["text"].startswith(
        "US small cap: IWM not bought: it is on the do-not-buy list (Alpha Household: Client "
        "objects to the fund). Rule 2 (restrictions) wins over the target:"
    )
    assert note["drift_left"] == "-20.0"
    assert set(note) == {"rule", "subject", "effect", "drift_left", "text"}


def test_adding_or_lifting_a_restriction_makes_open_proposals_stale(desk):
    w = desk.w
    before = fake_proposal(desk)
    assert not proposals.is_stale(before)
    r = add_restriction(
        firm=desk.firm, actor=w.advisor.user, symbol="VOO", side="sell", reason="Merger review"
    )
    assert proposals.is_stale(before)
    during = fake_proposal(desk)
    assert during.inputs_fingerprint != before.inputs_fingerprint
    assert not proposals.is_stale(during)
    lift_restriction(firm=desk.firm, actor=w.advisor.user, restriction=r, reason="Deal closed")
    assert proposals.is_stale(during)
    # Back to the data ``before`` was built on.
    assert not proposals.is_stale(before)


@pytest.mark.parametrize("scope", ["firm", "household", "account"])
def test_an_expired_restriction_no_longer_counts_in_the_fingerprint(desk, scope):
    w = desk.w
    where = {"firm": {}, "household": {"household": w.household}, "account": {"account": w.account}}
    later = Options(mode="to_target", as_of=AS_OF + dt.timedelta(days=1))
    _, plain_day_after = build_input(firm=desk.firm, household=w.household, options=later)
    _, plain_last_day = build_input(firm=desk.firm, household=w.household, options=OPTIONS)
    restrict(desk, desk.voo, "sell", expires_on=AS_OF, **where[scope])
    _, on_last_day = build_input(firm=desk.firm, household=w.household, options=OPTIONS)
    _, day_after = build_input(firm=desk.firm, household=w.household, options=later)
    assert on_last_day != plain_last_day  # in force on its last day
    assert day_after == plain_day_after  # expired: as if it never was


def test_a_hand_added_trade_of_a_restricted_security_is_refused(desk):
    w = desk.w
    restrict(desk, desk.iwm, "buy", account=w.account, reason="Not in this account")
    proposal = fake_proposal(desk)
    with pytest.raises(ValidationError, match="IWM is on the do-not-buy list"):
        add_trade(
            proposal=proposal, account=w.account, security=desk.iwm, side="buy", quantity="1",
            expected_version=proposal.version, actor=w.advisor.user,
        )  # fmt: skip
    assert reload_proposal(proposal).version == proposal.version
