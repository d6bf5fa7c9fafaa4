"""The rebalance engine on hand-built portfolios (no database: plain dataclasses in and out).

Classes: 1 US large cap, 2 US small cap, 3 international, 4 bonds, 5 cash. Model: large 45,
small 15, international 15, bonds 23, cash 2, all on the 5/25 rule, so the bands are
large [40, 50], small and international [11.25, 18.75], bonds [18, 28], cash [1.5, 2.5].
Most portfolios are worth exactly 100,000.00, so 1% = 1,000.00. Every expected number is
worked out by hand in the comment above its assertion.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from portfolios.rebalance.engine import propose
from portfolios.rebalance.types import (
    AccountInput,
    Lot,
    Options,
    Proposal,
    ProposalInput,
    RecentTrade,
    SecurityInfo,
    TargetInput,
)
from tests.factories import AS_OF, BONDS, CASH, INTL, LARGE, SMALL

D = Decimal
VOO, IWM, VB, EFA, BND, SPAXX = 10, 20, 21, 30, 40, 50
SECURITIES = {
    VOO: SecurityInfo(VOO, "VOO", LARGE, D("500.00"), AS_OF),
    IWM: SecurityInfo(IWM, "IWM", SMALL, D("251.82"), AS_OF),
    VB: SecurityInfo(VB, "VB", SMALL, D("240.00"), AS_OF),
    EFA: SecurityInfo(EFA, "EFA", INTL, D("80.00"), AS_OF),
    BND: SecurityInfo(BND, "BND", BONDS, D("72.00"), AS_OF),
    SPAXX: SecurityInfo(SPAXX, "SPAXX", CASH, D("1.00"), AS_OF),
}
OLD, RECENT = dt.date(2020, 1, 2), dt.date(2025, 9, 1)
MONEY_OPTIONS = {"raise_amount", "cash_reserve_amount", "cash_reserve_pct", "min_trade_value"}


def model(small_equivalents=frozenset({VB})) -> tuple[TargetInput, ...]:
    return (
        TargetInput(1, "US large cap", D(45), asset_class_id=LARGE, preferred_security_id=VOO),
        TargetInput(
            2,
            "US small cap",
            D(15),
            asset_class_id=SMALL,
            preferred_security_id=IWM,
            equivalent_ids=small_equivalents,
        ),
        TargetInput(3, "International", D(15), asset_class_id=INTL, preferred_security_id=EFA),
        TargetInput(
            4,
            "Bonds",
            D(23),
            asset_class_id=BONDS,
            preferred_security_id=BND,
            tax_deferred_first=True,
        ),
        TargetInput(5, "Cash", D(2), asset_class_id=CASH),
    )


_lot_ids = iter(range(1, 10**6))


def lot(security_id, quantity, basis=None, acquired=OLD) -> Lot:
    """A lot; ``basis`` defaults to the current price (no gain), "unknown" for None."""
    if basis is None:
        basis = D(quantity) * SECURITIES[security_id].price
    elif basis == "unknown":
        basis = None
    return Lot(next(_lot_ids), security_id, D(quantity), basis and D(basis), acquired)


def account(account_id=1, cash="0", lots=(), name=None, tax_status="taxable", **kw):
    return AccountInput(
        account_id, name or f"Account {account_id}", tax_status, D(cash), tuple(lots), **kw
    )


def run(*accounts, scope=None, targets=None, recent=(), **options) -> Proposal:
    data = ProposalInput(
        scope or ("household" if len(accounts) > 1 else "account"),
        tuple(accounts),
        SECURITIES,
        targets or model(),
        CASH,
        Options(as_of=AS_OF, **{k: D(v) if k in MONEY_OPTIONS else v for k, v in options.items()}),
        tuple(recent),
    )
    return propose(data)


def small_cap_short(cash="7926.48", bonds=319, **kw) -> AccountInput:
    """Worth 100,000.00: VOO 90 × 500 = 45,000.00 (45%); IWM 36 × 251.82 = 9,065.52 (9.07%,
    below the small-cap band 11.25); EFA 188 × 80 = 15,040.00 (15.04%); BND 319 × 72 =
    22,968.00 (22.97%); cash 7,926.48 (7.93%, above the cash band 2.5)."""
    return account(
        cash=cash,
        lots=[lot(VOO, 90), lot(IWM, 36), lot(EFA, 188), lot(BND, bonds)],
        name="Joint",
        **kw,
    )


def texts(p: Proposal) -> list[str]:
    """The notes' sentences (each note is structured: rule, subject, effect, drift left)."""
    return [n.text for n in p.notes]


