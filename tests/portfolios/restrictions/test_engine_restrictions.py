"""Restrictions in the rebalance engine, in every mode, and rule 7's choice among sales.

The portfolios are those of tests/portfolios/rebalance/test_engine.py (worth 100,000.00, so
1% = 1,000.00; model large 45, small 15, international 15, bonds 23, cash 2 on the 5/25
rule: bands large [40, 50], small and international [11.25, 18.75], bonds [18, 28], cash
[1.5, 2.5]). A restriction blocks through the lists (``Options`` for firm-wide and household
ones, ``AccountInput`` for account ones) and is named from its ``RestrictionInfo``.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from portfolios.rebalance.engine import propose
from portfolios.rebalance.types import (
    AccountInput,
    Lot,
    Note,
    Options,
    Proposal,
    ProposalInput,
    RestrictionInfo,
    SecurityInfo,
    TargetInput,
)
from tests.factories import AS_OF, CASH, INTL
from tests.portfolios.rebalance.test_engine import (
    BND,
    EFA,
    IWM,
    MONEY_OPTIONS,
    OLD,
    SECURITIES,
    VOO,
    account,
    large_cap_heavy,
    large_over,
    lot,
    model,
    small_cap_short,
    trade_list,
)

D = Decimal
REASON = "Pending merger review"
# How each scope's list is named in a note.
LISTED = {
    "firm": "the do-not-{side} list (firm-wide: Pending merger review)",
    "household": "the do-not-{side} list (Okafor family: Pending merger review)",
    "account": "Joint's do-not-{side} list (Pending merger review)",
}


def restricted(scope: str, side: str, security_id: int, acct: AccountInput, **options):
    """The input's account and options with one restriction at ``scope`` level."""
    ids = frozenset({security_id})
    if scope == "account":
        acct = dataclasses.replace(acct, **{f"do_not_{side}": ids})
        info = RestrictionInfo(security_id, side, "account", acct.name, REASON, acct.account_id)
    else:
        options[f"do_not_{side}"] = ids
        label = "firm-wide" if scope == "firm" else "Okafor family"
        info = RestrictionInfo(security_id, side, scope, label, REASON)
    return acct, info, options


def run(accounts, infos=(), targets=None, scope=None, **options) -> Proposal:
    accounts = tuple(accounts)
    data = ProposalInput(
        scope or ("household" if len(accounts) > 1 else "account"),
        accounts,
        SECURITIES,
        targets or model(),
        CASH,
        Options(as_of=AS_OF, **{k: D(v) if k in MONEY_OPTIONS else v for k, v in options.items()}),
        restrictions=tuple(infos),
    )
    return propose(data)


def note_about(p: Proposal, subject: str, rule: int) -> Note:
    [note] = [n for n in p.notes if n.subject == subject and n.rule == rule]
    return note


def texts(p: Proposal) -> list[str]:
    return [n.text for n in p.notes]


SCOPES = ("firm", "household", "account")


# --- Do not sell -------------------------------------------------------------------------------
@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize(
    ("mode", "portfolio", "after", "drift"),
    [
        # large_cap_heavy: VOO 55,000 of 100,000 (55%, above 50) would be sold to 45%; it
        # stays: 55.0% after, +10.0 points.
        ("to_target", large_cap_heavy, "55.0", "10.0"),
        # large_over: VOO 52,000 (52%) would be sold to the 50% edge; it stays: +7.0.
        ("to_band", large_over, "52.0", "7.0"),
    ],
)
def test_do_not_sell_is_named_with_rule_and_drift(scope, mode, portfolio, after, drift):
    free = run([portfolio()], mode=mode)
    assert any(t.symbol == "VOO" and t.side == "sell" for t in free.trades)  # control
    acct, info, options = restricted(scope, "sell", VOO, portfolio())
    p = run([acct], [info], mode=mode, **options)
    assert not any(t.symbol == "VOO" for t in p.trades)
    note = note_about(p, "US large cap", 2)
    assert note.text == (
        f"US large cap: VOO is on {LISTED[scope].format(side='sell')}. Rule 2 (restrictions) "
        f"wins over the target: {after}% vs target 45% after the trades ({drift} points of "
        "drift left, still outside its band)."
    )
    assert (note.drift_left, note.effect) == (f"+{drift}", "no_trade")


