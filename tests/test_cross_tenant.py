"""Every route × every firm-A role × firm B's ids: nothing of firm B gets out.

The routes come from walking the URLconf, not from a hand-kept list, so a
route added later is covered without touching this file. A route with a
parameter this file has no fixture for fails the test, so nothing slips past.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.test import Client
from django_scopes import scopes_disabled

from advisory.audit import record
from advisory.models import AuditEvent
from advisory.tenancy import FirmOwned, firm_owned_models
from portfolios.models import (
    AssetClass,
    DriftRun,
    Price,
    Proposal,
    ProposalBatch,
    ProposalBatchItem,
    ProposedTrade,
    Security,
    TargetEquivalent,
)
from reports.models import ArchivedReport, Disclosure, DisclosureVersion, ReportBatch
from tests import factories
from tests.urlwalk import Route, build_path, walk

# Strings that appear only in firm B's data (see tests.factories.firm_world).
B_MARKERS = ("ZetaSecret", "zeta.example", "ZETA-100")

# Parameters that carry no firm data: any value will do.
NEUTRAL_PARAMS = {
    "app_label": "advisory",
    "key": "not-a-real-key",
    "uidb36": "zz",
    "url": "no-such-page/",
}


class NoFixture(AssertionError):
    pass


def admin_model_of(route: Route) -> str:
    """'admin/advisory/household/<path:object_id>/change/' → 'advisory.household'."""
    parts = route.pattern.split("/")
    return f"{parts[1]}.{parts[2]}"


def b_objects(b) -> dict[str, object]:
    """One firm-B instance per firm-owned model the admin can address."""
    with scopes_disabled():
        event = record(firm=b.firm, action="household.viewed", object_repr="ZetaSecret event")
        equivalent = TargetEquivalent.objects.create(
            firm=b.firm, target=b.target, security=Security.objects.first()
        )
        run = DriftRun.objects.create(firm=b.firm, as_of=dt.date(2025, 12, 31))
        proposal = Proposal.objects.create(
            firm=b.firm,
            household=b.household,
            mode="to_target",
            author=b.advisor.user,
            inputs_fingerprint="0" * 64,
            as_of=dt.date(2025, 12, 31),
        )
        batch = ProposalBatch.objects.create(
            firm=b.firm,
            requested_by=b.advisor.user,
            mode="to_target",
            as_of=dt.date(2025, 12, 31),
            drift_as_of=dt.date(2025, 12, 31),
            total=1,
        )
        ProposalBatchItem.objects.create(
            firm=b.firm, batch=batch, household=b.household, position=0
        )
        trade = ProposedTrade.objects.create(
            firm=b.firm,
            proposal=proposal,
            account=b.account,
            security=b.lot.security,
            side="sell",
            quantity=1,
            price=1,
            value=1,
        )
        disclosure = Disclosure.objects.create(
            firm=b.firm, key="not-advice", title="ZetaSecret disclaimer"
        )
        version = DisclosureVersion.objects.create(
            firm=b.firm,
            disclosure=disclosure,
            number=1,
            text="ZetaSecret wording",
            author=b.admin.user,
        )
        report = ArchivedReport.objects.create(
            firm=b.firm,
            household=b.household,
            report_type="household",
            period_start=dt.date(2025, 12, 1),
            period_end=dt.date(2025, 12, 31),
            as_of=dt.date(2025, 12, 31),
            file=f"reports/{b.firm.pk}/zetasecret.pdf",
            sha256="0" * 64,
            size=0,
            data={},
            template_version="household-1",
            weasyprint_version="0",
            generated_by=b.advisor.user,
            generated_at=dt.datetime(2026, 1, 2, tzinfo=dt.UTC),
        )
        report_batch = ReportBatch.objects.create(
            firm=b.firm,
            requested_by=b.advisor.user,
            scope="book",
            period_start=dt.date(2025, 12, 1),
            period_end=dt.date(2025, 12, 31),
            total=0,
        )
    return {
        "advisory.household": b.household,
        "advisory.client": b.client_person,
        "advisory.account": b.account,
        "advisory.membership": b.advisor,
        "advisory.auditevent": event,
        "portfolios.modelportfolio": b.model,
        "portfolios.target": b.target,
        "portfolios.targetequivalent": equivalent,
        "portfolios.taxlot": b.lot,
        "portfolios.driftrun": run,
        "portfolios.proposal": proposal,
        "portfolios.proposedtrade": trade,
        "portfolios.proposalbatch": batch,
        "reports.disclosure": disclosure,
        "reports.disclosureversion": version,
        "reports.archivedreport": report,
        "reports.reportbatch": report_batch,
        # Shared reference data belongs to no firm: any row.
        "portfolios.assetclass": AssetClass.objects.first(),
        "portfolios.security": Security.objects.first(),
        "portfolios.price": Price.objects.first(),
    }


def kwargs_for(route: Route, b, objects: dict[str, object]) -> tuple[dict[str, str], bool]:
    """Values for a route's parameters, and whether they point at firm B's data."""
    kwargs: dict[str, str] = {}
    targets_b = False
    for param in route.params:
        if param == "household_id":
            kwargs[param], targets_b = str(b.household.pk), True
        elif param == "account_id":
            kwargs[param], targets_b = str(b.account.pk), True
        elif param == "run_id":
            kwargs[param], targets_b = str(objects["portfolios.driftrun"].pk), True
        elif param == "proposal_id":
            kwargs[param], targets_b = str(objects["portfolios.proposal"].pk), True
        elif param == "batch_id":
            kwargs[param], targets_b = str(objects["portfolios.proposalbatch"].pk), True
        elif param == "trade_id":
            kwargs[param], targets_b = str(objects["portfolios.proposedtrade"].pk), True
        elif param == "disclosure_id":
            kwargs[param], targets_b = str(objects["reports.disclosure"].pk), True
        elif param == "version_id":
            kwargs[param], targets_b = str(objects["reports.disclosureversion"].pk), True
        elif param == "report_id":
            kwargs[param], targets_b = str(objects["reports.archivedreport"].pk), True
        elif param == "report_batch_id":
            kwargs[param], targets_b = str(objects["reports.reportbatch"].pk), True
        elif param == "content_type_id":
            kwargs[param] = str(ContentType.objects.get_for_model(b.household).pk)
        elif param == "object_id" and route.name == "admin:view_on_site":
            kwargs[param], targets_b = str(b.household.pk), True
        elif param == "object_id" and route.pattern.startswith("admin/"):
            label = admin_model_of(route)
            if label not in objects or objects[label] is None:
                raise NoFixture(f"no firm-B fixture for admin model {label} ({route.pattern})")
            obj = objects[label]
            kwargs[param] = str(obj.pk)
            targets_b = isinstance(obj, FirmOwned)
        elif param in NEUTRAL_PARAMS:
            kwargs[param] = NEUTRAL_PARAMS[param]
        else:
            raise NoFixture(f"route {route.pattern!r} has parameter {param!r} with no fixture")
    return kwargs, targets_b


def firm_checksum(firm) -> str:
    """A digest of every firm-owned row of a firm, to prove nothing changed."""
    digest = hashlib.sha256()
    with scopes_disabled():
        for model in sorted(firm_owned_models(), key=lambda m: m._meta.label):
            rows = model.objects.filter(firm=firm).order_by("pk")
            digest.update(serializers.serialize("json", rows).encode())
    return digest.hexdigest()


def test_every_route_parameter_has_a_fixture(world_a, world_b):
    objects = b_objects(world_b)
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
    objects = b_objects(world_b)
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
            if persona == "anonymous":
                location = response.get("Location", "")
                if not (response.status_code == 302 and "/auth/login/" in location):
                    failures.append(
                        f"{method.upper()} {path}: anonymous got {response.status_code} "
                        f"{location!r}, not a login redirect"
                    )
            elif response.status_code not in (403, 404):
                failures.append(f"{method.upper()} {path}: {response.status_code}, not 403/404")
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