def trade_list(p: Proposal) -> list[tuple]:
    return [(t.account_id, t.side, t.quantity, t.symbol) for t in p.trades]


def by_symbol(p: Proposal) -> dict[str, object]:
    return {t.symbol: t for t in p.trades}


def projected(p: Proposal, label: str):
    return next(c for c in p.projection if c.label == label)


def traded_value(p: Proposal) -> Decimal:
    return sum((t.value for t in p.trades), D(0))


# 1. A small-cap shortfall fixed with whole shares.
def test_small_cap_shortfall_is_bought_in_whole_shares():
    p = run(small_cap_short(), mode="to_target")
    # To target (small cap is breached): small cap 15,000 − 9,065.52 = 5,934.48 to buy
    # → 5,934.48 / 251.82 = 23.57 → 23 shares (whole shares round buys down) = 5,791.86.
    # International is 40.00 over (half an EFA), bonds 32.00 under (under one BND): no trade.
    assert trade_list(p) == [(1, "buy", D(23), "IWM")]
    t = p.trades[0]
    assert (t.price, t.value) == (D("251.82"), D("5791.86"))
    # Weight 9.06552% shows as 9.1; the band is min(5, 15 × 25%) = 3.75.
    assert t.reason == "US small cap 9.1% vs target 15% (band ±3.75): buy 23 IWM"
    # Cash 7,926.48 − 5,791.86 = 2,134.62: never negative, back inside the cash band.
    assert p.cash_after == {1: D("2134.62")}
    small = projected(p, "US small cap")
    # 9,065.52 + 5,791.86 = 14,857.38 of 100,000.00 → 14.8574%.
    assert (small.current_weight, small.projected_weight) == (D("9.0655"), D("14.8574"))
    assert small.breached_before and not small.breached_after
    assert (small.low, small.high) == (D("11.25"), D("18.75"))
    assert projected(p, "Cash").projected_weight == D("2.1346")
    assert p.total_value == D("100000.00")
    assert "International inside band: no trade." in texts(p)


def test_fractional_account_buys_to_a_ten_thousandth_of_a_share():
    p = run(small_cap_short(fractional=True), mode="to_target")
    # 5,934.48 / 251.82 = 23.56636…; rounded down to 0.0001 → 23.5663 = 5,934.4660… → 5,934.47.
    # Bonds: 32 / 72 = 0.4444 BND = 31.9968 → 32.00; international: sell 0.5 EFA = 40.00.
    assert by_symbol(p)["IWM"].quantity == D("23.5663")
    assert by_symbol(p)["IWM"].value == D("5934.47")
    assert by_symbol(p)["BND"].quantity == D("0.4444")
    assert by_symbol(p)["EFA"].quantity == D("0.5000")
    assert min(p.cash_after.values()) >= 0


def test_cash_class_fund_is_sold_to_pay_for_the_buys():
    # The same portfolio with its 7,926.48 of cash held as SPAXX (cash class, 1.00) instead.
    acct = small_cap_short(cash="0")
    acct = dataclasses.replace(acct, lots=(*acct.lots, lot(SPAXX, "7926.48")))
    p = run(acct, mode="to_target")
    # The buys need 5,926.48 net of the EFA sale that rounds to nothing: 5,927 SPAXX (rounded
    # up: enough cash, never less) = 5,927.00; then 23 IWM = 5,791.86 as before; cash 135.14.
    assert trade_list(p) == [(1, "sell", D(5927), "SPAXX"), (1, "buy", D(23), "IWM")]
    assert by_symbol(p)["SPAXX"].reason == (
        "Cash 7.9% vs target 2% (band ±0.50): sell 5927 SPAXX to free cash for the buys"
    )
    assert p.cash_after == {1: D("135.14")}
    # Selling a fund of the cash class does not move the cash weight: 2.1346% as in test 1.
    assert projected(p, "Cash").projected_weight == D("2.1346")


