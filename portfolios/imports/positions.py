"""Custodian position files: each account the file names gets exactly the file's lots.

A position file is the custodian's full picture of every account it names:
those accounts' lots are replaced, all other accounts are left alone, in one
transaction, with one audit event per replaced account and one for the file.
Accounts are looked up inside the importing firm only, so another firm's
account number is reported exactly like a number that does not exist.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from advisory import audit_actions as actions
from advisory.audit import Entry, record_many
from advisory.audit_actions import ActionType
from advisory.models import Account, AuditEvent, Client, Firm
from advisory.models.households import Custodian
from advisory.money import MONEY, PRICE, QUANTITY
from advisory.tenancy import firm_scope
from portfolios.imports.csv_rows import (
    CellError,
    FileError,
    FileInput,
    FirstSeen,
    ImportResult,
    RawRow,
    RowError,
    RowErrors,
    parse_date,
    parse_decimal,
    parse_text,
    read_rows,
    shown,
)
from portfolios.imports.custodians import CUSTODIAN_PRESETS
from portfolios.imports.layout import (
    COST_PER_SHARE,
    HEADER_SEARCH_LINES,
    NUMBERS_FORMATTED,
    OPTIONAL_FIELDS,
    UNKNOWN_COST,
    PositionMapping,
    number_text,
)
from portfolios.imports.owners import owner_changes, parse_owners, set_owners
from portfolios.models import Security, TaxLot

BATCH_SIZE = 1000


POSITION_PRESETS: dict[str, PositionMapping] = {
    "generic": PositionMapping(),
    "custodian": PositionMapping(
        account_number="Account Number",
        symbol="Symbol",
        quantity="Quantity",
        cost_basis="Cost Basis",
        acquired_date="Acquired Date",
        custodian="Custodian",
        owners="Owner Emails",
        date_format="%m/%d/%Y",
    ),
    # Illustrative custodian layouts (portfolios.imports.custodians).
    **{key: preset.mapping for key, preset in CUSTODIAN_PRESETS.items()},
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
    owners: tuple[str, ...] = ()  # lower-cased client e-mails; () leaves the owners alone


Resolved = list[tuple[LotRow, Account, Security]]


def masked(number: str) -> str:
    return "••••" + number[-4:]


ProgressCallback = Callable[[int], None]
PROGRESS_EVERY = 5000  # rows between two progress reports


@dataclass
class PositionPlan:
    """A validated file: the result so far and, per account to replace, its new lots.

    Nothing is written to build one; :func:`apply_plan` writes it.
    """

    result: ImportResult
    groups: dict[Account, list[tuple[LotRow, Security]]] = dataclasses.field(default_factory=dict)
    # Accounts whose owners the file sets (an owner column, not blank): the new owners.
    owners: dict[Account, list[Client]] = dataclasses.field(default_factory=dict)

    @property
    def rejected(self) -> bool:
        return not self.groups and not self.result.ok


def plan_positions(
    firm: Firm | int,
    fileobj: FileInput,
    *,
    partial: bool = False,
    mapping: PositionMapping = POSITION_PRESETS["generic"],
    progress: ProgressCallback | None = None,
) -> PositionPlan:
    """Validate every row and work out each named account's new lots; writes nothing.

    With ``partial`` the accounts without bad rows are kept in the plan; an
    account with a bad row keeps its old lots (half a picture would be wrong).
    Without it, one bad row leaves the plan empty.
    """
    with firm_scope(firm):
        result = ImportResult()
        resolved, bad_numbers = _validate(fileobj, mapping, result, progress)
        owners = owner_changes(resolved, mapping, result.errors, bad_numbers)
        result.errors.sort(key=lambda e: e.row or 0)
        if not result.ok and not partial:
            return PositionPlan(result)
        groups = _group_by_account(resolved, bad_numbers, result)
        return PositionPlan(result, groups, {a: c for a, c in owners.items() if a in groups})


def import_positions(
    firm: Firm,
    fileobj: FileInput,
    *,
    actor: Any = None,
    partial: bool = False,
    mapping: PositionMapping = POSITION_PRESETS["generic"],
) -> ImportResult:
    """Validate every row, then replace the lots of each account in the file, atomically.

    The direct path (the ``import_positions`` command); the Imports page
    stages a preview first (:mod:`portfolios.imports.staging`).
    """
    plan = plan_positions(firm, fileobj, partial=partial, mapping=mapping)
    with firm_scope(firm):
        if not plan.result.ok and not partial:
            rejected = _file_entry(
                actions.POSITIONS_IMPORT_REJECTED, plan.result, actor, accounts=0
            )
            record_many(firm=firm, entries=[rejected])
            return plan.result
        with transaction.atomic():
            apply_plan(firm, plan, actor=actor)
        return plan.result


def apply_plan(
    firm: Firm | int,
    plan: PositionPlan,
    *,
    actor: Any = None,
    before_replace: Callable[[dict[int, list[TaxLot]]], None] | None = None,
) -> list[AuditEvent]:
    """Write a plan: replace each account's lots and audit it. Call inside a transaction.

    ``before_replace`` gets the lots about to be replaced (account id → lots),
    under the accounts' row locks: the staged import snapshots them there.
    """
    replaced = _replace_lots(firm, plan.groups, plan.result, actor, before_replace)
    owned = set_owners(firm, plan.owners, actor)
    # Appended last, all at once: the firm's audit chain is locked for one insert,
    # not for the import (docs/tenancy-and-audit.md).
    file_entry = _file_entry(
        actions.POSITIONS_IMPORT, plan.result, actor, accounts=len(replaced), owners=len(owned)
    )
    return record_many(firm=firm, entries=[*replaced, *owned, file_entry])


def _validate(
    fileobj: FileInput,
    mapping: PositionMapping,
    result: ImportResult,
    progress: ProgressCallback | None = None,
) -> tuple[Resolved, set[str]]:
    """Every row checked, streaming; returns the good rows and the account numbers of bad ones.

    One pass over the rows: memory grows with the distinct good lots, never with
    the file's bad or repeated rows (their errors are capped by RowErrors).
    """
    bad: set[str] = set()
    parsed: list[LotRow] = []
    seen = FirstSeen()
    rules = _Rules.of(mapping)
    previous: tuple[Mapping[str, str], LotRow] | None = None  # the last good row, as read
    rows = read_rows(
        fileobj,
        mapping.headers(),
        optional=OPTIONAL_FIELDS,
        extra_columns=mapping.extra_columns,
        header_search=HEADER_SEARCH_LINES if mapping.header_search else 0,
        skip=mapping.is_summary if mapping.summary_markers else None,
    )
    try:
        for raw in rows:
            result.rows_read += 1
            if progress and result.rows_read % PROGRESS_EVERY == 0:
                progress(result.rows_read)
            if previous and raw.cells == previous[0] and not raw.problem:
                # The same text as the row before is the same lot: no need to parse it again.
                _is_repeat(_lot_key(previous[1]), raw.row, seen, result.errors)
                bad.add(previous[1].account_number)
                continue
            lot = _checked(raw, rules, result.errors)
            if lot is None:
                bad.add(raw.cells.get("account_number", "").strip())
                continue
            previous = (raw.cells, lot)
            if _is_repeat(_lot_key(lot), lot.row, seen, result.errors):
                bad.add(lot.account_number)
            else:
                parsed.append(lot)
    except FileError as exc:
        result.errors.append(exc.error)
        return [], set()
    if seen.repeated:  # every copy is refused, the first one too
        parsed = [lot for lot in parsed if lot.row not in seen.repeated]
    resolved = _resolve(parsed, mapping, result.errors, bad)
    return resolved, bad


def _checked(raw: RawRow, rules: _Rules, errors: list[RowError]) -> LotRow | None:
    if raw.problem:
        errors.append(RowError(raw.row, None, raw.problem))
        return None
    return _parse(raw.row, raw.cells, rules, errors)


def _lot_key(lot: LotRow) -> tuple:
    return (lot.account_number, lot.custodian, lot.symbol, lot.quantity, lot.cost_basis,
            lot.acquired_date, lot.owners)  # fmt: skip


def _is_repeat(key: tuple, row: int, seen: FirstSeen, errors: RowErrors) -> bool:
    """Identical lines are a double export, not two lots: every copy is refused.

    A repeat names the first row it copies; the first row names its first repeat.
    """
    first = seen.first_row(key, row)
    if first is None:
        return False
    if seen.repeated[first] == 1:
        errors.append(RowError(first, None, f"duplicate: the same lot is on row {row}"))
    if errors.has_room:  # past the cap only the count grows: no message is built
        errors.append(RowError(row, None, f"duplicate: the same lot is on row {first}"))
    else:
        errors.omitted += 1
    return True


@dataclass(frozen=True)
class _Rules:
    """What every row is checked against, worked out once per file."""

    mapping: PositionMapping
    headers: dict[str, str]
    today: dt.date

    @classmethod
    def of(cls, mapping: PositionMapping) -> _Rules:
        return cls(mapping, mapping.headers(), timezone.localdate())


def _parse(row: int, cells: dict[str, str], rules: _Rules, errors: list[RowError]) -> LotRow | None:
    values: dict[str, Any] = {}
    for field, parse in _CELLS.items():
        try:
            values[field] = parse(cells.get(field, ""), rules)
        except CellError as exc:
            errors.append(RowError(row, rules.headers.get(field, field), str(exc)))
    if len(values) != len(_CELLS):
        return None
    if rules.mapping.cost == COST_PER_SHARE and values["cost_basis"] is not None:
        try:
            values["cost_basis"] = _lot_cost(values["quantity"], values["cost_basis"])
        except CellError as exc:
            errors.append(RowError(row, rules.headers["cost_basis"], str(exc)))
            return None
    return LotRow(row, **values)


def _amount(text: str, spec: dict[str, int], what: str, rules: _Rules) -> Decimal:
    places, digits = spec["decimal_places"], spec["max_digits"]
    plain = number_text(text, rules.mapping.numbers)
    amount = parse_decimal(plain, places=places, digits=digits, what=what)
    if amount < 0:
        raise CellError(f"{what} must not be negative (got {amount})")
    return amount


def _cost_basis(text: str, rules: _Rules) -> Decimal | None:
    if not text.strip():
        return None  # unknown, never 0
    if rules.mapping.numbers == NUMBERS_FORMATTED and text.strip().lower() in UNKNOWN_COST:
        return None  # a custodian's "--" for an unknown cost
    if rules.mapping.cost == COST_PER_SHARE:  # a price: up to 6 places; × quantity in _parse
        return _amount(text, PRICE, "cost per share", rules)
    return _amount(text, MONEY, "cost basis", rules)


_CENT = Decimal("0.01")


def _lot_cost(quantity: Decimal, per_share: Decimal) -> Decimal:
    """A lot's total cost from its cost per share, rounded half-up to the cent."""
    total = (quantity * per_share).quantize(_CENT, rounding=ROUND_HALF_UP)
    if total >= Decimal(10) ** (MONEY["max_digits"] - MONEY["decimal_places"]):
        raise CellError(f"cost basis is too large (quantity × cost per share = {total})")
    return total


