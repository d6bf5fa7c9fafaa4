"""Every /api/v1/ operation × roles, tokens and firms: the API reaches nothing a page would not.

The operations come from the generated OpenAPI schema (tests/api/test_schema.py proves every
/api/v1/ route is in it), so an endpoint added later is walked without touching this file; a
path parameter tests/api/harness.py has no fixture for fails the walk (as tests/urlwalk.py's
``NoFixture`` does for pages).

- Firm A's admin and advisor with firm B's ids get a 404, exactly what an id that does not
  exist gets: never a 200, and never a 403 that would tell B's ids apart. Firm B's data and
  audit trail stay unchanged, and no response shows firm B's names.
- Every unsafe operation is a 403 for a read-only token and for a compliance officer (on the
  firm's own objects, so the answer is about the role, not the id), and changes nothing.
- A client's token never reaches another household of their own firm.
- Without credentials, or with a wrong token, every operation is a 401.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django_scopes import scopes_disabled

from advisory.api import throttles
from advisory.models import AuditEvent, Household, TokenScope
from tests import factories
from tests.api.harness import (
    NoFixture,
    Operation,
    api_objects,
    api_schema,
    fill,
    firm_checksum,
    make_token,
    operations,
    other_household_world,
    path_labels,
    path_values,
    targets_firm,
)
from tests.test_cross_tenant import B_MARKERS

MISSING_ID = "2147483000"  # an id no row has
# Names only the other households of firm A carry (tests.factories.firm_world and
# harness.other_household_world): a client of firm A's first household must never see them.
NEIGHBOUR_MARKERS = ("Alpha Other Household", "Alpha Team Household", "ALPHA-1002", "Neighbour")


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        return api_schema()


@pytest.fixture(autouse=True)
def _no_throttling(monkeypatch):
    for throttle in (throttles.TokenRateThrottle, throttles.UserRateThrottle):
        monkeypatch.setattr(throttle, "THROTTLE_RATES", {throttle.scope: "100000/minute"})


def call(op: Operation, path: str, secret: str | None = None, client: Client | None = None):
    """``op`` on ``path`` with a bearer token, or with ``client``'s session (logged in)."""
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret else {}
    client = client or Client()
    if op.unsafe:
        return getattr(client, op.method)(
            path, data="{}", content_type="application/json", **headers
        )
    return client.get(path, **headers)


def missing_ids(op: Operation) -> str:
    path = op.path
    for param in op.params:
        path = path.replace("{" + param + "}", MISSING_ID)
    return path


def in_a_household(op: Operation, objects: dict[str, object]) -> bool:
    """Whether ``op``'s path names a row of one household (not the firm's or shared data)."""
    for label in path_labels(op).values():
        obj = objects.get(label)
        account = getattr(obj, "account", None)
        if (
            isinstance(obj, Household)
            or getattr(obj, "household_id", None)
            or getattr(account, "household_id", None)
        ):
            return True
    return False


def shows(response, markers) -> list[str]:
    body = response.content.decode(errors="replace")
    return [m for m in markers if m in body]


def test_every_api_operation_has_a_fixture(schema, world_b):
    objects = api_objects(world_b)
    missing = []
    for op in operations(schema):
        try:
            path_values(op, objects)
        except NoFixture as exc:
            missing.append(str(exc))
    assert not missing, "API operations without fixtures:\n" + "\n".join(missing)


def test_an_unknown_parameter_fails_the_walk(world_b):
    op = Operation("get", "/api/v1/widgets/{id}/", {})
    with pytest.raises(NoFixture, match="widgets"):
        fill(op, api_objects(world_b))


@pytest.mark.parametrize("persona", ["admin", "advisor", "compliance"])
def test_firm_b_ids_are_not_found_for_firm_a(persona, schema, world_a, world_b):
    objects = api_objects(world_b)
    secret = make_token(getattr(world_a, persona), TokenScope.WRITE)
    before = firm_checksum(world_b.firm)
    with scopes_disabled():
        b_events = AuditEvent.objects.filter(firm=world_b.firm).count()
    failures, not_found = [], 0
    for op in operations(schema):
        response = None
        if op.params and targets_firm(op, objects):
            response = call(op, fill(op, objects), secret)
            control = call(op, missing_ids(op), secret)
            not_found += response.status_code == 404
            # Anything but a 404 must be what an id that does not exist gets too (a role's
            # 403 is the same for every id): nothing tells firm B's ids apart.
            if response.status_code != control.status_code or 200 <= response.status_code < 300:
                failures.append(
                    f"{op}: firm B's id gives {response.status_code}, a missing id "
                    f"{control.status_code}"
                )
        elif not op.unsafe:
            response = call(op, fill(op, objects), secret)  # lists; shared reference rows
        if response is not None:
            if leaked := shows(response, B_MARKERS):
                failures.append(f"{op}: shows firm B ({leaked})")
            if response.status_code >= 500:
                failures.append(f"{op}: {response.status_code}")
    assert not_found >= 3
    assert not failures, f"{persona}:\n" + "\n".join(failures)
    assert firm_checksum(world_b.firm) == before, "firm B's data changed"
    with scopes_disabled():
        assert AuditEvent.objects.filter(firm=world_b.firm).count() == b_events


# Request-body fields naming a firm's row → its firm_objects() label.
BODY_IDS = {
    "household": "advisory.household",
    "account": "advisory.account",
    "client": "advisory.client",
    "model": "portfolios.modelportfolio",
    "proposal": "portfolios.proposal",
}