# 2. A taxable sale picks the loss lot over the short-term gain lot.
def large_cap_heavy(**kw) -> AccountInput:
    """Worth 100,000.00: VOO 110 × 500 = 55,000 (55%, above 50) in three lots — 50 shares
    bought in September 2025 at 400 (short-term gain), 20 in March 2025 at 550 (short-term
    loss), 40 in 2020 at 300 (long-term gain); IWM 60 = 15,109.20; EFA 188 = 15,040.00;
    BND 200 = 14,400.00 (14.4%, below 18); cash 450.80 (0.45%, below 1.5)."""
    lots = [
        lot(VOO, 50, "20000.00", RECENT),
        lot(VOO, 20, "11000.00", dt.date(2025, 3, 1)),
        lot(VOO, 40, "12000.00", OLD),
        lot(IWM, 60),
        lot(EFA, 188),
        lot(BND, 200),
    ]
    return account(cash="450.80", lots=lots, name="Joint", **kw)


def test_taxable_sale_takes_the_loss_lot_first():
    acct = large_cap_heavy()
    loss_lot = acct.lots[1]
    p = run(acct, mode="to_target")
    # Large cap 55,000 → 45,000: sell 10,000 = 20 VOO, exactly the loss lot (20 at 550).
    # Bonds 23,000 − 14,400 = 8,600 → 119 BND = 8,568.00 (cash 10,450.80 covers it).
    assert trade_list(p) == [(1, "sell", D(20), "VOO"), (1, "buy", D(119), "BND")]
    sale = by_symbol(p)["VOO"]
    # Loss: 20 × 500 − 11,000 = −1,000.00, short-term (held since March 2025).
    assert [(s.lot_id, s.quantity, s.cost_basis, s.gain, s.term) for s in sale.lots] == [
        (loss_lot.lot_id, D(20), D("11000.00"), D("-1000.00"), "short")
    ]
    assert (p.realized_short_term, p.realized_long_term) == (D("-1000.00"), D("0.00"))
    # Cash 450.80 + 10,000 − 8,568 = 1,882.80 (1.88%: inside the cash band again).
    assert p.cash_after == {1: D("1882.80")}


def test_long_term_lots_go_before_short_term_gains():
    # The same account without the loss lot: VOO 50 at 400 (short-term) and 60 at 300 (2020).
    acct = large_cap_heavy()
    acct = dataclasses.replace(
        acct, lots=(acct.lots[0], lot(VOO, 60, "18000.00", OLD), *acct.lots[3:])
    )
    p = run(acct, mode="to_target")
    # Sell 20 VOO from the 2020 lot although its gain per share is larger (200 vs 100):
    # 20 × (500 − 300) = 4,000.00 long-term, no short-term gain.
    sale = by_symbol(p)["VOO"]
    assert [(s.lot_id, s.quantity, s.gain, s.term) for s in sale.lots] == [
        (acct.lots[1].lot_id, D(20), D("4000.00"), "long")
    ]
    assert (p.realized_short_term, p.realized_long_term) == (D("0.00"), D("4000.00"))


# 3. A wash-sale buy avoided.
IWM_LOSS = RecentTrade(2, IWM, "sell", AS_OF - dt.timedelta(days=10), at_loss=True)


def test_wash_sale_buys_the_equivalent_instead():
    p = run(small_cap_short(), mode="to_target", recent=[IWM_LOSS])
    # IWM was sold at a loss 10 days ago in account 2 (another household account): VB, the
    # equivalent, fills the target: 5,934.48 / 240 = 24.73 → 24 VB = 5,760.00.
    assert trade_list(p) == [(1, "buy", D(24), "VB")]
    assert "instead of IWM, because it was sold at a loss on 2025-12-21 (wash sale)" in (
        p.trades[0].reason
    )
    assert (
        "Wash sale avoided: IWM was sold at a loss on 2025-12-21 in account 2; "
        "bought VB instead." in texts(p)
    )
    assert p.cash_after == {1: D("2166.48")}  # 7,926.48 − 5,760.00


