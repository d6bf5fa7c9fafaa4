"""Money and quantity types, and the one rounding rule for showing money.

Values stay unrounded Decimals through every calculation; they are quantised
only at a boundary (display, a stored snapshot, an order file).
"""

from decimal import ROUND_HALF_UP, Decimal, localcontext

# Field definitions used by every money-ish column.
MONEY = {"max_digits": 18, "decimal_places": 2}  # cash, cost basis, values
PRICE = {"max_digits": 18, "decimal_places": 6}  # closes as vendors send them
QUANTITY = {"max_digits": 20, "decimal_places": 9}  # shares, as custodians send them
PERCENT = {"max_digits": 7, "decimal_places": 4}  # weights and bands, in percent

CENT = Decimal("0.01")
ZERO = Decimal("0")


def to_cents(amount: Decimal) -> Decimal:
    """Round a money amount to cents, half away from zero (the convention on statements)."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be a Decimal, not {type(amount).__name__}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def market_value(quantity: Decimal, price: Decimal) -> Decimal:
    """Exact quantity × price; round with :func:`to_cents` only when showing it."""
    if not isinstance(quantity, Decimal) or not isinstance(price, Decimal):
        raise TypeError("quantity and price must be Decimals")
    # 20 + 18 digits: more than the default 28-digit context, so widen it.
    with localcontext(prec=60):
        return quantity * price