@pytest.mark.parametrize("scope", SCOPES)
def test_raise_cash_names_the_restriction_that_moved_the_sale(scope):
    # Unrestricted: 13 VOO (test_engine: the fewest, tax-cheapest lots).
    assert trade_list(run([large_cap_heavy()], mode="raise_cash", raise_amount="5000")) == [
        (1, "sell", D(13), "VOO")
    ]
    acct, info, options = restricted(scope, "sell", VOO, large_cap_heavy())
    p = run([acct], [info], mode="raise_cash", raise_amount="5000", **options)
    # VOO cannot go: the 6,449.20 needed comes from the next most overweight classes after
    # the withdrawal, small cap and international (below target: bonds are under it).
    assert {t.symbol for t in p.trades} == {"IWM", "EFA"}
    assert all(t.side == "sell" for t in p.trades)
    note = note_about(p, "US large cap", 2)
    # After the withdrawal the household is worth 95,000: VOO 55,000 is 57.9%, +12.9 points.
    assert note.text == (
        f"US large cap: VOO is on {LISTED[scope].format(side='sell')}; the cash is raised "
        "from US small cap and International instead. Rule 2 (restrictions) wins over the "
        "target: 57.9% vs target 45% after the trades (12.9 points of drift left, still "
        "outside its band)."
    )
    assert (note.drift_left, note.effect) == ("+12.9", "sale_moved")
    # Not presented as a free choice.
    assert not any("covered by other sales" in t for t in texts(p))


def household_with_ira(restrict: bool) -> tuple[AccountInput, AccountInput]:
    """Joint (taxable, large_cap_heavy) and an IRA holding 40 VOO (20,000) and no cash."""
    ira = account(2, "0", [lot(VOO, 40)], name="IRA", tax_status="tax_deferred")
    if restrict:
        ira = dataclasses.replace(ira, do_not_sell=frozenset({VOO}))
    return large_cap_heavy(), ira


IRA_INFO = RestrictionInfo(VOO, "sell", "account", "IRA", "Employer stock plan", 2)


@pytest.mark.parametrize(
    ("mode", "options", "after", "drift", "outside"),
    [
        # Household 120,000; large cap 75,000 to 54,000 (45%): 42 VOO sold in Joint instead.
        ("to_target", {}, "45.0", "0.0", ""),
        # Withdrawal 5,000 of 120,000: 14 VOO, from Joint instead; large cap 68,000 of
        # 115,000 = 59.1% after.
        ("raise_cash", {"raise_amount": "5000"}, "59.1", "14.1", ", still outside its band"),
    ],
)
def test_an_account_restriction_that_changes_the_holding_sold_is_named(
    mode, options, after, drift, outside
):
    # Control: a household sells in tax-deferred accounts first, so the IRA's VOO goes.
    free = run(household_with_ira(False), scope="household", mode=mode, **options)
    assert any(t.account_id == 2 and t.symbol == "VOO" for t in free.trades)
    p = run(household_with_ira(True), [IRA_INFO], scope="household", mode=mode, **options)
    assert [t.account_id for t in p.trades if t.symbol == "VOO"] == [1]
    note = note_about(p, "US large cap", 2)
    assert note.text == (
        "US large cap: VOO is on IRA's do-not-sell list (Employer stock plan); sold VOO in "
        f"Joint instead. Rule 2 (restrictions) wins over the target: {after}% vs target 45% "
        f"after the trades ({drift} points of drift left{outside})."
    )
    assert note.effect == "sale_moved"
    assert note.drift_left == (drift if drift == "0.0" else f"+{drift}")


@pytest.mark.parametrize("scope", SCOPES)
def test_buy_only_never_sells_so_a_do_not_sell_shapes_nothing(scope):
    acct, info, options = restricted(scope, "sell", VOO, large_over())
    p = run([acct], [info], mode="buy_only", **options)
    free = run([large_over()], mode="buy_only")
    assert (trade_list(p), p.notes) == (trade_list(free), free.notes)  # notes included
    assert all(n.rule != 2 for n in p.notes)


