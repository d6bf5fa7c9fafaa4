"""Order files: an approved proposal's trades as a CSV a custodian can take in.

One generic layout and a small mapping per custodian (header names, side
codes, order-type words, how many decimals a quantity may have); see
``docs/order-files.md``. The custodian mappings are illustrative: check them
against the custodian's current bulk-trade specification before sending one.

Rules that hold for every layout:

* sells come before buys (cash from sells funds the buys), then proposal order;
* quantities are plain decimals: no exponent, no trailing zeros ("10", "2.5");
  a quantity with more decimals than the layout allows is refused, never rounded;
* every cell is neutralised against CSV/formula injection (CWE-1236): a cell
  starting with ``= + - @``, a tab or a carriage return gets a leading ``'``;
* the full account number is written (the one place it is not masked);
* the content has no timestamp, so exporting the same trades gives the same
  bytes; their SHA-256 is stored on the proposal and in the audit event.

Exporting moves the proposal from approved to exported (``proposal.exported``).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from advisory.models import User
from portfolios.models import Proposal, ProposalState, ProposedTrade
from portfolios.proposals.arithmetic import plain
from portfolios.proposals.core import ProposalError, transition

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class OrderFormat:
    """How one custodian wants the columns: (header, field) pairs, in order.

    Fields: account_number, symbol, side, quantity, order_type, time_in_force,
    proposal_id, trade_id, reference ("P<proposal id>-T<trade id>").
    """

    key: str
    label: str
    columns: tuple[tuple[str, str], ...]
    sides: Mapping[str, str] = field(default_factory=lambda: {"buy": "buy", "sell": "sell"})
    order_type: str = "market"
    time_in_force: str = "day"
    max_decimals: int = 9


FORMATS: dict[str, OrderFormat] = {
    f.key: f
    for f in (
        OrderFormat(
            "generic",
            "Generic CSV",
            (
                ("account_number", "account_number"),
                ("symbol", "symbol"),
                ("side", "side"),
                ("quantity", "quantity"),
                ("order_type", "order_type"),
                ("time_in_force", "time_in_force"),
                ("proposal_id", "proposal_id"),
                ("trade_id", "trade_id"),
            ),
        ),
        OrderFormat(
            "schwab",
            "Charles Schwab (bulk trade CSV)",
            (
                ("Account Number", "account_number"),
                ("Action", "side"),
                ("Quantity", "quantity"),
                ("Symbol", "symbol"),
                ("Order Type", "order_type"),
                ("Duration", "time_in_force"),
                ("Reference", "reference"),
            ),
            sides={"buy": "B", "sell": "S"},
            order_type="Market",
            time_in_force="Day",
            max_decimals=4,
        ),
        OrderFormat(
            "fidelity",
            "Fidelity (block trade CSV)",
            (
                ("Acct", "account_number"),
                ("Side", "side"),
                ("Symbol", "symbol"),
                ("Qty", "quantity"),
                ("Type", "order_type"),
                ("TIF", "time_in_force"),
                ("Client Ref", "reference"),
            ),
            sides={"buy": "B", "sell": "S"},
            order_type="M",
            time_in_force="D",
            max_decimals=3,
        ),
    )
}


class OrderFileError(ProposalError):
    """The trades cannot be written in the chosen layout; nothing was exported."""


def neutralise(cell: Any) -> str:
    """The cell as text, with a leading ``'`` if a spreadsheet could read it as a formula."""
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def format_quantity(quantity: Decimal, max_decimals: int) -> str:
    text = plain(quantity)
    decimals = len(text.partition(".")[2])
    if decimals > max_decimals:
        raise OrderFileError(
            f"Quantity {text} has {decimals} decimals; this layout allows {max_decimals}."
        )
    return text


def render(proposal: Proposal, trades: list[ProposedTrade], fmt: OrderFormat) -> bytes:
    """The CSV bytes (UTF-8, CRLF line ends, RFC 4180 quoting) for ``trades``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(header) for header, _ in fmt.columns])
    for trade in sorted(trades, key=lambda t: (t.side != "sell", t.position, t.pk)):
        values = {
            "account_number": trade.account.account_number,
            "symbol": trade.security.symbol,
            "side": fmt.sides[trade.side],
            "quantity": format_quantity(trade.quantity, fmt.max_decimals),
            "order_type": fmt.order_type,
            "time_in_force": fmt.time_in_force,
            "proposal_id": proposal.pk,
            "trade_id": trade.pk,
            "reference": f"P{proposal.pk}-T{trade.pk}",
        }
        writer.writerow([neutralise(values[name]) for _, name in fmt.columns])
    return out.getvalue().encode("utf-8")


def filename_for(proposal: Proposal, fmt: OrderFormat) -> str:
    return f"ballast-proposal-{proposal.pk}-{fmt.key}-{proposal.as_of:%Y%m%d}.csv"


def export_order_file(
    *,
    proposal: Proposal,
    custodian_format: str = "generic",
    actor: User,
    expected_version: int,
) -> tuple[str, bytes]:
    """Write the order file of an approved proposal and mark it exported.

    Returns ``(filename, content)``. The content's SHA-256 is stored on the
    proposal (``order_file_sha256``) and in the ``proposal.exported`` event.
    """
    fmt = FORMATS.get(custodian_format)
    if fmt is None:
        choices = ", ".join(sorted(FORMATS))
        raise OrderFileError(f"Unknown order file layout {custodian_format!r}; use {choices}.")
    out: dict[str, Any] = {}
    note = {"format": fmt.key}  # completed in prepare(), recorded in the audit event

    def prepare(current: Proposal, actor: User) -> dict[str, Any]:
        trades = list(current.trades.select_related("account", "security"))
        if not trades:
            raise OrderFileError("This proposal has no trades to export.")
        out["filename"] = filename_for(current, fmt)
        out["content"] = render(current, trades, fmt)
        note.update(filename=out["filename"], rows=len(trades))
        return {
            "order_file_sha256": hashlib.sha256(out["content"]).hexdigest(),
            "exported_at": timezone.now(),
        }

    transition(
        proposal=proposal,
        actor=actor,
        expected_version=expected_version,
        sources={ProposalState.APPROVED},
        target=ProposalState.EXPORTED,
        verb="exported",
        prepare=prepare,
        note=note,
    )
    return out["filename"], out["content"]