def test_wash_sale_without_an_equivalent_buys_nothing_and_says_so():
    p = run(small_cap_short(), mode="to_target", recent=[IWM_LOSS], targets=model(frozenset()))
    assert [t for t in p.trades if t.symbol == "IWM"] == []
    assert (
        "Wash sale avoided: IWM was sold at a loss on 2025-12-21 in account 2; "
        "nothing bought instead." in texts(p)
    )
    # Small cap stays at 9,065.52 → 9.1%: 5.9 points under target, still outside its band.
    assert (
        "US small cap: IWM not bought: it was sold at a loss on 2025-12-21 (wash sale). "
        "Rule 4 (the wash-sale guard) wins over the target: 9.1% vs target 15% after the "
        "trades (-5.9 points of drift left, still outside its band)." in texts(p)
    )


def test_an_old_or_gainful_sale_does_not_block_the_buy():
    old = dataclasses.replace(IWM_LOSS, trade_date=AS_OF - dt.timedelta(days=31))
    gain = dataclasses.replace(IWM_LOSS, at_loss=False)
    for recent in ([old], [gain]):
        assert trade_list(run(small_cap_short(), mode="to_target", recent=recent)) == [
            (1, "buy", D(23), "IWM")
        ]


def test_loss_sale_after_a_recent_buy_is_flagged():
    bought = RecentTrade(1, VOO, "buy", AS_OF - dt.timedelta(days=5))
    p = run(large_cap_heavy(), mode="to_target", recent=[bought])
    assert by_symbol(p)["VOO"].lots[0].gain == D("-1000.00")  # sold anyway: a flag, no block
    assert (
        "Wash-sale flag: VOO is sold at a loss in Joint but was bought on 2025-12-26 in "
        "account 1; the loss may be disallowed." in texts(p)
    )


# 4. To the band edge trades less than to target.
def large_over(**kw) -> AccountInput:
    """Worth 100,000.00: VOO 104 = 52,000 (52%, above 50); IWM 52 = 13,094.64 (13.09%);
    EFA 188 = 15,040 (15.04%); BND 255 = 18,360 (18.36%); cash 1,505.36 (1.51%)."""
    lots = [lot(VOO, 104), lot(IWM, 52), lot(EFA, 188), lot(BND, 255)]
    return account(cash="1505.36", lots=lots, name="Joint", **kw)


def test_to_band_trades_less_than_to_target():
    band = run(large_over(), mode="to_band")
    target = run(large_over(), mode="to_target")
    # To band: large cap 52,000 → the edge 50,000: sell 2,000 = 4 VOO. Cash would be
    # 3,505.36 (above its 2,500 edge): invest 1,005.36 where furthest below target — bonds
    # (4,640 under) before small cap (1,905.36 under) — 1,005.36 / 72 = 13.96 → 13 BND leaves
    # cash at 2,569.36, still above 2,500, so one more: 14 BND = 1,008, cash 2,497.36.
    assert trade_list(band) == [(1, "sell", D(4), "VOO"), (1, "buy", D(14), "BND")]
    assert band.cash_after == {1: D("2497.36")}
    assert projected(band, "US large cap").projected_weight == D("50.0000")  # inside (≤ 50)
    # To target: sell 7,000 = 14 VOO; buy bonds 4,640 → 64 BND = 4,608 and small cap
    # 1,905.36 → 7 IWM = 1,762.74; cash 8,505.36 − 6,370.74 = 2,134.62.
    assert trade_list(target) == [
        (1, "sell", D(14), "VOO"),
        (1, "buy", D(64), "BND"),
        (1, "buy", D(7), "IWM"),
    ]
    assert target.cash_after == {1: D("2134.62")}
    # 3,008.00 traded against 13,370.74.
    assert traded_value(band) == D("3008.00") < traded_value(target) == D("13370.74")
    assert "US small cap inside band: no trade." in texts(band)
    assert "International inside band: no trade." in texts(band)