def _custodian(text: str, rules: _Rules) -> str:
    if not text.strip():
        return ""
    value = parse_text(text, "custodian").lower()
    for choice in Custodian:
        if value in (choice.value, choice.label.lower()):
            return choice.value
    known = ", ".join(c.value for c in Custodian)
    raise CellError(f"unknown custodian {shown(text.strip())} (one of: {known})")


def _acquired(text: str, rules: _Rules) -> dt.date:
    return parse_date(text, rules.mapping.date_format, what="acquired date", today=rules.today)


_CELLS = {
    "account_number": lambda text, rules: parse_text(text, "account number"),
    "custodian": _custodian,
    "symbol": lambda text, rules: parse_text(text, "symbol"),
    "quantity": lambda text, rules: _amount(text, QUANTITY, "quantity", rules),
    "cost_basis": _cost_basis,
    "acquired_date": _acquired,
    "owners": lambda text, rules: parse_owners(text),
}


def _resolve(
    lots: list[LotRow], mapping: PositionMapping, errors: list[RowError], bad: set[str]
) -> Resolved:
    """Accounts (of the scoped firm only) and securities for each row; ``bad`` gets the
    account numbers of rows that fail."""
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
        else:
            bad.add(lot.account_number)
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
    firm: Firm | int,
    groups: dict[Account, list[tuple[LotRow, Security]]],
    result: ImportResult,
    actor: Any,
    before_replace: Callable[[dict[int, list[TaxLot]]], None] | None = None,
) -> list[Entry]:
    """Replace each account's lots (unless identical); returns one audit entry per replaced
    account, for the caller to append when every write is done."""
    firm_id = firm if isinstance(firm, int) else firm.pk
    locked = Account.objects.select_for_update().filter(pk__in=[a.pk for a in groups])
    list(locked.order_by("pk").values_list("pk", flat=True))
    before: dict[int, list[TaxLot]] = defaultdict(list)
    for lot in TaxLot.objects.filter(account__in=list(groups)).select_related("security"):
        before[lot.account_id].append(lot)
    if before_replace is not None:
        before_replace(dict(before))
    entries: list[Entry] = []
    for account, rows in sorted(groups.items(), key=lambda item: item[0].pk):
        new = [
            TaxLot(firm_id=firm_id, account=account, security=security, quantity=lot.quantity,
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


def _file_entry(
    action: ActionType, result: ImportResult, actor: Any, *, accounts: int, owners: int = 0
) -> Entry:
    """The file-level event: how many rows, accounts and lots; the first errors if any."""
    changes: dict[str, Any] = {
        "rows": result.rows_read,
        "accounts": accounts,
        "lots": result.written,
        "unchanged_rows": result.skipped_existing,
        "errors": result.error_count,
        "first_errors": [str(e) for e in result.errors[:10]],
    }
    if owners:  # only files with an owner column set any
        changes["owners_set"] = owners
    return Entry(action, changes=changes, actor=actor)
