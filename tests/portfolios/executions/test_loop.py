"""The loop closed: an executed loss sale stops the next proposal buying the security back,
and the next drift run sees the new holdings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from advisory.tenancy import firm_scope
from portfolios.drift import runs as drift_runs
from portfolios.drift.snapshots import bucket_dicts
from portfolios.models import DriftSnapshot
from portfolios.proposals import workflow
from portfolios.proposals.inputs import _recent_trades, build_input
from tests.factories import AS_OF, OPTIONS, trades_of
from tests.portfolios.executions.helpers import DAY, csv_file, execute, exported

A = "ALPHA-1001"


def next_proposal(desk):
    """A proposal by the real engine, as of the same day as the executed one."""
    return workflow.create_proposal(
        firm=desk.firm, household=desk.w.household, options=OPTIONS, author=desk.w.advisor.user
    )


@pytest.mark.parametrize(("price", "blocked"), [("300", True), ("512.34", False)])
def test_a_sale_at_a_loss_blocks_buying_it_back_in_the_household(desk, price, blocked):
    # Sold 2 VOO (cost 400 a share), bought 2 IWM: the model now wants more large caps.
    execute(
        desk, exported(desk),
        csv_file(f"{A},VOO,sell,2,{price},{DAY},,", f"{A},IWM,buy,2,250,{DAY},,"),
    )  # fmt: skip
    data, _ = build_input(firm=desk.firm, household=desk.w.household, options=OPTIONS)
    assert {(t.side, t.security_id, t.at_loss, str(t.trade_date)) for t in data.recent_trades} == {
        ("sell", desk.voo.pk, blocked, DAY),
        ("buy", desk.iwm.pk, False, DAY),
    }
    p = next_proposal(desk)
    bought = {(t.side, t.security.symbol) for t in trades_of(p)}
    if blocked:
        assert ("buy", "VOO") not in bought
        assert any("wash sale" in str(note) for note in p.notes)
    else:
        assert ("buy", "VOO") in bought  # the control: a sale at a gain blocks nothing


def test_proposed_trades_without_fills_do_not_feed_the_guard(desk):
    p = exported(desk)
    workflow.mark_executed(proposal=p, actor=desk.w.advisor.user, expected_version=p.version)
    data, _ = build_input(firm=desk.firm, household=desk.w.household, options=OPTIONS)
    assert data.recent_trades == ()


def test_the_next_drift_run_sees_the_new_holdings(desk):
    execute(
        desk, exported(desk),
        csv_file(f"{A},VOO,sell,2,512.34,{DAY},,", f"{A},IWM,buy,4,250,{DAY},,1000.00"),
    )  # fmt: skip
    run, _ = drift_runs.start_run(desk.firm, AS_OF)
    drift_runs.process_inline(run)
    with firm_scope(desk.firm):
        snap = DriftSnapshot.objects.get(kind="household", subject_id=desk.w.household.pk)
    # 8 VOO × 512.34 = 4098.72; 4 IWM × 250 = 1000.00; cash 1000 + 1024.68 - 1000 = 1024.68
    assert (snap.market_value, snap.cash_value) == (Decimal("6123.40"), Decimal("1024.68"))
    weights = {b["value"]: b["weight"] for b in bucket_dicts(snap.buckets)}
    assert weights == {"4098.72": "66.9354", "1000.00": "16.3308", "1024.68": "16.7338"}


def test_the_look_back_spans_the_households_accounts_and_only_them(desk):
    from django_scopes import scopes_disabled

    from advisory.models import Account

    with scopes_disabled():
        ira = Account.objects.create(
            firm=desk.firm, household=desk.w.household, name="Alpha IRA",
            registration="traditional_ira", tax_status="tax_deferred", custodian="schwab",
            account_number="ALPHA-1003", model=desk.w.model,
        )  # fmt: skip
    execute(desk, exported(desk), csv_file(f"{A},VOO,sell,2,300,{DAY},,"))
    data, _ = build_input(firm=desk.firm, household=desk.w.household, account=ira, options=OPTIONS)
    assert [(t.account_id, t.security_id, t.at_loss) for t in data.recent_trades] == [
        (desk.w.account.pk, desk.voo.pk, True)
    ]
    with firm_scope(desk.firm):  # another household of the firm: nothing
        assert _recent_trades(desk.w.other_household.pk, AS_OF - dt.timedelta(days=30)) == ()