# --- Do not buy --------------------------------------------------------------------------------
@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("mode", ["to_target", "to_band", "buy_only"])
def test_do_not_buy_without_equivalent_is_named_with_rule_and_drift(scope, mode):
    # small_cap_short: IWM 9,065.52 (9.1%, below 11.25) and 7,926.48 cash; every mode buys
    # IWM (control). Restricted, with no equivalent, nothing is bought: 9.1% after, -5.9.
    targets = model(frozenset())
    assert [t.symbol for t in run([small_cap_short()], targets=targets, mode=mode).trades] == [
        "IWM"
    ]
    acct, info, options = restricted(scope, "buy", IWM, small_cap_short())
    p = run([acct], [info], targets=targets, mode=mode, **options)
    assert p.trades == ()
    note = note_about(p, "US small cap", 2)
    assert note.text == (
        f"US small cap: IWM not bought: it is on {LISTED[scope].format(side='buy')}. Rule 2 "
        "(restrictions) wins over the target: 9.1% vs target 15% after the trades (-5.9 "
        "points of drift left, still outside its band)."
    )
    assert (note.drift_left, note.effect) == ("-5.9", "no_trade")


@pytest.mark.parametrize("scope", SCOPES)
def test_do_not_buy_with_an_equivalent_names_the_substitute(scope):
    acct, info, options = restricted(scope, "buy", IWM, small_cap_short())
    p = run([acct], [info], mode="to_target", **options)
    # 5,934.48 / 240 = 24.73 → 24 VB = 5,760: small cap 14,825.52 = 14.8%, -0.2 points.
    assert trade_list(p) == [(1, "buy", D(24), "VB")]
    note = note_about(p, "US small cap", 2)
    assert note.text == (
        f"US small cap: IWM not bought: it is on {LISTED[scope].format(side='buy')}; bought "
        "VB instead. Rule 2 (restrictions) wins over the target: 14.8% vs target 15% after "
        "the trades (-0.2 points of drift left)."
    )
    assert (note.drift_left, note.effect) == ("-0.2", "substituted")


@pytest.mark.parametrize("scope", SCOPES)
def test_raise_cash_never_buys_so_a_do_not_buy_shapes_nothing(scope):
    acct, info, options = restricted(scope, "buy", VOO, large_cap_heavy())
    p = run([acct], [info], mode="raise_cash", raise_amount="5000", **options)
    free = run([large_cap_heavy()], mode="raise_cash", raise_amount="5000")
    assert (trade_list(p), p.notes) == (trade_list(free), free.notes)
    assert all(n.rule != 2 for n in p.notes)


# --- Rule 7: a choice of sales keeps in-band buckets inside ------------------------------------
def rule7_account() -> AccountInput:
    """Worth 100,000.00, every class but small cap inside its band: VOO 98 × 500 = 49,000
    (49%); BND 347 × 72 = 24,984 (24.98%); EFA 188 × 80 = 15,040; IWM 36 × 251.82 = 9,065.52
    (below its band); cash 1,910.48 (1.91%, inside [1.5, 2.5])."""
    lots = [lot(VOO, 98), lot(BND, 347), lot(EFA, 188), lot(IWM, 36)]
    return account(cash="1910.48", lots=lots, name="Joint")


def test_rule_7_control_the_most_overweight_class_alone_when_it_keeps_cash_in_band():
    # Withdraw 4,500: after it, 95,500; cash should end at 2% = 1,910: sell 1,910 −
    # (1,910.48 − 4,500) = 4,499.52. Large cap is the most overweight after the withdrawal
    # (49,000 − 42,975 = 6,025): 4,499.52 / 500 = 9.0 → 9 VOO = 4,500, cash 1,910.48 (2.0%).
    p = run([rule7_account()], mode="raise_cash", raise_amount="4500")
    assert trade_list(p) == [(1, "sell", D(9), "VOO")]
    assert all(n.rule != 7 for n in p.notes)


def test_rule_7_moves_part_of_a_sale_that_would_push_cash_out_of_its_band():
    # Withdraw 4,510: after it 95,490, cash aim 1,909.80: sell 4,509.32. Large cap alone:
    # 9.02 → 10 VOO (rounded up) = 5,000 → cash 1,910.48 + 5,000 − 4,510 = 2,400.48 =
    # 2.514% of 95,490: above the cash band (2.5), though cash starts inside it. Bonds can
    # take the rest instead: 9 VOO = 4,500 and 9.32 → 1 BND = 72 → cash 1,972.48 (2.07%).
    p = run([rule7_account()], mode="raise_cash", raise_amount="4510")
    assert trade_list(p) == [(1, "sell", D(1), "BND"), (1, "sell", D(9), "VOO")]
    assert p.cash_after == {1: D("6482.48")}  # before the 4,510 is paid out
    assert all(not c.breached_after for c in p.projection if c.label != "US small cap")
    cash = next(c for c in p.projection if c.label == "Cash")
    assert cash.projected_weight == D("2.0656")
    note = note_about(p, "US large cap", 7)
    # Large cap 44,500 of 95,490 = 46.6%, +1.6 points.
    assert note.text == (
        "US large cap: selling 10 VOO (shares rounded up) would take Cash outside its band; "
        "one less is sold and Bonds covers the rest. Rule 7 (bands and targets) wins over "
        "the target: 46.6% vs target 45% after the trades (1.6 points of drift left)."
    )
    assert (note.effect, note.drift_left) == ("sale_moved", "+1.6")


