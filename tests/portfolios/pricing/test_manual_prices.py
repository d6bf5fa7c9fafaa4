"""Manual prices belong to one firm; prices from files are shared by all firms."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django_scopes import scopes_disabled

from advisory.models import AuditEvent
from advisory.tenancy import firm_scope
from portfolios.drift import runs as drift_runs
from portfolios.drift.loading import _orm_frames
from portfolios.models import DriftSnapshot, Price
from portfolios.pricing import enter_price
from portfolios.valuation import latest_prices, pricing_date, value_accounts
from tests import factories

# The fixtures price VOO at 512.34 on 2025-12-31 (a shared source). Firm B's
# admin types a close for a later day; firm A must still see 512.34.
LATER = dt.date(2026, 1, 2)
A_TOTAL = Decimal("10") * Decimal("512.34") + Decimal("1000.00")  # 10 VOO + cash
B_TOTAL = Decimal("10") * Decimal("600") + Decimal("1000.00")


@pytest.fixture
def b_manual(world_a, world_b, voo):
    return enter_price("VOO", LATER, "600", firm=world_b.firm, entered_by=world_b.admin.user)


def account_total(world) -> Decimal:
    with firm_scope(world.firm):
        return value_accounts([world.account])[world.account.pk].total


def drift_value(world, as_of: dt.date = LATER) -> Decimal:
    run, created = drift_runs.start_run(world.firm, as_of)
    assert created
    run = drift_runs.process_inline(run)
    assert run.state == "complete", run.errors
    with firm_scope(world.firm):
        return DriftSnapshot.objects.get(kind="account", subject_id=world.account.pk).market_value


def test_the_manual_price_is_stored_under_the_firm(b_manual, world_b):
    assert b_manual.source == "manual:zeta"
    with scopes_disabled():
        events = AuditEvent.objects.filter(action="price.entered")
        assert [(e.firm_id, e.object_id) for e in events] == [(world_b.firm.pk, str(b_manual.pk))]


def test_another_firms_manual_price_does_not_change_valuation(b_manual, world_a, world_b):
    assert account_total(world_a) == A_TOTAL
    assert account_total(world_b) == B_TOTAL
    with firm_scope(world_a.firm):
        assert pricing_date() == dt.date(2025, 12, 31)  # B's later day does not move it
        holding = value_accounts([world_a.account])[world_a.account.pk].holdings[0]
    assert (holding.price.source, holding.stale) == ("test", False)
    with firm_scope(world_b.firm):
        assert pricing_date() == LATER


def test_latest_prices_without_a_firm_ignores_every_manual_price(
    b_manual, world_a, world_b, voo, django_assert_num_queries
):
    assert latest_prices([voo.pk], LATER)[voo.pk].close == Decimal("512.34")
    assert latest_prices([voo.pk], LATER, world_a.firm.pk)[voo.pk].close == Decimal("512.34")
    with django_assert_num_queries(1):  # the firm's slug is a subquery, not a second query
        assert latest_prices([voo.pk], LATER, world_b.firm.pk)[voo.pk].close == Decimal("600")
    # A bare "manual" row (from before prices were per firm) counts for nobody.
    factories.price(voo, "999", LATER, source="manual")
    assert latest_prices([voo.pk], LATER, world_a.firm.pk)[voo.pk].close == Decimal("512.34")


def test_another_firms_manual_price_does_not_change_drift(b_manual, world_a, world_b):
    assert drift_value(world_a) == A_TOTAL
    assert drift_value(world_b) == B_TOTAL


def test_the_orm_loader_applies_the_same_rule(b_manual, world_a, world_b):
    """The SQLite demo's path (the COPY path is covered by the drift runs above)."""
    for world, close in ((world_a, "512.34"), (world_b, "600")):
        with firm_scope(world.firm):
            positions, _ = _orm_frames(world.firm.pk, LATER, 0, 2**62)
        assert [Decimal(str(c)) for c in positions["close"]] == [Decimal(close)]


def test_shared_prices_count_for_both_firms(b_manual, world_a, world_b, voo):
    factories.price(voo, "520.00", LATER + dt.timedelta(days=1), source="vendor-x")
    shared = Decimal("10") * Decimal("520.00") + Decimal("1000.00")
    assert account_total(world_a) == shared
    assert account_total(world_b) == shared
    as_of = LATER + dt.timedelta(days=1)
    assert drift_value(world_a, as_of) == shared
    assert drift_value(world_b, as_of) == shared


def test_a_firms_own_manual_price_counts_for_it(world_a, world_b, voo):
    enter_price("VOO", LATER, "700", firm=world_a.firm, entered_by=world_a.admin.user)
    assert account_total(world_a) == Decimal("8000.00")
    assert account_total(world_b) == A_TOTAL  # the same book at the shared price


def test_an_admin_of_one_firm_cannot_enter_a_price_for_another(world_a, world_b):
    with pytest.raises(PermissionDenied):
        enter_price("VOO", LATER, "1", firm=world_b.firm, entered_by=world_a.admin.user)
    assert not Price.objects.filter(source__startswith="manual").exists()
    with scopes_disabled():
        assert not AuditEvent.objects.filter(action="price.entered").exists()


@pytest.mark.parametrize("role", ["advisor", "compliance", "client"])
def test_other_roles_cannot_enter_prices(world_a, role):
    with pytest.raises(PermissionDenied):
        enter_price("VOO", LATER, "1", firm=world_a.firm, entered_by=getattr(world_a, role).user)
    assert not Price.objects.filter(source__startswith="manual").exists()


def test_an_inactive_admin_cannot_enter_prices(world_a):
    with firm_scope(world_a.firm):
        world_a.admin.is_active = False
        world_a.admin.save()
    with pytest.raises(PermissionDenied):
        enter_price("VOO", LATER, "1", firm=world_a.firm, entered_by=world_a.admin.user)


def test_the_admin_price_list_hides_another_firms_manual_prices(b_manual, world_a, world_b, login):
    client = login(world_a.admin)
    body = client.get("/admin/portfolios/price/").content.decode()
    assert "512.34" in body  # shared
    assert "manual:zeta" not in body
    change = client.get(f"/admin/portfolios/price/{b_manual.pk}/change/")
    assert change.status_code in (302, 404)
    client = login(world_b.admin)
    assert "manual:zeta" in client.get("/admin/portfolios/price/").content.decode()
