"""Every route of the URLconf, walked as a signed-in client of firm A.

A client may read their own portal pages and nothing else: every staff page is refused
(403; the Django admin sends them to sign in as someone else), every non-GET on a portal page is
refused (405), and ids of another household or another firm are a 404 on every portal page.
The routes come from walking the URLconf, so a route added later is covered automatically.
Their own sign-in and security pages (``auth/``: password, two-factor, sign out) are theirs
to use and are left out, as is the home page, which sends a client to the portal.
"""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django_scopes import scopes_disabled

from reports.models import ReportRelease
from tests import factories
from tests.urlwalk import build_path, firm_objects, kwargs_for, walk

# Pages anyone reaches by themselves: sign-in and account pages, invitation links.
SELF_SERVICE = ("auth/", "join/")
# Probes for load balancers and Prometheus: no login, no firm data (tests/advisory/health).
OPERATIONS = ("healthz", "readyz", "metrics")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def kind_of(pattern: str) -> str:
    if pattern.startswith(SELF_SERVICE):
        return "self-service"
    if pattern == "":
        return "home"
    if pattern in OPERATIONS:
        return "operations"
    if pattern.startswith("portal/"):
        return "portal"
    if pattern.startswith("admin/"):
        return "admin"
    if pattern.startswith("api/"):
        return "api"  # the API's own walk covers clients there (tests/api/test_api_walk.py)
    return "staff"


def close_file(response) -> None:
    """Read a download to its end: the test client then closes its file."""
    if response.streaming:
        b"".join(response.streaming_content)


def released(objects) -> None:
    """Give firm A's walk report a file and a release: the client's own document."""
    report = objects["reports.archivedreport"]
    default_storage.save(report.file.name, ContentFile(b"%PDF-1.7 walk"))
    with scopes_disabled():
        ReportRelease.objects.create(
            firm=report.firm, report=report, released_at=report.generated_at
        )


def test_the_walk_sees_the_portal_routes():
    kinds = {kind_of(r.pattern) for r in walk()}
    portal = [r.pattern for r in walk() if kind_of(r.pattern) == "portal"]
    assert kinds == {"self-service", "home", "portal", "admin", "staff", "api", "operations"}
    assert len(portal) == 4


def test_a_client_reaches_only_their_portal(world_a, world_b, login):
    objects = firm_objects(world_a)  # ids of the client's own household and firm
    released(objects)
    client = login(world_a.client)
    failures: list[str] = []
    portal_gets = 0
    for route in walk():
        kind = kind_of(route.pattern)
        if kind in ("self-service", "api", "operations"):
            continue
        kwargs, _ = kwargs_for(route, world_a, objects)
        path = build_path(route, kwargs)
        get, post = client.get(path), client.post(path)
        close_file(get)
        if kind == "portal":
            portal_gets += 1
            if get.status_code != 200:
                failures.append(f"GET {path}: {get.status_code}, not 200 (their own)")
            if "no-store" not in get.get("Cache-Control", ""):
                failures.append(f"GET {path}: cacheable ({get.get('Cache-Control')!r})")
            if post.status_code != 405:
                failures.append(f"POST {path}: {post.status_code}, not 405")
        elif kind == "home":
            if get.status_code != 302 or get["Location"] != "/portal/":
                failures.append(f"GET {path}: {get.status_code}, not a redirect to the portal")
            if post.status_code != 405:
                failures.append(f"POST {path}: {post.status_code}, not 405")
        elif kind == "admin":
            for method, response in (("GET", get), ("POST", post)):
                to_login = response.status_code == 302 and "login/" in response["Location"]
                if not (to_login or response.status_code in (403, 404)):
                    failures.append(f"{method} {path}: {response.status_code}, not refused")
        else:
            for method, response in (("GET", get), ("POST", post)):
                if response.status_code != 403:
                    failures.append(f"{method} {path}: {response.status_code}, not 403")
    assert portal_gets == 4
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    "path",
    [
        "/portal/accounts/{other_household_account}/",
        "/portal/accounts/{other_firm_account}/",
        "/portal/documents/{other_household_report}/",
        "/portal/documents/{other_firm_report}/",
        "/portal/accounts/999999999/",
        "/portal/documents/999999999/",
    ],
)
def test_another_households_or_firms_objects_are_404(path, world_a, world_b, login):
    ids = {
        "other_household_account": world_a.other_account.pk,
        "other_firm_account": world_b.account.pk,
        "other_household_report": factories.stored_report(world_a.other_household).pk,
        "other_firm_report": factories.stored_report(world_b.household).pk,
    }
    response = login(world_a.client).get(path.format(**ids))
    assert response.status_code == 404
    assert "ZetaSecret" not in response.content.decode()
