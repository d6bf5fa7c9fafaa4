"""Account owners from a position file's optional owner column.

A cell holds the e-mail of one client, or several separated by ``;`` (a joint
account). A filled cell sets the account's owners to exactly those clients
when the import is applied; a blank cell (or a layout without the column)
leaves them alone. Every e-mail must belong to exactly one client of the
account's own household: anything else is a row error, and the account's
rows are then bad like any other (nothing is written for it, and without a
partial import nothing is written at all).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from advisory import audit_actions as actions
from advisory.audit import Entry
from advisory.models import Account, AccountOwner, Client, Firm
from portfolios.imports.csv_rows import FORMULA_PREFIXES, CellError, RowError, shown

if TYPE_CHECKING:
    from portfolios.imports.layout import PositionMapping
    from portfolios.imports.positions import Resolved

MAX_OWNERS = 10  # a joint account has two or three; a longer cell is a mistake


def parse_owners(text: str) -> tuple[str, ...]:
    """``"a@x.com; B@x.com"`` → ``("a@x.com", "b@x.com")`` (sorted, lower-cased); "" → ()."""
    if text[:1] in FORMULA_PREFIXES or text.strip()[:1] in FORMULA_PREFIXES:
        raise CellError(f"owner {shown(text)} starts with a formula character (= + - @)")
    emails = {part.strip().lower() for part in text.split(";") if part.strip()}
    if len(emails) > MAX_OWNERS:
        raise CellError(f"at most {MAX_OWNERS} owners per account (got {len(emails)})")
    for email in emails:
        try:
            validate_email(email)
        except ValidationError:
            raise CellError(f"owner {shown(email)} is not an e-mail address") from None
    return tuple(sorted(emails))


def client_name(client: Client) -> str:
    return f"{client.first_name} {client.last_name}".strip()


def owner_changes(
    resolved: Resolved, mapping: PositionMapping, errors: list[RowError], bad: set[str]
) -> dict[Account, list[Client]]:
    """The owners each account should have, for accounts whose rows name some.

    Rows of one account must agree; each e-mail must be one client of the
    account's household. Failures are row errors and put the account in ``bad``.
    """
    wanted: dict[Account, tuple[int, tuple[str, ...]]] = {}
    for lot, account, _ in resolved:
        if not lot.owners:
            continue
        first = wanted.setdefault(account, (lot.row, lot.owners))
        if first[1] != lot.owners:
            message = f"owners differ from row {first[0]} for the same account"
            errors.append(RowError(lot.row, mapping.owners, message))
            bad.add(lot.account_number)
    if not wanted:
        return {}
    by_email: dict[tuple[int, str], list[Client]] = defaultdict(list)
    households = {account.household_id for account in wanted}
    for client in Client.objects.filter(household__in=households).exclude(email=""):
        by_email[(client.household_id, client.email.strip().lower())].append(client)
    owners: dict[Account, list[Client]] = {}
    for account, (row, emails) in wanted.items():
        clients = []
        for email in emails:
            found = by_email.get((account.household_id, email), [])
            if len(found) == 1:
                clients.append(found[0])
                continue
            why = "is not a client of this account's household" if not found else (
                "belongs to several clients of this account's household"
            )  # fmt: skip
            errors.append(RowError(row, mapping.owners, f"owner {shown(email)} {why}"))
            bad.add(account.account_number)
        if len(clients) == len(emails):
            owners[account] = clients
    return owners


@dataclass(frozen=True)
class OwnerChange:
    before: list[str]
    after: list[str]

    @property
    def changed(self) -> bool:
        return sorted(self.before) != sorted(self.after)


def current_owners(account_ids: Iterable[int]) -> dict[int, list[Client]]:
    """Each account's owners now (call inside the firm scope)."""
    owners: dict[int, list[Client]] = defaultdict(list)
    links = AccountOwner.objects.filter(account_id__in=list(account_ids)).select_related("client")
    for link in links.order_by("client__last_name", "client__first_name"):
        owners[link.account_id].append(link.client)
    return owners


def planned_changes(owners: dict[Account, list[Client]]) -> dict[int, OwnerChange]:
    """Before and after, by name, for every account whose owners the file sets."""
    now = current_owners(a.pk for a in owners)
    return {
        account.pk: OwnerChange(
            before=[client_name(c) for c in now.get(account.pk, [])],
            after=sorted(client_name(c) for c in clients),
        )
        for account, clients in owners.items()
    }


def set_owners(firm: Firm | int, owners: dict[Account, list[Client]], actor: Any) -> list[Entry]:
    """Make each account's owners exactly ``owners[account]``; one audit entry per change.

    Call inside the transaction that applies the import (the accounts are locked).
    """
    firm_id = firm if isinstance(firm, int) else firm.pk
    now = current_owners(a.pk for a in owners)
    entries = []
    for account, clients in sorted(owners.items(), key=lambda item: item[0].pk):
        before = {c.pk: c for c in now.get(account.pk, [])}
        after = {c.pk: c for c in clients}
        if set(before) == set(after):
            continue
        AccountOwner.objects.filter(account=account).exclude(client__in=list(after)).delete()
        AccountOwner.objects.bulk_create(
            AccountOwner(firm_id=firm_id, account=account, client=client)
            for pk, client in after.items()
            if pk not in before
        )
        change = {
            "before": sorted(client_name(c) for c in before.values()),
            "after": sorted(client_name(c) for c in after.values()),
        }
        entries.append(
            Entry(
                actions.POSITIONS_OWNERS_SET, obj=account, changes={"owners": change}, actor=actor
            )
        )
    return entries
