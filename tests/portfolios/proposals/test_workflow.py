"""Rebalance proposals: building the input, editing, the approval workflow, its guards.

A fake engine (a plain function of the input) stands in for portfolios.rebalance.engine,
so these tests hold whatever the real engine decides.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.conf import settings as conf
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from advisory.audit import verify_chain
from advisory.models import Account, Firm, Household, HouseholdTeamMember
from advisory.tenancy import firm_scope
from portfolios.models import AssetClass, Proposal, TaxLot
from portfolios.proposals import workflow as proposals
from portfolios.proposals.inputs import ProposalInputError, build_input, current_fingerprint
from portfolios.proposals.workflow import (
    FourEyesRequired,
    ProposalConflict,
    ProposalStale,
    ProposalStateError,
)
from portfolios.rebalance.types import Proposal as EngineResult
from portfolios.rebalance.types import ProposalInput
from tests import factories
from tests.factories import (
    AS_OF,
    OPTIONS,
    fake_engine,
    fake_proposal,
    make_desk,
    proposal_events,
    reload_proposal,
    trades_of,
)


def submitted(desk, **kwargs):
    p = fake_proposal(desk, **kwargs)
    return proposals.submit(proposal=p, actor=p.author, expected_version=p.version)


# --- The input -------------------------------------------------------------------------------


def test_build_input_reads_the_household_in_a_fixed_number_of_queries(desk, classes):
    w = desk.w
    with CaptureQueriesContext(connection) as one:
        data, fp = build_input(firm=desk.firm, household=w.household, options=OPTIONS)
    assert [a.account_id for a in data.accounts] == [w.account.pk]
    assert data.accounts[0].cash == Decimal("1000.00")
    assert [(lot.lot_id, lot.quantity) for lot in data.accounts[0].lots] == [(w.lot.pk, 10)]
    assert {s.symbol: s.price for s in data.securities.values()} == {
        "VOO": Decimal("512.34"),
        "IWM": Decimal("250.00"),
    }
    assert [t.weight for t in data.targets] == [80, 20]
    assert data.targets[1].preferred_security_id == desk.iwm.pk
    assert [t.tax_deferred_first for t in data.targets] == [False, False]  # equity classes
    assert data.options.stale_days == conf.BALLAST_PRICE_STALE_DAYS
    assert data.cash_class_id == classes["cash"].pk
    assert len(fp) == 64
    with scopes_disabled():
        for n in range(3):
            more = Account.objects.create(
                firm=desk.firm, household=w.household, name=f"Extra {n}", registration="joint",
                tax_status="tax_deferred", custodian="fidelity", account_number=f"X-{n}-99",
            )  # fmt: skip
            TaxLot.objects.create(
                firm=desk.firm, account=more, security=desk.iwm, quantity=Decimal(3),
                acquired_on=dt.date(2025, 1, 2),
            )  # fmt: skip
    with CaptureQueriesContext(connection) as four:
        data, fp2 = build_input(firm=desk.firm, household=w.household, options=OPTIONS)
    assert len(data.accounts) == 4
    assert len(four.captured_queries) == len(one.captured_queries) <= 10
    assert fp2 != fp


def test_asset_location_and_staleness_come_from_the_firm_data(desk, classes, settings):
    settings.BALLAST_PRICE_STALE_DAYS = 2
    with scopes_disabled():
        AssetClass.objects.filter(pk=classes["us-small-cap"].pk).update(prefers_tax_deferred=True)
    data, _ = build_input(firm=desk.firm, household=desk.w.household, options=OPTIONS)
    by_class = {t.asset_class_id: t.tax_deferred_first for t in data.targets}
    assert by_class == {classes["us-large-cap"].pk: False, classes["us-small-cap"].pk: True}
    assert data.options.stale_days == 2


def test_an_account_scope_uses_the_accounts_model(desk):
    data, _ = build_input(
        firm=desk.firm, household=desk.w.household, account=desk.w.account, options=OPTIONS
    )
    assert data.scope == "account"
    assert [a.account_id for a in data.accounts] == [desk.w.account.pk]
    with pytest.raises(ProposalInputError, match="not in this household"):
        build_input(
            firm=desk.firm, household=desk.w.household, account=desk.w.other_account,
            options=OPTIONS,
        )  # fmt: skip


def test_no_model_is_a_clear_error(desk):
    with pytest.raises(ValueError, match="has no model portfolio"):
        build_input(firm=desk.firm, household=desk.w.other_household, options=OPTIONS)


def test_a_held_security_without_a_price_is_an_error(desk, classes):
    odd = factories.security("ODD", classes["international"])
    with scopes_disabled():
        TaxLot.objects.create(
            firm=desk.firm, account=desk.w.account, security=odd, quantity=Decimal(1),
            acquired_on=dt.date(2025, 1, 2),
        )  # fmt: skip
    with pytest.raises(ProposalInputError, match="No price on or before 2025-12-31 for ODD"):
        build_input(firm=desk.firm, household=desk.w.household, options=OPTIONS)


# --- Creating and editing ----------------------------------------------------------------------


def test_create_stores_the_draft_its_trades_and_one_audit_event(desk):
    p = fake_proposal(desk)
    p = reload_proposal(p)
    assert (p.state, p.version, p.mode, p.scope) == ("draft", 1, "to_target", "household")
    assert p.author == desk.w.advisor.user
    assert p.trade_value == Decimal("3024.68")  # 2 × 512.34 + 8 × 250
    assert p.total_value == Decimal("6123.40")
    assert p.realized_long_term == Decimal("224.68")
    assert p.cash_after == {str(desk.w.account.pk): "24.68"}
    assert p.options["as_of"] == "2025-12-31" and p.notes == ["fake engine"]
    assert p.projection[0]["projected_weight"] == "66"
    assert p.inputs_fingerprint == current_fingerprint(p)
    sell, buy = trades_of(p)
    assert (sell.side, sell.quantity, sell.value, sell.position) == (
        "sell",
        2,
        Decimal("1024.68"),
        0,
    )
    assert sell.lots == [
        {"lot_id": desk.w.lot.pk, "quantity": "2", "cost_basis": "800.00", "gain": "224.68",
         "term": "long"},
    ]  # fmt: skip
    assert (buy.security_id, buy.quantity, buy.price) == (desk.iwm.pk, 8, Decimal("250"))
    [event] = proposal_events(p)
    assert (event.action, event.actor_id, event.role) == (
        "proposal.created",
        desk.w.advisor.user.pk,
        "advisor",
    )
    assert [t["side"] for t in event.changes["trades"]] == ["sell", "buy"]
    assert verify_chain(desk.firm).ok


def test_edit_recomputes_totals_and_audits_before_and_after(desk):
    p = fake_proposal(desk)
    buy = trades_of(p)[1]
    p2 = proposals.edit_trade(
        proposal=p, trade_id=buy.pk, quantity="4", expected_version=1, actor=desk.w.advisor.user
    )
    assert p2.version == 2
    p2 = reload_proposal(p2)
    assert p2.trade_value == Decimal("2024.68")
    assert p2.cash_after == {str(desk.w.account.pk): "1024.68"}
    [large, small, outside] = p2.projection
    # Before: VOO 5,123.40 of 6,123.40; after: VOO 4,098.72 + IWM 1,000 + cash 1,024.68.
    assert (large["current_weight"], large["projected_weight"]) == ("83.6692", "66.9354")
    assert (small["current_weight"], small["projected_weight"]) == ("0.0000", "16.3308")
    assert (small["low"], small["high"], small["breached_after"]) == ("15.0000", "25.0000", False)
    # The model has no cash target: cash is outside it (0% target, 5-point band), as in drift.
    assert (outside["label"], outside["target_id"]) == ("Outside the model", None)
    assert (outside["projected_weight"], outside["breached_after"]) == ("16.7338", True)
    edited = trades_of(p2)[1]
    assert (edited.quantity, edited.value, edited.edited) == (4, Decimal("1000.00"), True)
    # The engine's sentence stays, and says a person changed the number.
    assert edited.reason.startswith(buy.reason)
    assert edited.reason.endswith(f". Edited by {desk.w.advisor.user} to 4.")
    assert ".." not in edited.reason
    [event] = proposal_events(p, "proposal.trade_edited")
    assert event.changes["trade"]["before"]["quantity"] == "8"
    assert event.changes["trade"]["after"]["quantity"] == "4"
    assert event.changes["trade_value"] == {"before": "3024.68", "after": "2024.68"}
    assert event.changes["version"] == {"before": 1, "after": 2}


def test_editing_a_sell_takes_its_lots_again(desk):
    p = fake_proposal(desk)
    sell = trades_of(p)[0]
    p = proposals.edit_trade(
        proposal=p, trade_id=sell.pk, quantity=Decimal(3), expected_version=1,
        actor=desk.w.advisor.user,
    )  # fmt: skip
    sell = trades_of(p)[0]
    assert sell.lots == [
        {"lot_id": desk.w.lot.pk, "quantity": "3", "cost_basis": "1200.00", "gain": "337.02",
         "term": "long"},
    ]  # fmt: skip
    assert reload_proposal(p).realized_long_term == Decimal("337.02")


@pytest.mark.parametrize(
    ("which", "quantity", "message"),
    [
        ("buy", "0", "more than zero"),
        ("buy", "-3", "more than zero"),
        ("buy", "1.5", "whole shares only"),
        ("buy", "abc", "Enter a number"),
        ("sell", "11", "which holds 10"),
        ("buy", "100", "Cash in Alpha Brokerage would be -22975.32"),
    ],
)
def test_invalid_edits_are_refused_by_field_and_change_nothing(desk, which, quantity, message):
    p = fake_proposal(desk)
    trade = trades_of(p)[0 if which == "sell" else 1]
    with pytest.raises(ValidationError) as caught:
        proposals.edit_trade(
            proposal=p, trade_id=trade.pk, quantity=quantity, expected_version=1,
            actor=desk.w.advisor.user,
        )  # fmt: skip
    assert message in " ".join(caught.value.message_dict["quantity"])
    assert reload_proposal(p).version == 1
    assert [t.quantity for t in trades_of(p)] == [2, 8]
    assert len(proposal_events(p)) == 1


def test_an_edit_with_an_old_version_conflicts_and_changes_nothing(desk):
    p = fake_proposal(desk)
    buy = trades_of(p)[1]
    actor = desk.w.advisor.user
    proposals.edit_trade(proposal=p, trade_id=buy.pk, quantity=5, expected_version=1, actor=actor)
    with pytest.raises(ProposalConflict, match="changed by someone else; reload it"):
        proposals.edit_trade(
            proposal=p, trade_id=buy.pk, quantity=6, expected_version=1, actor=actor
        )
    assert reload_proposal(p).version == 2
    assert trades_of(p)[1].quantity == 5
    assert len(proposal_events(p, "proposal.trade_edited")) == 1


def test_add_and_remove_trades(desk):
    p = fake_proposal(desk)
    actor = desk.w.advisor.user
    p = proposals.add_trade(
        proposal=p, account=desk.w.account, security=desk.voo, side="sell", quantity=1,
        expected_version=1, actor=actor,
    )  # fmt: skip
    added = trades_of(p)[2]
    assert (added.side, added.quantity, added.position, added.edited) == ("sell", 1, 2, True)
    assert added.lots[0]["quantity"] == "1"
    assert reload_proposal(p).trade_value == Decimal("3537.02")
    assert not proposals.is_stale(p)
    p = proposals.remove_trade(proposal=p, trade_id=added.pk, expected_version=2, actor=actor)
    assert len(trades_of(p)) == 2
    assert reload_proposal(p).trade_value == Decimal("3024.68")
    assert [e.action for e in proposal_events(p)] == [
        "proposal.created",
        "proposal.trade_added",
        "proposal.trade_removed",
    ]
    # Removing the sell would leave cash at -1,000: refused, not a field of its own.
    sell = trades_of(p)[0]
    with pytest.raises(ValidationError, match=r"would be -1000\.00"):
        proposals.remove_trade(proposal=p, trade_id=sell.pk, expected_version=3, actor=actor)


def test_adding_an_unpriced_or_restricted_trade_is_refused(desk, classes):
    p = fake_proposal(desk)
    unpriced = factories.security("NOPX", classes["international"])
    with pytest.raises(ValidationError) as caught:
        proposals.add_trade(
            proposal=p, account=desk.w.account, security=unpriced, side="buy", quantity=1,
            expected_version=1, actor=desk.w.advisor.user,
        )  # fmt: skip
    assert "no price" in caught.value.message_dict["security"][0]
    with pytest.raises(ValidationError) as caught:
        proposals.add_trade(
            proposal=p, account=desk.w.other_account, security=desk.voo, side="buy",
            quantity=1, expected_version=1, actor=desk.w.advisor.user,
        )  # fmt: skip
    assert "account" in caught.value.message_dict


def test_a_proposal_without_trades_cannot_be_submitted(desk):
    def idle(data: ProposalInput) -> EngineResult:
        return EngineResult((), (), Decimal(0), Decimal(0), {}, ("in band",), Decimal(0))

    p = proposals.create_proposal(
        firm=desk.firm, household=desk.w.household, options=OPTIONS,
        author=desk.w.advisor.user, engine=idle,
    )  # fmt: skip
    with pytest.raises(ValidationError, match="nothing to submit"):
        proposals.submit(proposal=p, actor=desk.w.advisor.user, expected_version=1)
    assert reload_proposal(p).state == "draft"


def test_an_invalid_engine_trade_is_refused_before_anything_is_stored(desk):
    def oversized(data: ProposalInput) -> EngineResult:
        result = fake_engine(data)
        bad = dataclasses.replace(result.trades[1], quantity=Decimal("0.0000000001"))
        return dataclasses.replace(result, trades=(result.trades[0], bad))

    with pytest.raises(proposals.ProposalError, match="invalid trade"):
        proposals.create_proposal(
            firm=desk.firm, household=desk.w.household, options=OPTIONS,
            author=desk.w.advisor.user, engine=oversized,
        )  # fmt: skip
    with firm_scope(desk.firm):
        assert not Proposal.objects.exists()


# --- Workflow ---------------------------------------------------------------------------------


def test_the_happy_path_leaves_exactly_one_event_per_transition(desk):
    from portfolios.proposals.order_files import export_order_file

    w = desk.w
    p = fake_proposal(desk)
    p = proposals.submit(proposal=p, actor=w.advisor.user, expected_version=1)
    p = proposals.approve(proposal=p, approver=w.admin.user, expected_version=2, comment="ok")
    export_order_file(proposal=p, actor=w.advisor.user, expected_version=3)
    p = proposals.mark_executed(proposal=p, actor=w.advisor.user, expected_version=4)
    p = reload_proposal(p)
    assert (p.state, p.version) == ("executed", 5)
    assert (p.submitted_by, p.approved_by, p.comment) == (w.advisor.user, w.admin.user, "ok")
    assert p.submitted_at and p.decided_at and p.exported_at and p.executed_at
    assert [e.action for e in proposal_events(p)] == [
        "proposal.created",
        "proposal.submitted",
        "proposal.approved",
        "proposal.exported",
        "proposal.executed",
    ]
    approved = proposal_events(p, "proposal.approved")[0]
    assert approved.changes["state"] == {"before": "submitted", "after": "approved"}
    assert approved.actor_id == w.admin.user.pk and approved.role == "admin"
    assert verify_chain(desk.firm).ok


def test_reject_and_cancel_each_leave_one_event(desk):
    actor = desk.w.advisor.user
    p = submitted(desk)
    p = proposals.reject(proposal=p, actor=actor, expected_version=2, comment="too much tax")
    assert (p.state, p.rejected_by, p.comment) == ("rejected", actor, "too much tax")
    with pytest.raises(ProposalStateError, match="rejected proposal cannot be cancelled"):
        proposals.cancel(proposal=p, actor=actor, expected_version=3)
    q = fake_proposal(desk)
    q = proposals.cancel(proposal=q, actor=actor, expected_version=1)
    assert q.state == "cancelled"
    assert [e.action for e in proposal_events(p)] == [
        "proposal.created",
        "proposal.submitted",
        "proposal.rejected",
    ]
    assert [e.action for e in proposal_events(q)] == ["proposal.created", "proposal.cancelled"]


def test_actions_out_of_state_are_refused(desk):
    p = fake_proposal(desk)
    actor = desk.w.advisor.user
    with pytest.raises(ProposalStateError, match="draft proposal cannot be approved"):
        proposals.approve(proposal=p, approver=actor, expected_version=1)
    p = proposals.submit(proposal=p, actor=actor, expected_version=1)
    buy = trades_of(p)[1]
    with pytest.raises(ProposalStateError, match="submitted proposal cannot be edited"):
        proposals.edit_trade(
            proposal=p, trade_id=buy.pk, quantity=1, expected_version=2, actor=actor
        )
    with pytest.raises(ProposalStateError):
        proposals.mark_executed(proposal=p, actor=actor, expected_version=2)
    assert reload_proposal(p).version == 2


def test_a_new_price_makes_it_stale_and_refresh_rebuilds_it(desk):
    p = submitted(desk)
    assert not proposals.is_stale(p)
    factories.price(desk.voo, "520.00", AS_OF, source="vendor")  # a later correction, same day
    assert proposals.is_stale(p)
    with pytest.raises(ProposalStale, match="refresh it"):
        proposals.approve(proposal=p, approver=desk.w.admin.user, expected_version=2)
    assert (reload_proposal(p).state, reload_proposal(p).version) == ("submitted", 2)
    [refused] = proposal_events(p, "proposal.refused")
    assert (refused.actor_id, refused.changes["attempted"]) == (desk.w.admin.user_id, "approved")
    assert "refresh it" in refused.changes["reason"]
    p = proposals.refresh(
        proposal=p, actor=desk.w.advisor.user, expected_version=2, engine=fake_engine
    )
    assert (p.state, p.version, p.submitted_by) == ("draft", 3, None)
    assert not proposals.is_stale(p)
    assert trades_of(p)[0].value == Decimal("1040.00")
    [event] = proposal_events(p, "proposal.refreshed")
    assert event.changes["state"] == {"before": "submitted", "after": "draft"}
    assert event.changes["trades"]["after"][0]["value"] == "1040.00"
    p = proposals.submit(proposal=p, actor=desk.w.advisor.user, expected_version=3)
    assert proposals.approve(proposal=p, approver=desk.w.admin.user, expected_version=4).state == (
        "approved"
    )


def test_a_price_dated_after_the_as_of_date_also_makes_it_stale(desk):
    p = fake_proposal(desk)
    factories.price(desk.voo, "530.00", dt.date(2026, 1, 5))
    assert proposals.is_stale(p)
    p = proposals.refresh(
        proposal=p, actor=desk.w.advisor.user, expected_version=1, engine=fake_engine
    )
    assert p.as_of == dt.date(2026, 1, 5) and p.options["as_of"] == "2026-01-05"
    assert not proposals.is_stale(p)


def test_changed_holdings_or_cash_make_it_stale(desk):
    p = fake_proposal(desk)
    with scopes_disabled():
        Account.objects.filter(pk=desk.w.account.pk).update(cash_balance=Decimal("999.99"))
    assert proposals.is_stale(p)
    with scopes_disabled():
        Account.objects.filter(pk=desk.w.account.pk).update(cash_balance=Decimal("1000.00"))
    assert not proposals.is_stale(p)
    with scopes_disabled():
        TaxLot.objects.filter(pk=desk.w.lot.pk).update(quantity=Decimal(9))
    assert proposals.is_stale(p)
    buy = trades_of(p)[1]
    with pytest.raises(ProposalStale):
        proposals.edit_trade(
            proposal=p, trade_id=buy.pk, quantity=1, expected_version=1,
            actor=desk.w.advisor.user,
        )  # fmt: skip


def test_four_eyes_by_default(desk):
    w = desk.w
    with scopes_disabled():
        HouseholdTeamMember.objects.create(
            firm=desk.firm, household=w.household, membership=w.other_advisor
        )
    p = submitted(desk)
    with pytest.raises(FourEyesRequired, match="second approver") as caught:
        proposals.approve(proposal=p, approver=w.advisor.user, expected_version=2)
    assert isinstance(caught.value, PermissionDenied)
    assert reload_proposal(p).state == "submitted"
    # The refused approval left nothing but its own audit event, for compliance.
    [refused] = proposal_events(p, "proposal.refused")
    assert refused.actor_id == w.advisor.user_id and refused.role == "advisor"
    assert refused.changes["attempted"] == "approved"
    assert "second approver" in refused.changes["reason"]
    assert not proposal_events(p, "proposal.approved")
    p = proposals.approve(proposal=p, approver=w.other_advisor.user, expected_version=2)
    assert p.approved_by == w.other_advisor.user

    # Someone who edited the trades is not a second pair of eyes either.
    q = fake_proposal(desk)
    buy = trades_of(q)[1]
    proposals.edit_trade(
        proposal=q, trade_id=buy.pk, quantity=7, expected_version=1, actor=w.other_advisor.user
    )
    q = proposals.submit(proposal=q, actor=w.advisor.user, expected_version=2)
    with pytest.raises(FourEyesRequired):
        proposals.approve(proposal=q, approver=w.other_advisor.user, expected_version=3)
    assert proposals.approve(proposal=q, approver=w.admin.user, expected_version=3).approved_by


def test_below_the_self_approval_threshold_the_author_may_approve(desk):
    with scopes_disabled():
        Firm.objects.filter(pk=desk.firm.pk).update(self_approval_below=Decimal("5000.00"))
    p = submitted(desk)
    assert p.trade_value < Decimal("5000.00")
    p = proposals.approve(proposal=p, approver=desk.w.advisor.user, expected_version=2)
    assert p.state == "approved"


@pytest.mark.parametrize("persona", ["compliance", "client", "other_advisor"])
def test_compliance_clients_and_outsiders_cannot_act(desk, persona):
    user = getattr(desk.w, persona).user
    p = submitted(desk)
    with pytest.raises(PermissionDenied):
        proposals.approve(proposal=p, approver=user, expected_version=2)
    with pytest.raises(PermissionDenied):
        proposals.reject(proposal=p, actor=user, expected_version=2)
    with pytest.raises(PermissionDenied):
        fake_proposal(desk, author=user)
    assert reload_proposal(p).version == 2
    assert len(proposal_events(p)) == 2


def test_another_firms_proposal_is_unreachable(desk, world_b):
    p = submitted(desk)
    outsider = world_b.admin.user
    with firm_scope(world_b.firm), pytest.raises(Proposal.DoesNotExist):
        proposals.approve(proposal=p, approver=outsider, expected_version=2)
    with pytest.raises(PermissionDenied):  # no scope active: not a member of firm A
        proposals.approve(proposal=p, approver=outsider, expected_version=2)
    with firm_scope(world_b.firm), pytest.raises(Household.DoesNotExist):
        proposals.create_proposal(
            firm=world_b.firm, household=desk.w.household, options=OPTIONS, author=outsider,
            engine=fake_engine,
        )  # fmt: skip
    assert reload_proposal(p).state == "submitted"


def test_executed_trades_feed_the_wash_sale_look_back(desk):
    """What was executed counts, as recorded fills (tests/portfolios/executions/test_loop.py)."""
    from portfolios.executions.apply import record_execution
    from portfolios.executions.parse import parse_file
    from portfolios.proposals.order_files import export_order_file

    w = desk.w
    p = submitted(desk)
    p = proposals.approve(proposal=p, approver=w.admin.user, expected_version=2)
    export_order_file(proposal=p, actor=w.advisor.user, expected_version=3)
    number = w.account.account_number
    content = (
        "account_number,symbol,side,quantity,price,trade_date\r\n"
        f"{number},VOO,sell,2,512.34,{AS_OF}\r\n{number},IWM,buy,8,250,{AS_OF}\r\n"
    ).encode()
    record_execution(
        proposal=p,
        actor=w.advisor.user,
        expected_version=4,
        rows=parse_file(content),
        content=content,
    )
    data, _ = build_input(firm=desk.firm, household=w.household, options=OPTIONS)
    assert {(t.side, t.security_id, t.at_loss) for t in data.recent_trades} == {
        ("sell", desk.voo.pk, False),
        ("buy", desk.iwm.pk, False),
    }


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_approvals_exactly_one_wins(world_a, classes):
    with scopes_disabled():
        desk = make_desk(world_a, classes)
        HouseholdTeamMember.objects.create(
            firm=desk.firm, household=world_a.household, membership=world_a.other_advisor
        )
    p = submitted(desk)
    approvers = [world_a.admin.user, world_a.other_advisor.user]
    results, errors = [], []
    barrier = threading.Barrier(2)

    def approve(user) -> None:
        try:
            barrier.wait()
            results.append(proposals.approve(proposal=p, approver=user, expected_version=2))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(u,)) for u in approvers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 1
    assert [type(e) for e in errors] == [ProposalConflict]
    p = reload_proposal(p)
    assert (p.state, p.version, p.approved_by) == ("approved", 3, results[0].approved_by)
    assert len(proposal_events(p, "proposal.approved")) == 1
    assert verify_chain(desk.firm).ok