def body_schema(op: Operation, schema: dict) -> dict:
    content = op.spec.get("requestBody", {}).get("content", {})
    media = content.get("application/json") or next(iter(content.values()), {})
    found = media.get("schema", {})
    ref = found.get("$ref", "")
    return schema["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else found


def plausible(prop: dict) -> object:
    """A value of the property's type that passes field validation."""
    if prop.get("enum"):
        return prop["enum"][0]
    kind = prop.get("type")
    if kind == "integer":
        return 1
    if kind == "number" or prop.get("format") == "decimal":
        return "1.00"
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    if prop.get("format") == "date":
        return "2025-12-31"
    return "x"


def test_firm_b_ids_in_request_bodies_are_not_found(schema, world_a, world_b):
    """A create naming firm B's household (or account, …) in its body is refused exactly as
    one naming an id that does not exist: same status, same message."""
    objects = api_objects(world_b)
    secret = make_token(world_a.admin, TokenScope.WRITE)
    before = firm_checksum(world_b.firm)
    failures, tried = [], 0
    for op in operations(schema):
        if not op.unsafe or op.params:
            continue
        props = body_schema(op, schema).get("properties", {})
        required = body_schema(op, schema).get("required", [])
        base = {name: plausible(props[name]) for name in required if name in props}
        for field, label in BODY_IDS.items():
            if field not in props:
                continue
            tried += 1
            bodies = {
                "firm B": {**base, field: objects[label].pk},
                "missing": {**base, field: int(MISSING_ID)},
            }
            answers = {}
            for which, body in bodies.items():
                response = Client().post(
                    op.path,
                    data=json.dumps(body),
                    content_type="application/json",
                    HTTP_AUTHORIZATION=f"Bearer {secret}",
                )
                text = response.content.decode().replace(str(body[field]), "ID")
                answers[which] = (response.status_code, text)
            if answers["firm B"] != answers["missing"] or 200 <= answers["firm B"][0] < 300:
                failures.append(f"{op} with {field}: firm B {answers['firm B']}, "
                                f"missing {answers['missing']}")  # fmt: skip
    assert tried >= 1
    assert not failures, "\n".join(failures)
    assert firm_checksum(world_b.firm) == before, "firm B's data changed"


@pytest.mark.parametrize("who", ["read-only token", "compliance"])
def test_unsafe_operations_are_refused(who, schema, world_a):
    objects = api_objects(world_a)
    if who == "compliance":
        secret = make_token(world_a.compliance, TokenScope.WRITE)
    else:
        secret = make_token(world_a.admin, TokenScope.READ)
    before = firm_checksum(world_a.firm)
    failures, checked = [], 0
    for op in operations(schema):
        if not op.unsafe:
            continue
        response = call(op, fill(op, objects), secret)
        checked += 1
        if response.status_code != 403:
            failures.append(f"{op}: {response.status_code}, not 403")
        elif "detail" not in json.loads(response.content):
            failures.append(f"{op}: a 403 without a JSON error")
    assert checked >= 1
    assert not failures, f"{who}:\n" + "\n".join(failures)
    assert firm_checksum(world_a.firm) == before, "a refused request changed the firm"


@pytest.mark.parametrize(
    ("persona", "auth"), [("client", "session"), ("client", "token"), ("advisor", "token")]
)
def test_a_household_outside_ones_book_is_never_shown(persona, auth, schema, world_a):
    """A client sees their own household only (with the portal's session, or a token that
    outlived a role change); an advisor their book (primary or team)."""
    neighbours = api_objects(other_household_world(world_a))
    membership = getattr(world_a, persona)
    secret, session = None, None
    if auth == "token":
        secret = make_token(membership, TokenScope.READ)
    else:
        session = factories.log_in(Client(), membership.user)
    markers = NEIGHBOUR_MARKERS
    if persona == "advisor":  # on the team household's team
        markers = tuple(m for m in markers if m != "Alpha Team Household")
    failures = []
    for op in operations(schema):
        if op.unsafe:
            continue
        path = fill(op, neighbours) if op.params else op.path
        response = call(op, path, secret, session)
        if in_a_household(op, neighbours) and response.status_code not in (403, 404):
            failures.append(f"{op}: another household's row gives {response.status_code}")
        if leaked := shows(response, markers):
            failures.append(f"{op}: shows another household ({leaked})")
        if response.status_code >= 500:
            failures.append(f"{op}: {response.status_code}")
    assert not failures, f"{persona}:\n" + "\n".join(failures)


def test_a_client_sees_their_own_household(world_a):
    """The check above could fail: the neighbour markers are in what firm A's admin sees."""
    secret = make_token(world_a.admin, TokenScope.READ)
    other_household_world(world_a)
    response = Client().get("/api/v1/households/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
    assert shows(response, NEIGHBOUR_MARKERS)


@pytest.mark.parametrize("credentials", ["none", "wrong token"])
def test_anonymous_gets_401(credentials, schema, world_b):
    objects = api_objects(world_b)
    secret = "blt_wrongwrongwrongwrongwrongwrong" if credentials == "wrong token" else None
    failures = []
    for op in operations(schema):
        response = call(op, fill(op, objects), secret)
        # No credentials: 401 (DRF answers 403 only without a WWW-Authenticate scheme).
        allowed = (401, 403) if secret is None else (401,)
        if response.status_code not in allowed:
            failures.append(f"{op}: {response.status_code}, not {allowed}")
        elif shows(response, B_MARKERS):
            failures.append(f"{op}: a 401 that shows firm B")
    assert not failures, f"{credentials}:\n" + "\n".join(failures)


def test_firm_b_markers_are_in_firm_b_answers(world_b):
    """The leak checks above could fail: firm B's own admin does see the markers."""
    secret = make_token(world_b.admin, TokenScope.READ)
    response = Client().get("/api/v1/households/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
    assert shows(response, B_MARKERS)