GLD = 60
GOLD_SECURITIES = {**SECURITIES, GLD: SecurityInfo(GLD, "GLD", INTL, D("1090.00"), AS_OF)}


def gold_model() -> tuple[TargetInput, ...]:
    """The model with bonds at 18 ([13.5, 22.5]) and a security target: GLD 5% on a 10%
    relative band, [4.5, 5.5]."""
    targets = [t if t.target_id != 4 else dataclasses.replace(t, weight=D(18)) for t in model()]
    return (*targets, TargetInput(6, "Gold", D(5), security_id=GLD, rel_band=D(10)))


def test_rule_7_keeps_another_in_band_bucket_inside_its_band():
    # Worth 100,000.00: VOO 90 = 45,000; IWM 59 = 14,857.38; EFA 187 = 14,960; BND 254 =
    # 18,288 (18.29%); GLD 5 × 1,090 = 5,450 (5.45%, inside [4.5, 5.5]); cash 1,444.62.
    gld = Lot(999_001, GLD, D(5), D("5450.00"), OLD)
    acct = account(
        cash="1444.62", lots=[lot(VOO, 90), lot(IWM, 59), lot(EFA, 187), lot(BND, 254), gld]
    )
    data = ProposalInput(
        "account",
        (acct,),
        GOLD_SECURITIES,
        gold_model(),
        CASH,
        Options(as_of=AS_OF, mode="raise_cash", raise_amount=D(100)),
    )
    p = propose(data)
    # Withdraw 100: after it 99,900, cash aim 1,998: sell 1,998 − 1,344.62 = 653.38. Most
    # overweight after the withdrawal: gold (5,450 − 4,995 = 455), then bonds (18,288 −
    # 17,982 = 306); together they cover it, water-filled: gold 401.19, bonds 252.19. But
    # one GLD is 1,090: gold would end at 4,360 = 4.36%, below its band (and cash at
    # 2,722.62 = 2.73%, past the other edge of its band). GLD is not sold; bonds sell the
    # whole 653.38: 9.07 → 10 BND = 720; cash 1,444.62 + 720 − 100 = 2,064.62 = 2.07%.
    assert trade_list(p) == [(1, "sell", D(10), "BND")]
    gold = next(c for c in p.projection if c.label == "Gold")
    assert (gold.projected_weight, gold.breached_after) == (D("5.4555"), False)
    assert not next(c for c in p.projection if c.label == "Cash").breached_after
    note = note_about(p, "Gold", 7)
    assert note.text == (
        "Gold: selling 1 GLD (shares rounded up) would take Gold and Cash outside their "
        "bands; GLD is not sold and Bonds covers the rest. Rule 7 (bands and targets) wins "
        "over the target: 5.5% vs target 5% after the trades (0.5 points of drift left)."
    )
    assert (note.effect, note.drift_left) == ("sale_moved", "+0.5")


def test_rule_7_keeps_the_first_choice_when_no_choice_keeps_the_bands():
    # The same, with bonds and international on the do-not-sell list: only VOO can be sold,
    # so 10 VOO stay and the projection shows cash above its band.
    p = run(
        [rule7_account()],
        mode="raise_cash",
        raise_amount="4510",
        do_not_sell=frozenset({BND, EFA, IWM}),
    )
    assert trade_list(p) == [(1, "sell", D(10), "VOO")]
    assert next(c for c in p.projection if c.label == "Cash").breached_after
    assert all(n.rule != 7 for n in p.notes)


def test_notes_are_structured_and_serialise():
    acct, info, options = restricted("firm", "sell", VOO, large_cap_heavy())
    note = note_about(run([acct], [info], mode="to_target", **options), "US large cap", 2)
    assert note.as_json() == {
        "rule": 2,
        "subject": "US large cap",
        "effect": "no_trade",
        "drift_left": "+10.0",
        "text": note.text,
    }
