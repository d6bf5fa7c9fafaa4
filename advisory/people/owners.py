"""Who owns an account: one or more clients of its household (two for a joint account).

Setting the owners is an account edit, audited like the others (``account.updated``) with
the owners before and after, by id and by name.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from .. import audit_actions as actions
from ..audit import record
from ..models import Account, AccountOwner, Client, Firm
from ..tenancy import firm_scope
from .errors import Refused


def _names(clients: Iterable[Client]) -> list[str]:
    return [str(c) for c in sorted(clients, key=lambda c: (c.last_name, c.first_name, c.pk))]


@transaction.atomic
def set_account_owners(*, firm: Firm, account: Account, clients: Iterable[Client]) -> bool:
    """Make ``clients`` the account's owners; returns whether anything changed."""
    wanted = {c.pk: c for c in clients}
    with firm_scope(firm):
        strangers = [c for c in wanted.values() if c.household_id != account.household_id]
        if strangers:
            raise Refused(
                f"{', '.join(_names(strangers))} is not a client of the {account.household} "
                "household: an account's owners must be clients of its household."
            )
        # Lock the account: two advisors saving owners at once apply one after the other.
        Account.objects.select_for_update().filter(pk=account.pk).values_list("pk").get()
        current = {
            o.client_id: o.client
            for o in AccountOwner.objects.filter(account=account).select_related("client")
        }
        if set(current) == set(wanted):
            return False
        AccountOwner.objects.filter(account=account).exclude(client__in=list(wanted)).delete()
        AccountOwner.objects.bulk_create(
            AccountOwner(firm=firm, account=account, client=c)
            for pk, c in wanted.items()
            if pk not in current
        )
        record(
            firm=firm,
            action=actions.ACCOUNT_UPDATED,
            obj=account,
            changes={
                "owners": {"before": sorted(current), "after": sorted(wanted)},
                "owner_names": {
                    "before": _names(current.values()),
                    "after": _names(wanted.values()),
                },
            },
        )
    return True
