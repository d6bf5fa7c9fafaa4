"""Properties of the drift engine, checked against plain Decimal arithmetic (no database)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext

from hypothesis import given, settings
from hypothesis import strategies as st

from advisory.money import to_cents
from portfolios.drift.engine import DriftResult, compute_drift
from tests.factories import AS_OF, CASH, make_inputs, row, target

CLASSES = [1, 2, 3, 4, CASH]
SECURITIES = [(100 * c + j, c) for c in CLASSES for j in range(1, 4)]  # (security_id, class)
HUNDRED, BASIS = Decimal(100), Decimal("0.0001")
EXAMPLES = settings(max_examples=200, deadline=None)


def holding(account_id, security_id, quantity, close):
    return (account_id, security_id, f"S{security_id}", security_id // 100, quantity, close, AS_OF)


@st.composite
def models(draw, security_target=True):
    """Model 1: class targets (and maybe one security target) with weights summing to 100."""
    classes = draw(st.lists(st.sampled_from(CLASSES), min_size=1, max_size=5, unique=True))
    named = draw(st.sampled_from(SECURITIES)) if security_target and draw(st.booleans()) else None
    n = len(classes) + bool(named)
    cuts = sorted(draw(st.lists(st.integers(0, 1_000_000), min_size=n - 1, max_size=n - 1)))
    units = [b - a for a, b in zip([0, *cuts], [*cuts, 1_000_000], strict=True)]
    abs_band = draw(st.sampled_from(["1", "5", "10"]))
    rel_band = draw(st.sampled_from(["10", "25", "50"]))
    targets = [
        target(1, 10 + i, str(Decimal(u) * BASIS), cls=c, abs_band=abs_band, rel_band=rel_band)
        for i, (c, u) in enumerate(zip(classes, units, strict=False))
    ]
    if named:
        targets.append(target(1, 99, str(Decimal(units[-1]) * BASIS), sec=named[0]))
    return targets


quantities = st.decimals(0, 10**6, places=9, allow_nan=False, allow_infinity=False)
closes = st.decimals("0.000001", 10**5, places=6, allow_nan=False, allow_infinity=False)
cash = st.decimals(0, 10**6, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def households(draw):
    """One household (model 1) of 1–3 accounts (model 1) with cash and up to 12 holdings."""
    n = draw(st.integers(1, 3))
    accounts = [(a, 1, 1, draw(cash)) for a in range(1, n + 1)]
    held = draw(
        st.lists(
            st.tuples(st.integers(1, n), st.sampled_from(SECURITIES), quantities, closes),
            max_size=12,
        )
    )
    positions = [holding(a, sec, q, c) for a, (sec, _), q, c in held]
    return positions, accounts, draw(models())


def exact_buckets(positions, accounts, targets):
    """Exact Decimal value per bucket label and the total, as the domain primer defines them."""
    by_class = {t[2]: f"class:{t[2]}" for t in targets if t[2] is not None}
    by_security = {t[3]: f"security:{t[3]}" for t in targets if t[3] is not None}
    values: dict[str, Decimal] = {}
    with localcontext() as ctx:
        ctx.prec = 80
        for _, security_id, _, class_id, quantity, close, _ in positions:
            label = by_security.get(security_id) or by_class.get(class_id) or "unassigned"
            values[label] = values.get(label, Decimal(0)) + quantity * close
        for *_, balance in accounts:
            label = by_class.get(CASH, "unassigned")
            values[label] = values.get(label, Decimal(0)) + balance
        return values, sum(values.values(), Decimal(0))


def ratio(value: Decimal, total: Decimal) -> str:
    with localcontext() as ctx:
        ctx.prec = 80
        return str((value / total * HUNDRED).quantize(BASIS, rounding=ROUND_HALF_UP))


def evaluate(positions, accounts, targets) -> DriftResult:
    return compute_drift(make_inputs(positions, accounts, [(1, 1)], targets))


@EXAMPLES
@given(households())
def test_weights_add_up_to_100_and_equal_exact_decimal_arithmetic(case):
    positions, accounts, targets = case
    result = evaluate(positions, accounts, targets)
    subjects = [(row(result.households, 1), positions, accounts)]
    for account in accounts:
        mine = [p for p in positions if p[0] == account[0]]
        subjects.append((row(result.accounts, account[0]), mine, [account]))
    for r, held, accts in subjects:
        values, total = exact_buckets(held, accts, targets)
        assert r["market_value"] == to_cents(total)
        weights = [Decimal(b["weight"]) for b in r["buckets"] if b["weight"] is not None]
        if total == 0:
            assert (r["status"], weights) == ("in_band", [])
            continue
        # Every bucket value and weight is the exact figure rounded half up, ...
        for b in r["buckets"]:
            value = values.get(b["bucket"], Decimal(0))
            assert b["value"] == str(to_cents(value))
            assert b["weight"] == ratio(value, total)
        # ... so the weights add up to 100 % within half a unit of rounding per bucket.
        assert abs(sum(weights) - HUNDRED) <= Decimal("0.00005") * len(weights)
        assert r["status"] in {"in_band", "breached"}


DIVISORS = [2**a * 5**b for a in range(7) for b in range(7)]  # divide 10⁶: ≤ 6 decimals


@st.composite
def on_target(draw):
    """Two accounts holding exactly their model: whole-percent class targets, account value
    100·m dollars, each class's value split over two securities priced value / d, with d a
    divisor of 10⁶ so that the price has at most 6 decimals and d shares hit it exactly."""
    classes = draw(st.lists(st.sampled_from(CLASSES), min_size=1, max_size=5, unique=True))
    n = len(classes)
    cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=n - 1, max_size=n - 1)))
    percents = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
    targets = [
        target(1, 10 + i, str(p), cls=c)
        for i, (c, p) in enumerate(zip(classes, percents, strict=True))
    ]
    positions, accounts = [], []
    for account_id in (1, 2):
        scale = draw(st.integers(1, 10**6))
        balance = 0
        for class_id, percent in zip(classes, percents, strict=True):
            value = percent * scale  # whole dollars
            if class_id == CASH:
                balance = draw(st.integers(0, value))
                value -= balance
            first = draw(st.integers(0, value))
            for security_id, part in (
                (class_id * 100 + 1, first),
                (class_id * 100 + 2, value - first),
            ):
                if part:
                    shares = draw(st.sampled_from(DIVISORS))
                    price = Decimal(part) / shares
                    positions.append(holding(account_id, security_id, Decimal(shares), price))
        accounts.append((account_id, 1, 1, Decimal(balance)))
    return positions, accounts, targets


@EXAMPLES
@given(on_target())
def test_a_portfolio_exactly_at_target_has_zero_drift_everywhere(case):
    positions, accounts, targets = case
    result = evaluate(positions, accounts, targets)
    for r in [row(result.accounts, 1), row(result.accounts, 2), row(result.households, 1)]:
        assert r["status"] == "in_band"
        assert [b["abs_drift"] for b in r["buckets"]] == ["0.0000"] * len(targets)
        assert {b["rel_drift"] for b in r["buckets"] if b["target"] != "0.0000"} <= {"0.0000"}
        assert [b["weight"] for b in r["buckets"]] == [b["target"] for b in r["buckets"]]
        assert r["worst_bucket"] is None


@EXAMPLES
@given(households(), st.integers(2, 1000))
def test_scaling_every_quantity_and_cash_by_k_keeps_weights(case, k):
    positions, accounts, targets = case
    scaled_positions = [(*p[:4], p[4] * k, *p[5:]) for p in positions]
    scaled_accounts = [(*a[:3], a[3] * k) for a in accounts]
    base = evaluate(positions, accounts, targets)
    scaled = evaluate(scaled_positions, scaled_accounts, targets)
    same = ["status", "cash_weight", "worst_bucket", "worst_abs_drift", "worst_rel_drift"]
    for frame in ("accounts", "households"):
        before, after = getattr(base, frame), getattr(scaled, frame)
        assert before[same].equals(after[same])
        for b1, b2 in zip(before["buckets"], after["buckets"], strict=True):
            keys = ("bucket", "weight", "abs_drift", "rel_drift", "breached")
            assert [{k_: x[k_] for k_ in keys} for x in b1] == [
                {k_: x[k_] for k_ in keys} for x in b2
            ]
    for account_id, *_ in accounts:
        mine = [p for p in positions if p[0] == account_id]
        _, total = exact_buckets(mine, [a for a in accounts if a[0] == account_id], targets)
        assert row(scaled.accounts, account_id)["market_value"] == to_cents(total * k)
