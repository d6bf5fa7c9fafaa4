"""Every route × every firm-A role × firm B's ids: nothing of firm B gets out.

The routes come from walking the URLconf, not from a hand-kept list, so a
route added later is covered without touching this file. A route with a
parameter tests/urlwalk.py has no fixture for fails the test, so nothing slips past.
"""

from __future__ import annotations

import hashlib

import pytest
from django.core import serializers
from django.test import Client
from django_scopes import scopes_disabled

from advisory.models import AuditEvent
from advisory.tenancy import firm_owned_models
from tests import factories
from tests.urlwalk import NoFixture, Route, build_path, firm_objects, kwargs_for, walk

# Strings that appear only in firm B's data (see tests.factories.firm_world).
B_MARKERS = ("ZetaSecret", "zeta.example", "ZETA-100")


def firm_checksum(firm) -> str:
    """A digest of every firm-owned row of a firm, to prove nothing changed."""
    digest = hashlib.sha256()
    with scopes_disabled():
        for model in sorted(firm_owned_models(), key=lambda m: m._meta.label):
            rows = model.objects.filter(firm=firm).order_by("pk")
            digest.update(serializers.serialize("json", rows).encode())
    return digest.hexdigest()


def test_every_route_parameter_has_a_fixture(world_a, world_b):
    objects = firm_objects(world_b)
    missing = []
    for route in walk():
        try:
            kwargs_for(route, world_b, objects)
        except NoFixture as exc:
            missing.append(str(exc))
    assert not missing, "routes without fixtures:\n" + "\n".join(missing)


def test_unknown_parameter_fails_the_walk(world_b):
    route = Route("widgets/<int:widget_id>/", "widget", ("widget_id",), ())
    with pytest.raises(NoFixture, match="widget_id"):
        kwargs_for(route, world_b, {})


PERSONAS = ("anonymous", "admin", "advisor", "compliance", "client")


@pytest.mark.parametrize("persona", PERSONAS)
def test_firm_a_roles_never_reach_firm_b(persona, world_a, world_b):
    objects = firm_objects(world_b)
    before = firm_checksum(world_b.firm)
    with scopes_disabled():
        b_events = AuditEvent.objects.filter(firm=world_b.firm).count()
    failures: list[str] = []
    checked = 0
    for route in walk():
        kwargs, targets_b = kwargs_for(route, world_b, objects)
        path = build_path(route, kwargs)
        for method in ("get", "post"):
            client = Client()
            if persona != "anonymous":
                factories.log_in(client, getattr(world_a, persona).user)
            response = getattr(client, method)(path)
            checked += 1
            body = response.content.decode(errors="replace")
            leaked = [m for m in B_MARKERS if m in body]
            if leaked:
                failures.append(f"{method.upper()} {path}: body shows firm B ({leaked})")
            if response.status_code >= 500:
                failures.append(f"{method.upper()} {path}: {response.status_code}")
            if not targets_b:
                continue
            if persona == "anonymous" and path.startswith("/api/"):
                # The API answers for itself (JSON), it does not send a caller to a login page.
                if response.status_code != 401:
                    failures.append(
                        f"{method.upper()} {path}: anonymous got {response.status_code}"
                    )
            elif persona == "anonymous":
                location = response.get("Location", "")
                if not (response.status_code == 302 and "/auth/login/" in location):
                    failures.append(
                        f"{method.upper()} {path}: anonymous got {response.status_code} "
                        f"{location!r}, not a login redirect"
                    )
            elif response.status_code not in (403, 404, 405):
                # 405: a read-only page refuses the method whatever the id, so it says nothing
                failures.append(f"{method.upper()} {path}: {response.status_code}, not 403/404/405")
    assert checked > 100
    assert not failures, f"{persona}:\n" + "\n".join(failures)
    assert firm_checksum(world_b.firm) == before, "firm B's data changed"
    with scopes_disabled():
        assert AuditEvent.objects.filter(firm=world_b.firm).count() == b_events


def test_checksum_sees_a_change(world_b):
    """The checksum above would notice a write to firm B."""
    before = firm_checksum(world_b.firm)
    with scopes_disabled():
        world_b.household.name = "changed"
        world_b.household.save()
    assert firm_checksum(world_b.firm) != before


def test_markers_are_in_firm_b_pages(world_b, login):
    """The leak check could fail: firm B's own advisor does see the markers."""
    client = login(world_b.advisor)
    body = client.get(f"/households/{world_b.household.pk}/").content.decode()
    assert "ZetaSecret" in body
