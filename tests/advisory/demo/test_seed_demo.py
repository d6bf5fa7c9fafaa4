"""The demo: enough data, two isolated firms, idempotent, and every login works."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from django_scopes import scopes_disabled

from advisory.audit import verify_chain
from advisory.demo import DEMO_PASSWORD
from advisory.models import Account, Firm, Household, Invitation, Membership
from advisory.tenancy import firm_scope
from portfolios.models import (
    ColumnMapping,
    Execution,
    Fill,
    ModelVersion,
    Price,
    PriceFeedRun,
    Proposal,
    Restriction,
    Security,
    TaxLot,
)
from portfolios.proposals.workflow import is_stale
from portfolios.valuation import allocation_by_class, value_accounts
from reports.models import ArchivedReport

ROLE_HOME = {
    "admin": "/",
    "advisor": "/",
    "compliance": "/compliance/",
    "client": "/portal/",
}


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), scopes_disabled():
        call_command("seed_demo")
    yield
    with django_db_blocker.unblock(), scopes_disabled():
        # Module-scoped data outlives the per-test transactions: remove it,
        # audit rows included (TRUNCATE is the one way past the append-only
        # trigger, and only the test database does it).
        from django.core.management import call_command as cc

        cc("flush", interactive=False)


def counts() -> dict[str, int]:
    with scopes_disabled():
        return {
            "firms": Firm.objects.count(),
            "households": Household.objects.count(),
            "accounts": Account.objects.count(),
            "lots": TaxLot.objects.count(),
            "prices": Price.objects.count(),
            "memberships": Membership.objects.count(),
        }


@pytest.mark.django_db
def test_demo_has_what_the_issue_asks_for(seeded):
    c = counts()
    assert c["firms"] == 2
    assert c["households"] >= 40
    assert c["accounts"] >= 100
    with scopes_disabled():
        registrations = set(Account.objects.values_list("registration", flat=True))
        symbols = set(Security.objects.values_list("symbol", flat=True))
        iwm_record = Price.objects.get(security__symbol="IWM", date=dt.date(2025, 12, 5))
        first, last = (
            Price.objects.order_by("date").first().date,
            Price.objects.order_by("-date").first().date,
        )
    assert {"individual", "joint", "roth_ira", "traditional_ira", "401k"} <= registrations
    assert {"SPY", "VOO", "QQQ", "IWM", "VB", "IJR", "VBR", "VXUS", "BND", "AGG"} <= symbols
    assert iwm_record.close == Decimal("251.82") and iwm_record.source == "sample"
    assert first <= dt.date(2024, 1, 2) and last >= dt.date(2025, 12, 31)


@pytest.mark.django_db
def test_seeding_twice_creates_nothing_new(seeded):
    before = counts()
    call_command("seed_demo")
    assert counts() == before


@pytest.mark.django_db
def test_many_households_are_heavy_large_cap_and_light_small_cap(seeded):
    firm = Firm.objects.get(slug="harbor-point")
    drifted = 0
    with firm_scope(firm):
        households = list(
            Household.objects.select_related("model").prefetch_related("accounts", "model__targets")
        )
        for household in households:
            targets = {t.asset_class.name: t.weight for t in household.model.targets.all()}
            valuations = value_accounts(household.accounts.all())
            weights = {c.name: c.weight for c in allocation_by_class(valuations.values())}
            heavy_large = weights["US large cap"] - targets["US large cap"] > 5
            light_small = weights["US small cap"] < targets["US small cap"] * Decimal("0.75")
            drifted += heavy_large and light_small
    # Heavy in large caps by more than 5 points and light in small caps by
    # more than 25% of target: outside a 5/25 band on both sides.
    assert drifted >= len(households) // 2


@pytest.mark.django_db
def test_demo_audit_chains_verify(seeded):
    for firm in Firm.objects.all():
        assert verify_chain(firm).ok


@pytest.mark.django_db
@pytest.mark.parametrize(
    "email",
    [
        "admin@harborpoint.example",
        "advisor@harborpoint.example",
        "advisor2@harborpoint.example",
        "advisor3@harborpoint.example",
        "compliance@harborpoint.example",
        "client@harborpoint.example",
        "admin@summitridge.example",
        "advisor@summitridge.example",
        "compliance@summitridge.example",
        "client@summitridge.example",
    ],
)
def test_every_demo_login_reaches_its_role_home(seeded, email):
    client = Client()
    response = client.post("/auth/login/", {"login": email, "password": DEMO_PASSWORD}, follow=True)
    assert response.status_code == 200
    with scopes_disabled():
        role = Membership.objects.get(user__email=email).role
    final_path = response.redirect_chain[-1][0]
    assert final_path.startswith(ROLE_HOME[role]), (email, final_path)
    if role in ("admin", "advisor"):
        assert "Household" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("email", ["client@harborpoint.example", "client@summitridge.example"])
def test_each_demo_client_has_a_released_report_to_download(seeded, email):
    client = Client()
    client.post("/auth/login/", {"login": email, "password": DEMO_PASSWORD})
    documents = client.get("/portal/documents/").content.decode()
    assert "Household report, December 2025" in documents
    with scopes_disabled():
        report = ArchivedReport.objects.get(household__clients__user__email=email)
        assert report.release.released_by is not None
    response = client.get(f"/portal/documents/{report.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


@pytest.mark.django_db
def test_the_demo_shows_four_eyes_both_ways(seeded):
    """Per firm: one proposal below the self-approval threshold approved by its author (then
    exported and executed), one above it submitted and waiting for someone else."""
    with scopes_disabled():
        for firm in Firm.objects.all():
            below = firm.self_approval_below
            assert below is not None
            proposals = list(Proposal.objects.filter(firm=firm))
            [mine] = [p for p in proposals if p.state == "executed"]
            [waiting] = [p for p in proposals if p.state == "submitted"]
            assert mine.approved_by_id == mine.author_id and mine.trade_value < below
            assert waiting.approved_by_id is None and waiting.trade_value >= below


@pytest.mark.django_db
def test_the_demo_shows_a_firms_week(seeded):
    """Per firm (issue 12): a model with two versions, restrictions in force, an executed
    proposal whose fills moved lots, a pending and an accepted invitation, a saved column
    mapping; and one price feed run on the platform. Open proposals are not stale."""
    with scopes_disabled():
        assert PriceFeedRun.objects.count() == 1
        for firm in Firm.objects.all():
            with firm_scope(firm):
                assert ModelVersion.objects.filter(number=2, state="live").exists()
                assert Restriction.objects.filter(lifted_at=None, side="sell").exists()
                execution = Execution.objects.get()
                assert execution.proposal.state == "executed"
                assert Fill.objects.filter(execution=execution).exists()
                assert Invitation.objects.filter(accepted_at=None).count() == 1
                assert Invitation.objects.exclude(accepted_at=None).count() == 1
                assert ColumnMapping.objects.filter(version=2, is_current=True).exists()
                for waiting in Proposal.objects.filter(state="submitted"):
                    assert not is_stale(waiting), f"demo proposal #{waiting.pk} is stale"
