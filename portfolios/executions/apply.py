"""Applying an execution: lots, cash, fills and the proposal's state, all or nothing.

One transaction: the proposal row is locked (``select_for_update``), then its
accounts and their lots; the fills are matched again against what is locked
(so the oversell check is the real one), then

* a buy creates a lot: acquired on the trade date, cost = the net amount paid
  (quantity × price when the file gives no net amount);
* a sell relieves the lots the proposal chose (``ProposedTrade.lots``) in that
  order, and any remainder in the engine's tax order
  (:func:`portfolios.proposals.arithmetic.allocate_lots`); each relieved lot is
  written to ``Fill.lots`` with its cost basis, gain (from the net proceeds) and
  acquisition date: the wash-sale guard reads those gains;
* cash moves by each fill's net amount;
* the proposal goes to executed through :func:`portfolios.proposals.workflow.mark_executed`
  (version checked, ``proposal.executed`` audited) and one ``execution.recorded``
  event carries the counts and the file's SHA-256.

Any refusal raises before the transaction commits, so nothing is half-written.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from decimal import Decimal
from typing import Any, cast

from django.db import IntegrityError

from advisory import audit_actions as actions
from advisory.audit import record
from advisory.models import Account, User
from advisory.money import ZERO, to_cents
from portfolios.executions.match import MatchedFill, Matching, apply_order, match
from portfolios.executions.parse import FillRow
from portfolios.imports.csv_rows import RowError
from portfolios.models import Execution, ExecutionSource, Fill, Proposal, ProposalState, TaxLot
from portfolios.proposals import workflow
from portfolios.proposals.arithmetic import allocate_lots, plain
from portfolios.proposals.core import in_firm, writer
from portfolios.rebalance.types import AccountInput, Lot, Options, ProposalInput, TaxStatus

Holding = tuple[int, int]


class ExecutionRefused(workflow.ProposalError):
    """The fills cannot be applied; ``errors`` says which line and why. Nothing was written."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        shown = "; ".join(str(e) for e in errors[:3])
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        super().__init__(f"The execution was refused: {shown}{more}.")


def preview(proposal: Proposal, rows: list[FillRow]) -> Matching:
    """The matching as it would be applied now (nothing locked, nothing written)."""
    with in_firm(proposal.firm_id):
        return match(Proposal.objects.get(pk=proposal.pk), rows)


def record_execution(
    *,
    proposal: Proposal,
    actor: User | None,
    expected_version: int,
    rows: list[FillRow],
    source: str = ExecutionSource.FILE,
    file_name: str = "",
    content: bytes = b"",
) -> Execution:
    """Apply ``rows`` to an exported proposal and mark it executed; one transaction.

    ``actor``: an advisor or admin who may see the household; None for a command acting
    for the firm (the audit events then name it, see ``advisory.request_context.acting_as``).
    """
    sha256 = hashlib.sha256(content).hexdigest() if content else ""
    try:
        with in_firm(proposal.firm_id):
            current = Proposal.objects.select_for_update().get(pk=proposal.pk)
            who: dict[str, Any] = {}
            if actor is not None:
                membership = writer(actor, current.household_id)
                who = {"actor": actor, "actor_label": actor.email, "role": membership.role}
            if current.version != expected_version:
                raise workflow.ProposalConflict()
            if current.state != ProposalState.EXPORTED:
                state = current.get_state_display().lower()
                raise workflow.ProposalStateError(
                    f"Only an exported proposal can be marked executed; this one is {state}."
                )
            accounts, lots = _lock(current)
            held: dict[Holding, Decimal] = defaultdict(lambda: ZERO)
            for lot in lots:
                held[(lot.account_id, lot.security_id)] += lot.quantity
            matching = match(current, rows, held=held, accounts=accounts)
            if not matching.fills and matching.ok:
                matching.errors.append(RowError(None, None, "there are no fills to record"))
            if not matching.ok:
                raise ExecutionRefused(matching.errors)
            execution = Execution.objects.create(
                firm_id=current.firm_id, proposal=current, source=source,
                file_name=file_name[:255], file_sha256=sha256, created_by=actor,
                summary=matching.summary(),
            )  # fmt: skip
            fills = _apply(execution, matching, accounts, lots)
            counts = matching.counts()
            note = {"execution": execution.pk, **counts, "file_sha256": sha256}
            workflow.mark_executed(
                proposal=current, actor=actor, expected_version=expected_version, note=note
            )
            record(
                firm=current.firm_id,
                action=actions.EXECUTION_RECORDED.code,
                obj=execution,
                changes={
                    "proposal": current.pk, "source": source, "file_name": file_name,
                    "file_sha256": sha256, **counts, **_totals(fills),
                },
                **who,
            )  # fmt: skip
            return execution
    except IntegrityError as exc:
        if "fill_external_id_unique" not in str(exc):
            raise
        # Another import stored the same fill id a moment ago.
        raise ExecutionRefused([RowError(None, "fill_id", "a fill id was just imported")]) from exc


