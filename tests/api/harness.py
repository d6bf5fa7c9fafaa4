"""The API harness of the schema walk and the schemathesis run: tokens, the generated schema,
and firm B's objects by the API's path parameters.

Operations come from the OpenAPI schema drf-spectacular generates from the URLconf (and
tests/api/test_schema.py proves every /api/v1/ route is in it), so an endpoint added later is
walked without touching these tests. A path parameter with no fixture raises ``NoFixture``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.core import serializers
from django.utils import timezone
from django_scopes import scopes_disabled
from drf_spectacular.generators import SchemaGenerator

from advisory.api import tokens
from advisory.models import ApiToken, Client, Firm, Membership, TokenScope, WebhookEndpoint
from advisory.tenancy import FirmOwned, firm_owned_models, firm_scope
from portfolios.models import DriftSnapshot, TaxLot
from tests.urlwalk import PARAM_OBJECTS, NoFixture, firm_objects

__all__ = [
    "NoFixture",
    "Operation",
    "api_objects",
    "fill",
    "firm_checksum",
    "make_token",
    "operations",
    "path_labels",
    "path_values",
    "targets_firm",
]

API_PREFIX = "/api/v1/"
UNSAFE = ("post", "put", "patch", "delete")
METHODS = ("get", *UNSAFE)


def make_token(membership: Membership, scope: str = TokenScope.WRITE) -> str:
    """A live token for ``membership``'s user in its firm, made as the tokens page makes one;
    returns the secret. One the page refuses (a client's, a read-write one for compliance)
    is stored directly: a token made before its user's role changed, which must still be
    held to the role."""
    try:
        with firm_scope(membership.firm):
            _, secret_text = tokens.create_token(
                membership=membership, name=f"test {scope}", scope=scope, days=1
            )
        return secret_text
    except ValueError:
        pass
    secret = tokens.new_secret()
    with scopes_disabled():
        ApiToken.objects.create(
            firm=membership.firm,
            user=membership.user,
            name="made before a role change",
            prefix=secret.prefix,
            digest=secret.digest,
            scope=scope,
            expires_at=timezone.now() + dt.timedelta(days=1),
        )
    return secret.secret


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def api_schema() -> dict:
    """The OpenAPI document as /api/schema/ serves it."""
    return SchemaGenerator().get_schema(request=None, public=True)


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # the schema's template, e.g. /api/v1/households/{id}/
    spec: dict

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(re.findall(r"{(\w+)}", self.path))

    @property
    def unsafe(self) -> bool:
        return self.method in UNSAFE

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path}"


def operations(schema: dict | None = None) -> Iterator[Operation]:
    schema = api_schema() if schema is None else schema
    for path, item in sorted(schema.get("paths", {}).items()):
        if not path.startswith(API_PREFIX):
            continue
        for method in METHODS:
            if method in item:
                yield Operation(method, path, item[method])


# The collection a path segment names → the firm_objects() label of one of its rows: the
# object a ``{id}`` after that segment addresses.
COLLECTIONS = {
    "firms": "advisory.firm",
    "households": "advisory.household",
    "clients": "advisory.client",
    "accounts": "advisory.account",
    "positions": "portfolios.taxlot",
    "lots": "portfolios.taxlot",
    "securities": "portfolios.security",
    "prices": "portfolios.price",
    "models": "portfolios.modelportfolio",
    "model-portfolios": "portfolios.modelportfolio",
    "targets": "portfolios.target",
    "drift-snapshots": "portfolios.driftsnapshot",
    "drift-runs": "portfolios.driftrun",
    "proposals": "portfolios.proposal",
    "trades": "portfolios.proposedtrade",
    "reports": "reports.archivedreport",
    "audit-events": "advisory.auditevent",
    "webhooks": "advisory.webhookendpoint",
    "webhook-endpoints": "advisory.webhookendpoint",
    "tokens": "advisory.apitoken",
    "api-tokens": "advisory.apitoken",
    "imports": "portfolios.positionimport",
    "restrictions": "portfolios.restriction",
    "executions": "portfolios.execution",
    "memberships": "advisory.membership",
    "people": "advisory.membership",
}
ID_PARAMS = ("id", "pk")


def api_objects(world) -> dict[str, object]:
    """firm_objects() plus the rows only the API addresses (all of ``world``'s firm)."""
    objects = firm_objects(world)
    label = world.firm.name.removesuffix(" Firm")
    with scopes_disabled():
        objects["advisory.firm"] = world.firm
        objects["portfolios.driftsnapshot"] = DriftSnapshot.objects.create(
            firm=world.firm,
            kind="household",
            subject_id=world.household.pk,
            household=world.household,
            model=world.model,
            as_of=dt.date(2025, 12, 31),
            status="breached",
            market_value=Decimal("5000.00"),
            cash_value=Decimal("1000.00"),
            worst_bucket=f"{label} bucket",
            computed_at=timezone.now(),
        )
        objects["advisory.webhookendpoint"] = WebhookEndpoint.objects.create(
            firm=world.firm,
            url=f"https://{world.firm.slug}.example/hook",
            description=f"{label} hook",
            events=["proposal.approved"],
            secret_encrypted="not-a-secret",
            created_by=world.admin.user,
        )
        secret = tokens.new_secret()
        objects["advisory.apitoken"] = ApiToken.objects.create(
            firm=world.firm,
            user=world.admin.user,
            name=f"{label} token",
            prefix=secret.prefix,
            digest=secret.digest,
            scope=TokenScope.READ,
            expires_at=timezone.now() + dt.timedelta(days=1),
        )
    return objects


def path_labels(op: Operation) -> dict[str, str]:
    """Each of ``op``'s path parameters → the firm_objects() label of the row it addresses."""
    segments = op.path.strip("/").split("/")
    labels: dict[str, str] = {}
    for i, segment in enumerate(segments):
        match = re.fullmatch(r"{(\w+)}", segment)
        if not match:
            continue
        param = match.group(1)
        if param in PARAM_OBJECTS:
            labels[param] = PARAM_OBJECTS[param]
        elif param in ID_PARAMS or param.endswith("_pk"):
            labels[param] = COLLECTIONS.get(segments[i - 1] if i else "", "")
        else:
            labels[param] = ""
    return labels


def path_values(op: Operation, objects: dict[str, object]) -> dict[str, str]:
    """Each of ``op``'s path parameters → the id of the matching object in ``objects``."""
    values: dict[str, str] = {}
    for param, label in path_labels(op).items():
        obj = objects.get(label)
        if obj is None:
            raise NoFixture(f"{op} has parameter {param!r} with no fixture")
        values[param] = str(obj.pk)
    return values


def firm_checksum(firm) -> str:
    """tests.test_cross_tenant.firm_checksum without API tokens (using one notes its
    ``last_used_at``, which is the point of it, not a change to the firm's books)."""
    digest = hashlib.sha256()
    with scopes_disabled():
        for model in sorted(firm_owned_models(), key=lambda m: m._meta.label):
            if model is ApiToken:
                continue
            rows = model.objects.filter(firm=firm).order_by("pk")
            digest.update(serializers.serialize("json", rows).encode())
    return digest.hexdigest()


def targets_firm(op: Operation, objects: dict[str, object]) -> bool:
    """Whether ``op``'s path addresses a firm's own row (not shared reference data)."""
    labels = path_labels(op).values()
    return any(isinstance(objects.get(label), FirmOwned | Firm) for label in labels)


def fill(op: Operation, objects: dict[str, object]) -> str:
    """``op``'s path with each parameter set to the matching object's id in ``objects``."""
    path = op.path
    for param, value in path_values(op, objects).items():
        path = path.replace("{" + param + "}", value)
    return path


def other_household_world(world):
    """``world`` re-pointed at the household its client is not in (with a client, a lot and
    the rest of firm_objects()'s rows there): what the client portal must never show."""
    with scopes_disabled():
        person = Client.objects.create(
            firm=world.firm,
            household=world.other_household,
            first_name="Neighbour",
            last_name="Client",
        )
        lot = TaxLot.objects.create(
            firm=world.firm,
            account=world.other_account,
            security=world.lot.security,
            quantity=Decimal("3"),
            cost_basis=Decimal("900.00"),
            acquired_on=dt.date(2024, 5, 1),
        )
    return dataclasses.replace(
        world,
        household=world.other_household,
        account=world.other_account,
        lot=lot,
        client_person=person,
    )