def test_nothing_breached_means_no_trade():
    acct = account(cash="2000.00", lots=[lot(VOO, 90), lot(IWM, 60), lot(EFA, 188), lot(BND, 313)])
    # 45,000 / 15,109.20 / 15,040 / 22,536 / 2,000 of 99,685.20: every class inside its band.
    for mode in ("to_target", "to_band"):
        p = run(acct, mode=mode)
        assert p.trades == ()
        assert not any(c.breached_before for c in p.projection)
    assert "Every class is inside its band: no trade." in texts(run(acct, mode="to_target"))
    assert "US small cap inside band: no trade." in texts(run(acct, mode="to_band"))


# 5. Asset location: bonds are bought in the IRA, not the taxable account.
def test_household_buys_bonds_in_the_ira_and_sells_there_first():
    taxable = account(
        1, "1000.00", [lot(VOO, 60, "6000.00"), lot(IWM, 60), lot(EFA, 188)], name="Joint"
    )
    ira = account(
        2,
        "3170.80",
        [lot(VOO, 44, "6000.00"), lot(BND, 190)],
        name="IRA",
        tax_status="tax_deferred",
    )
    p = run(taxable, ira, mode="to_target")
    # Household 100,000.00: large cap 104 VOO = 52,000 (52%), bonds 13,680 (13.68%).
    # Sell 7,000 = 14 VOO — in the IRA (tax-deferred sells first: no tax at all, though the
    # taxable lot has the same gain); bonds 23,000 − 13,680 = 9,320 → 129 BND = 9,288, in
    # the IRA (fixed income goes to tax-deferred accounts first) funded by that sale.
    assert trade_list(p) == [(2, "sell", D(14), "VOO"), (2, "buy", D(129), "BND")]
    assert by_symbol(p)["BND"].reason.endswith("buy 129 BND in IRA")
    # IRA cash 3,170.80 + 7,000 − 9,288 = 882.80; the taxable account is untouched.
    assert p.cash_after == {1: D("1000.00"), 2: D("882.80")}
    assert (p.realized_short_term, p.realized_long_term) == (D("0.00"), D("0.00"))


def test_household_places_equity_buys_in_the_taxable_account():
    joint = account(1, "3000.00", [lot(VOO, 45), lot(EFA, 94)], name="Joint")
    ira = account(
        2,
        "1000.00",
        [lot(VOO, 45), lot(IWM, 36), lot(EFA, 94), lot(BND, 319)],
        name="IRA",
        tax_status="tax_deferred",
    )
    p = run(joint, ira, mode="to_band")
    # Household 96,073.52: small cap 9,065.52 (9.44%) is the only class outside its band.
    # To its edge, 11.25% = 10,808.27: 1,742.75 → 7 IWM (rounded up to get inside) = 1,762.74,
    # in Joint (equities go to taxable or tax-exempt accounts before tax-deferred ones).
    assert trade_list(p) == [(1, "buy", D(7), "IWM")]
    assert p.trades[0].reason.endswith("buy 7 IWM in Joint to bring it back inside the band")
    assert p.cash_after == {1: D("1237.26"), 2: D("1000.00")}


# 6. Restricted securities are never traded.
def test_do_not_sell_holding_stays_and_the_note_says_why():
    p = run(large_cap_heavy(do_not_sell=frozenset({VOO})), mode="to_target")
    assert [t for t in p.trades if t.symbol == "VOO"] == []
    # Without the VOO sale there is no cash for bonds (cash 450.80 is below the 2,000 cash
    # target already), so nothing trades at all.
    assert p.trades == ()
    assert (
        "US large cap: VOO is on Joint's do-not-sell list. Rule 2 (restrictions) wins over the "
        "target: 55.0% vs target 45% after the trades (10.0 points of drift left, still "
        "outside its band)." in texts(p)
    )


