"""Custodian position files: each account the file names gets exactly the file's lots.

A position file is the custodian's full picture of every account it names:
those accounts' lots are replaced, all other accounts are left alone, in one
transaction, with one audit event per replaced account and one for the file.
Accounts are looked up inside the importing firm only, so another firm's
account number is reported exactly like a number that does not exist.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, fields, replace
from decimal import Decimal
from typing import Any

from django.db import transaction

from advisory import audit_actions as actions
from advisory.audit import Entry, record_many
from advisory.audit_actions import ActionType
from advisory.models import Account, Firm
from advisory.models.households import Custodian
from advisory.money import MONEY, QUANTITY
from advisory.tenancy import firm_scope
from portfolios.imports.csv_rows import (
    CellError,
    FileError,
    FileInput,
    ImportResult,
    RowError,
    duplicates,
    parse_date,
    parse_decimal,
    parse_text,
    read_rows,
    shown,
)
from portfolios.models import Security, TaxLot

BATCH_SIZE = 1000


@dataclass(frozen=True)
class PositionMapping:
    """Header names of a position file (``custodian`` is optional), and its date format."""

    account_number: str = "account_number"
    symbol: str = "symbol"
    quantity: str = "quantity"
    cost_basis: str = "cost_basis"
    acquired_date: str = "acquired_date"
    custodian: str = "custodian"
    date_format: str = "%Y-%m-%d"

    def headers(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "date_format"}


POSITION_PRESETS: dict[str, PositionMapping] = {
    "generic": PositionMapping(),
    "custodian": PositionMapping(
        account_number="Account Number",
        symbol="Symbol",
        quantity="Quantity",
        cost_basis="Cost Basis",
        acquired_date="Acquired Date",
        custodian="Custodian",
        date_format="%m/%d/%Y",
    ),
}


@dataclass(frozen=True)
class LotRow:
    row: int
    account_number: str
    custodian: str  # "" when the file does not say
    symbol: str
    quantity: Decimal
    cost_basis: Decimal | None  # None: unknown, never zero
    acquired_date: dt.date


Resolved = list[tuple[LotRow, Account, Security]]


def masked(number: str) -> str:
    return "••••" + number[-4:]


def import_positions(
    firm: Firm,
    fileobj: FileInput,
    *,
    actor: Any = None,
    partial: bool = False,
    mapping: PositionMapping = POSITION_PRESETS["generic"],
) -> ImportResult:
    """Validate every row, then replace the lots of each account in the file, atomically.

    With ``partial`` the accounts without bad rows are replaced; an account
    with a bad row keeps its old lots (half a picture would be wrong).
    """
    with firm_scope(firm):
        result = ImportResult()
        resolved, bad_numbers = _validate(fileobj, mapping, result)
        if not result.ok and not partial:
            rejected = _file_entry(actions.POSITIONS_IMPORT_REJECTED, result, actor, accounts=0)
            record_many(firm=firm, entries=[rejected])
            return result
        groups = _group_by_account(resolved, bad_numbers, result)
        with transaction.atomic():
            replaced = _replace_lots(firm, groups, result, actor)
            # Appended last, all at once: the firm's audit chain is locked for one insert,
            # not for the import (docs/tenancy-and-audit.md).
            file_entry = _file_entry(
                actions.POSITIONS_IMPORT, result, actor, accounts=len(replaced)
            )
            record_many(firm=firm, entries=[*replaced, file_entry])
        return result


def _validate(
    fileobj: FileInput, mapping: PositionMapping, result: ImportResult
) -> tuple[Resolved, set[str]]:
    """Every row checked; returns the good rows and the account numbers of bad ones."""
    try:
        raws = list(read_rows(fileobj, mapping.headers(), optional=frozenset({"custodian"})))
    except FileError as exc:
        result.errors.append(exc.error)
        return [], set()
    result.rows_read = len(raws)
    parsed = []
    for raw in raws:
        if raw.problem:
            result.errors.append(RowError(raw.row, None, raw.problem))
        elif lot := _parse(raw.row, raw.cells, mapping, result.errors):
            parsed.append(lot)
    resolved = _resolve(_without_duplicates(parsed, result.errors), mapping, result.errors)
    result.errors.sort(key=lambda e: e.row or 0)
    bad_rows = {e.row for e in result.errors}
    bad = {r.cells.get("account_number", "").strip() for r in raws if r.row in bad_rows}
    return resolved, bad


def _parse(
    row: int, cells: dict[str, str], mapping: PositionMapping, errors: list[RowError]
) -> LotRow | None:
    values: dict[str, Any] = {}
    for field, parse in _CELLS.items():
        try:
            values[field] = parse(cells.get(field, ""), mapping)
        except CellError as exc:
            errors.append(RowError(row, mapping.headers()[field], str(exc)))
    return LotRow(row, **values) if len(values) == len(_CELLS) else None


def _amount(text: str, spec: dict[str, int], what: str) -> Decimal:
    places, digits = spec["decimal_places"], spec["max_digits"]
    amount = parse_decimal(text, places=places, digits=digits, what=what)
    if amount < 0:
        raise CellError(f"{what} must not be negative (got {amount})")
    return amount


def _cost_basis(text: str, mapping: PositionMapping) -> Decimal | None:
    return _amount(text, MONEY, "cost basis") if text.strip() else None  # unknown, never 0


def _custodian(text: str, mapping: PositionMapping) -> str:
    if not text.strip():
        return ""
    value = parse_text(text, "custodian").lower()
    for choice in Custodian:
        if value in (choice.value, choice.label.lower()):
            return choice.value
    known = ", ".join(c.value for c in Custodian)
    raise CellError(f"unknown custodian {shown(text.strip())} (one of: {known})")


_CELLS = {
    "account_number": lambda text, mapping: parse_text(text, "account number"),
    "custodian": _custodian,
    "symbol": lambda text, mapping: parse_text(text, "symbol"),
    "quantity": lambda text, mapping: _amount(text, QUANTITY, "quantity"),
    "cost_basis": _cost_basis,
    "acquired_date": lambda text, m: parse_date(text, m.date_format, what="acquired date"),
}


def _without_duplicates(lots: list[LotRow], errors: list[RowError]) -> list[LotRow]:
    """Identical lines are a double export, not two lots: all of them are refused."""
    dupes = duplicates({lot.row: replace(lot, row=0) for lot in lots})
    for lot in lots:
        if lot.row in dupes:
            others = ", ".join(str(r) for r in dupes[lot.row] if r != lot.row)
            errors.append(RowError(lot.row, None, f"duplicate: the same lot is on row {others}"))
    return [lot for lot in lots if lot.row not in dupes]


def _resolve(lots: list[LotRow], mapping: PositionMapping, errors: list[RowError]) -> Resolved:
    """Accounts (of the scoped firm only) and securities for each row."""
    accounts: dict[str, list[Account]] = defaultdict(list)
    for account in Account.objects.filter(account_number__in={lot.account_number for lot in lots}):
        accounts[account.account_number].append(account)
    securities = Security.objects.in_bulk({lot.symbol for lot in lots}, field_name="symbol")
    resolved = []
    for lot in lots:
        account = _account_of(lot, accounts[lot.account_number], mapping, errors)
        security = securities.get(lot.symbol)
        if security is None:
            errors.append(RowError(lot.row, mapping.symbol, f"unknown symbol {shown(lot.symbol)}"))
        if account and security:
            resolved.append((lot, account, security))
    return resolved


def _account_of(
    lot: LotRow, candidates: list[Account], mapping: PositionMapping, errors: list[RowError]
) -> Account | None:
    if lot.custodian:
        candidates = [a for a in candidates if a.custodian == lot.custodian]
    if len(candidates) == 1:
        return candidates[0]
    number = masked(lot.account_number)
    if candidates:
        at = ", ".join(sorted(a.custodian for a in candidates))
        message = f"account number {number} exists at several custodians ({at}); add a custodian"
    else:
        message = f"unknown account number {number}"
    errors.append(RowError(lot.row, mapping.account_number, message))
    return None


def _group_by_account(
    resolved: Resolved, bad_numbers: set[str], result: ImportResult
) -> dict[Account, list[tuple[LotRow, Security]]]:
    groups: dict[Account, list[tuple[LotRow, Security]]] = defaultdict(list)
    for lot, account, security in resolved:
        groups[account].append((lot, security))
    for account in [a for a in groups if a.account_number in bad_numbers]:
        del groups[account]
        message = f"account {masked(account.account_number)} left unchanged: it has bad rows"
        result.errors.append(RowError(None, None, message))
    return groups


def _replace_lots(
    firm: Firm, groups: dict[Account, list[tuple[LotRow, Security]]], result: ImportResult, actor
) -> list[Entry]:
    """Replace each account's lots (unless identical); returns one audit entry per replaced
    account, for the caller to append when every write is done."""
    locked = Account.objects.select_for_update().filter(pk__in=[a.pk for a in groups])
    list(locked.order_by("pk").values_list("pk", flat=True))
    before: dict[int, list[TaxLot]] = defaultdict(list)
    for lot in TaxLot.objects.filter(account__in=list(groups)).select_related("security"):
        before[lot.account_id].append(lot)
    entries: list[Entry] = []
    for account, rows in sorted(groups.items(), key=lambda item: item[0].pk):
        new = [
            TaxLot(firm=firm, account=account, security=security, quantity=lot.quantity,
                   cost_basis=lot.cost_basis, acquired_on=lot.acquired_date)
            for lot, security in rows
            if lot.quantity > 0  # a zero row names the account but holds nothing
        ]  # fmt: skip
        if _same(before[account.pk], new):
            result.skipped_existing += len(rows)
            continue
        TaxLot.objects.filter(account=account).delete()
        TaxLot.objects.bulk_create(new, batch_size=BATCH_SIZE)
        result.written += len(new)
        lots = {"before": summary(before[account.pk]), "after": summary(new)}
        entries.append(
            Entry(actions.POSITIONS_IMPORTED, obj=account, changes={"lots": lots}, actor=actor)
        )
    return entries


def _same(old: list[TaxLot], new: list[TaxLot]) -> bool:
    def key(lot: TaxLot) -> tuple:
        return (lot.security_id, lot.quantity, lot.cost_basis, lot.acquired_on)

    return Counter(map(key, old)) == Counter(map(key, new))


def summary(lots: list[TaxLot]) -> dict[str, str]:
    """Total quantity per symbol, as exact decimal strings: ``{"VOO": "12.5"}``."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for lot in lots:
        totals[lot.security.symbol] += lot.quantity
    return {symbol: f"{total.normalize():f}" for symbol, total in sorted(totals.items())}


def _file_entry(action: ActionType, result: ImportResult, actor: Any, *, accounts: int) -> Entry:
    """The file-level event: how many rows, accounts and lots; the first errors if any."""
    changes = {
        "rows": result.rows_read,
        "accounts": accounts,
        "lots": result.written,
        "unchanged_rows": result.skipped_existing,
        "errors": len(result.errors),
        "first_errors": [str(e) for e in result.errors[:10]],
    }
    return Entry(action, changes=changes, actor=actor)