def _lock(proposal: Proposal) -> tuple[dict[int, Account], list[TaxLot]]:
    """The proposal's accounts and their open lots, locked in primary-key order."""
    query = Account.objects.filter(household_id=proposal.household_id)
    if proposal.account_id:
        query = query.filter(pk=proposal.account_id)
    accounts = {a.pk: a for a in query.select_for_update().order_by("pk")}
    lots = list(
        TaxLot.objects.select_for_update()
        .filter(account__in=list(accounts), quantity__gt=0)
        .order_by("pk")
    )
    return accounts, lots


def _apply(
    execution: Execution, matching: Matching, accounts: dict[int, Account], lots: list[TaxLot]
) -> list[Fill]:
    open_lots: dict[Holding, list[TaxLot]] = defaultdict(list)
    for lot in lots:
        open_lots[(lot.account_id, lot.security_id)].append(lot)
    fills = []
    for f in apply_order(matching.fills):
        account = accounts[f.account.pk]
        fill = Fill(
            firm_id=execution.firm_id, execution=execution, trade=f.trade, account=account,
            security=f.security, side=f.row.side, quantity=f.row.quantity, price=f.row.price,
            amount=f.amount, trade_date=f.row.trade_date, external_id=f.row.fill_id,
        )  # fmt: skip
        holding = (account.pk, f.security.pk)
        if f.row.side == "buy":
            lot = TaxLot.objects.create(
                firm_id=execution.firm_id, account=account, security=f.security,
                quantity=f.row.quantity, cost_basis=f.amount, acquired_on=f.row.trade_date,
            )  # fmt: skip
            open_lots[holding].append(lot)
            fill.created_lot = lot
            fill.lots = [_lot_note(lot, lot.quantity, lot.cost_basis, None)]
            account.cash_balance -= f.amount
        else:
            fill.lots = _relieve(f, account, open_lots[holding])
            account.cash_balance += f.amount
        fills.append(fill)
    for pk in sorted({f.account_id for f in fills}):
        accounts[pk].save(update_fields=["cash_balance"])
    Fill.objects.bulk_create(fills)
    return fills


def _relieve(f: MatchedFill, account: Account, lots: list[TaxLot]) -> list[dict[str, Any]]:
    """Take the sold shares from ``lots``: the proposal's choice first, then tax order."""
    prefer = [int(sale["lot_id"]) for sale in (f.trade.lots if f.trade else [])]
    by_id = {lot.pk: lot for lot in lots if lot.quantity > 0}
    data = ProposalInput(
        scope="account",
        accounts=(
            AccountInput(
                account_id=account.pk, name=account.name,
                tax_status=cast(TaxStatus, account.tax_status), cash=account.cash_balance,
                lots=tuple(
                    Lot(lot.pk, lot.security_id, lot.quantity, lot.cost_basis, lot.acquired_on)
                    for lot in by_id.values()
                ),
            ),
        ),
        securities={}, targets=(), cash_class_id=0, options=Options(as_of=f.row.trade_date),
    )  # fmt: skip
    sales = allocate_lots(
        data, account_id=account.pk, security_id=f.security.pk, quantity=f.row.quantity,
        price=f.row.price, prefer=[pk for pk in prefer if pk in by_id],
    )  # fmt: skip
    sold = sum((s.quantity for s in sales), ZERO)
    if sold != f.row.quantity:  # match() refused this already; a guard, never a partial write
        raise ExecutionRefused([RowError(f.row.line, "quantity", "refusing to oversell")])
    notes, proceeds_left = [], f.amount
    for i, sale in enumerate(sales):
        lot = by_id[sale.lot_id]
        last = i == len(sales) - 1
        proceeds = proceeds_left if last else to_cents(f.amount * sale.quantity / sold)
        proceeds_left -= proceeds
        basis = sale.cost_basis
        gain = None if basis is None else proceeds - basis
        notes.append(_lot_note(lot, sale.quantity, basis, gain))
        lot.quantity -= sale.quantity
        if basis is not None and lot.cost_basis is not None:
            lot.cost_basis = max(lot.cost_basis - basis, ZERO)
        lot.save(update_fields=["quantity", "cost_basis"])
    return notes


def _lot_note(
    lot: TaxLot, quantity: Decimal, basis: Decimal | None, gain: Decimal | None
) -> dict[str, Any]:
    return {
        "lot": lot.pk,
        "quantity": plain(quantity),
        "cost_basis": None if basis is None else str(basis),
        "gain": None if gain is None else str(gain),
        "acquired_on": lot.acquired_on.isoformat(),
    }


def _totals(fills: list[Fill]) -> dict[str, str]:
    """Cash paid for buys and received for sells, for the audit event."""
    bought = sum((f.amount for f in fills if f.side == "buy"), ZERO)
    sold = sum((f.amount for f in fills if f.side == "sell"), ZERO)
    return {"bought": str(bought), "sold": str(sold)}