def test_do_not_buy_preferred_buys_the_equivalent():
    p = run(small_cap_short(), mode="to_target", do_not_buy=frozenset({IWM}))
    # 5,934.48 / 240 = 24.73 → 24 VB.
    assert trade_list(p) == [(1, "buy", D(24), "VB")]
    assert p.trades[0].reason == (
        "US small cap 9.1% vs target 15% (band ±3.75): buy 24 VB instead of IWM, because it "
        "is on the do-not-buy list"
    )


def test_do_not_buy_without_equivalent_leaves_the_drift_and_says_so():
    acct = small_cap_short(do_not_buy=frozenset({IWM}))
    p = run(acct, mode="to_target", targets=model(frozenset()))
    assert p.trades == ()
    assert any(
        n.startswith("US small cap: IWM not bought: it is on Joint's do-not-buy list. Rule 2")
        for n in texts(p)
    )


# 7. Minimum trade value.
def test_trades_below_the_minimum_are_dropped_with_a_note():
    # BND 314 = 22,608 (22.61%), cash 8,286.48. Bonds 392 under target → 5 BND = 360.00.
    acct = small_cap_short(cash="8286.48", bonds=314)
    assert trade_list(run(acct, mode="to_target")) == [
        (1, "buy", D(5), "BND"),
        (1, "buy", D(23), "IWM"),
    ]
    p = run(acct, mode="to_target", min_trade_value="1000")
    # 360.00 < 1,000: dropped; IWM 23 = 5,791.86 stays; cash 8,286.48 − 5,791.86 = 2,494.62.
    assert trade_list(p) == [(1, "buy", D(23), "IWM")]
    assert p.cash_after == {1: D("2494.62")}
    assert any(
        n.startswith("Bonds: minimum trade: buy BND of 360.00 is below 1,000.00 and was dropped")
        for n in texts(p)
    )


# 8. Cash reserve kept, as an amount and as a percentage.
@pytest.mark.parametrize(
    ("reserve", "shares", "cash"),
    [
        # Keep 4,000: the cash after the planned trades would be 2,000, so the buys shrink by
        # 2,000 (bonds, the least underweight, to nothing): small cap 3,966.48 → 15 IWM =
        # 3,777.30; cash 7,926.48 − 3,777.30 = 4,149.18 ≥ 4,000.
        ({"cash_reserve_amount": "4000"}, 15, "4149.18"),
        # Keep 3.5% of 100,000 = 3,500: small cap 4,466.48 → 17 IWM = 4,280.94; cash 3,645.54.
        ({"cash_reserve_pct": "3.5"}, 17, "3645.54"),
        # The larger of the two wins.
        ({"cash_reserve_pct": "3.5", "cash_reserve_amount": "4000"}, 15, "4149.18"),
    ],
)
def test_cash_reserve_is_kept(reserve, shares, cash):
    p = run(small_cap_short(), mode="to_target", **reserve)
    assert trade_list(p) == [(1, "buy", D(shares), "IWM")]
    assert p.cash_after == {1: D(cash)}
    assert any(
        n.startswith("US small cap: the cash reserve leaves too little cash") for n in texts(p)
    )
    assert any("Rule 5 (the cash reserve) wins over the target" in n for n in texts(p))


def test_household_reserve_is_shared_by_account_value():
    # Two equal accounts, a 2,000 reserve: 1,000 each; neither account spends below it.
    a = small_cap_short()
    b = dataclasses.replace(small_cap_short(), account_id=2, name="Trust")
    p = run(a, b, mode="buy_only", cash_reserve_amount="2000")
    assert all(cash >= D(1000) for cash in p.cash_after.values())


# Modes.
def test_buy_only_never_sells():
    p = run(small_cap_short(), mode="buy_only")
    # Invests the cash above the cash target, 7,926.48 − 2,000 = 5,926.48, where furthest
    # below target: small cap (5,934.48 under) gets 5,914.48 and bonds (32 under) 12.00 →
    # 23 IWM; 12.00 buys no BND. EFA, 40 over target, is not sold.
    assert trade_list(p) == [(1, "buy", D(23), "IWM")]
    assert p.trades[0].reason.endswith("buy 23 IWM with the cash to invest")
    p = run(large_over(), mode="buy_only")
    # Cash 1,505.36 is below its 2,000 target: nothing to invest, and VOO is never sold.
    assert p.trades == ()
    assert "US large cap above its band: buy-only mode never sells." in texts(p)


def test_raise_cash_sells_the_fewest_tax_cheapest_lots():
    acct = large_cap_heavy()
    p = run(acct, mode="raise_cash", raise_amount="5000")
    # After the 5,000 withdrawal the household is worth 95,000; cash should end at 2% of it,
    # 1,900: sales of 1,900 + 5,000 − 450.80 = 6,449.20. Large cap is 55,000 − 42,750 =
    # 12,250 over its new target, enough alone: 6,449.20 / 500 = 12.9 → 13 VOO (rounded up
    # to raise at least the amount) = 6,500, all from the loss lot (20 at 550).
    assert trade_list(p) == [(1, "sell", D(13), "VOO")]
    sale = p.trades[0]
    # Loss 13 × 500 − 11,000 × 13 / 20 = 6,500 − 7,150 = −650.00.
    assert [(s.lot_id, s.gain) for s in sale.lots] == [(acct.lots[1].lot_id, D("-650.00"))]
    assert p.realized_short_term == D("-650.00")
    # Cash 450.80 + 6,500 = 6,950.80 ≥ 5,000; after the withdrawal 1,950.80 of 95,000.
    assert p.cash_after == {1: D("6950.80")}
    assert projected(p, "Cash").projected_weight == D("2.0535")
    assert sale.reason.endswith("sell 13 VOO to raise cash for the withdrawal")


def test_raise_cash_uses_cash_on_hand_first():
    p = run(small_cap_short(), mode="raise_cash", raise_amount="3000")
    # Cash 7,926.48 covers 3,000 and leaves 4,926.48 ≥ 2% of 97,000 = 1,940: no sale.
    assert p.trades == ()


# Held-away accounts, unknown bases, equivalents, determinism.
def test_held_away_account_counts_but_is_never_traded():
    mine = account(1, "11490.80", [lot(IWM, 60), lot(EFA, 188), lot(BND, 255)], name="Joint")
    away = account(2, "0", [lot(VOO, 130)], name="401k at work", held_away=True)
    p = run(mine, away, mode="to_target")
    # Household 125,000: large cap 65,000 = 52% — all of it held away, so it cannot be sold.
    assert p.total_value == D("125000.00")
    assert projected(p, "US large cap").current_weight == D("52.0000")
    assert all(t.account_id == 1 for t in p.trades)
    assert any(n.startswith("US large cap: holdings in held-away 401k at work") for n in texts(p))
    assert (
        "Held-away account 401k at work counts toward the weights (52.0% of the value) and is "
        "never traded (rule 3)." in texts(p)
    )
    # The other classes go to target with Joint's cash, keeping cash at its 2,500 target:
    # 8,990.80 to spend on 17,740.80 of shortfalls, shared so each keeps the same shortfall
    # (2,916.67): bonds 7,473.33 → 103 BND, international 793.33 → 9 EFA, small 724.13 → 2 IWM.
    assert trade_list(p) == [
        (1, "buy", D(103), "BND"),
        (1, "buy", D(9), "EFA"),
        (1, "buy", D(2), "IWM"),
    ]
    # 11,490.80 − 7,416 − 720 − 503.64 = 2,851.16.
    assert p.cash_after == {1: D("2851.16"), 2: D("0")}


def test_unknown_cost_basis_is_flagged_and_left_out_of_gains():
    acct = large_cap_heavy()
    unknown = lot(VOO, 20, "unknown", dt.date(2019, 5, 1))
    # The loss lot swapped for an unknown-basis lot of the same size: it is never assumed to
    # be a loss, so it goes last and the 20 shares come from the 2020 lot (40 at 300).
    mixed = dataclasses.replace(acct, lots=(unknown, acct.lots[0], *acct.lots[2:]))
    sale = by_symbol(run(mixed, mode="to_target"))["VOO"]
    assert [(s.lot_id, s.term) for s in sale.lots] == [(acct.lots[2].lot_id, "long")]
    # All 110 VOO in one unknown-basis lot: the sale happens, its gain is not guessed.
    only = dataclasses.replace(acct, lots=(lot(VOO, 110, "unknown"), *acct.lots[3:]))
    p = run(only, mode="to_target")
    sale = by_symbol(p)["VOO"]
    assert [(s.quantity, s.cost_basis, s.gain, s.term) for s in sale.lots] == [
        (D(20), None, None, "unknown")
    ]
    assert (p.realized_short_term, p.realized_long_term) == (D("0.00"), D("0.00"))
    assert (
        "1 lot with unknown cost basis was sold (VOO in Joint); gains estimated without them."
        in texts(p)
    )


def test_equivalents_are_not_sold_just_to_swap():
    # Small cap held as VB only, 13,200 (13.2%: inside its band, under target); large cap over.
    acct = account(
        cash="1424.00",
        lots=[lot(VOO, 104), lot(VB, 55), lot(EFA, 188), lot(BND, 254)],
        name="Joint",
    )
    p = run(acct, mode="to_target")
    assert not [t for t in p.trades if t.symbol == "VB" and t.side == "sell"]
    assert [t.side for t in p.trades if t.symbol in ("IWM", "VB")] == ["buy"]
    assert by_symbol(p)["IWM"].side == "buy"  # the preferred security fills the shortfall


def test_security_target_counts_its_equivalents():
    # US small cap as a security target, IWM, with VB as its equivalent. Held: VB 37 = 8,880
    # instead of the IWM; cash 8,112.00 so the portfolio is still worth 100,000.00.
    targets = (
        *model()[:1],
        TargetInput(2, "US small cap", D(15), security_id=IWM, equivalent_ids=frozenset({VB})),
        *model()[2:],
    )
    acct = account(cash="8112.00", lots=[lot(VOO, 90), lot(VB, 37), lot(EFA, 188), lot(BND, 319)])
    p = run(acct, mode="to_target", targets=targets)
    # VB counts toward the IWM target: 8.88%. 15,000 − 8,880 = 6,120 → 24 IWM = 6,043.68.
    assert projected(p, "US small cap").current_weight == D("8.8800")
    assert trade_list(p) == [(1, "buy", D(24), "IWM")]
    assert projected(p, "US small cap").projected_weight == D("14.9237")


def test_an_overweight_class_sells_its_equivalent_and_never_also_buys():
    # Small cap 25% held as VB (above 18.75): VB is sold (the class must shrink), no IWM bought.
    acct = account(
        cash="2000.00",
        lots=[lot(VOO, 76), lot(VB, 104, "20000.00"), lot(EFA, 160), lot(BND, 252)],
        name="Joint",
    )
    p = run(acct, mode="to_target")
    sides = {}
    for t in p.trades:
        sides.setdefault(SECURITIES[t.security_id].asset_class_id, set()).add(t.side)
    assert sides[SMALL] == {"sell"}
    assert all(len(s) == 1 for s in sides.values())


def test_same_input_same_proposal_in_any_order():
    a, b = large_cap_heavy(), dataclasses.replace(small_cap_short(), account_id=2, name="IRA")
    first = run(a, b, mode="to_target", recent=[IWM_LOSS])
    again = run(a, b, mode="to_target", recent=[IWM_LOSS])
    assert first == again
    shuffled = run(
        dataclasses.replace(b, lots=tuple(reversed(b.lots))),
        dataclasses.replace(a, lots=tuple(reversed(a.lots))),
        mode="to_target",
        recent=[IWM_LOSS],
    )
    assert shuffled == first


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="exactly one account"):
        run(
            small_cap_short(), dataclasses.replace(small_cap_short(), account_id=2), scope="account"
        )
    bad = dataclasses.replace(model()[0], security_id=VOO)
    with pytest.raises(ValueError, match="asset class or a security"):
        run(small_cap_short(), targets=(bad,))
