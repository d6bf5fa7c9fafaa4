"""The client portal's pages: what a client sees, in their words, and what is kept from them.

Every page is read as the client would: signed in over the test client, the HTML searched
for figures and words.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from advisory.models import Account
from advisory.tenancy import firm_scope
from portfolios.models import DriftSnapshot, TaxLot
from reports.report_build import build_household_report
from tests import factories

# Words of the advisor's trade a client page must never show.
INTERNAL_TERMS = ("drift", "band", "breach", "proposal", "notes", "rebalance", "tax lot")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def text_of(response) -> str:
    """The page's visible text, roughly: tags dropped, whitespace collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def events(world, action):
    return factories.firm_events(world.firm, action)


def snapshot(world, account, day, value):
    with firm_scope(world.firm):
        DriftSnapshot.objects.create(
            firm=world.firm,
            kind="account",
            subject_id=account.pk,
            household=account.household,
            account=account,
            as_of=day,
            status="in_band",
            market_value=Decimal(value),
            cash_value=Decimal("0"),
            computed_at=timezone.now(),
        )


def test_overview_shows_value_accounts_target_and_advisor(world_a, world_b, login):
    client = login(world_a.client)
    response = client.get("/portal/")
    assert response.status_code == 200
    text = text_of(response)
    assert "Alpha Household" in text
    assert "$6,123.40" in text  # 10 VOO at 512.34 + 1,000.00 cash
    assert "Alpha Brokerage" in text and world_a.account.masked_number in text
    assert "Alpha Other IRA" not in text  # another household's account
    assert "Your mix and your target" in text
    assert "advisor@alpha.example" in text
    assert "ZetaSecret" not in text


def test_overview_change_over_the_period_from_stored_values(world_a, login):
    snapshot(world_a, world_a.account, dt.date(2025, 6, 30), "5000.00")
    snapshot(world_a, world_a.account, dt.date(2025, 9, 30), "5500.00")
    client = login(world_a.client)
    year = text_of(client.get("/portal/?period=ytd"))
    # 6,123.40 now against 5,000.00 on the first stored day of the year.
    assert "+$1,123.40" in year and "+22.5%" in year and "June 30, 2025" in year
    assert "including money added or withdrawn" in year
    quarter = text_of(client.get("/portal/?period=3m"))  # prices as of Dec 31: from Sep 30
    assert "+$623.40" in quarter and "September 30, 2025" in quarter
    assert "Your value over time" in year


def test_a_partial_day_is_not_a_loss(world_a, login):
    """A day on which only some of the client's accounts have a stored value is skipped."""
    with firm_scope(world_a.firm):
        second = Account.objects.create(
            firm=world_a.firm,
            household=world_a.household,
            name="Alpha Roth",
            registration="roth_ira",
            tax_status="tax_exempt",
            custodian="schwab",
            account_number="ALPHA-3001",
            cash_balance=Decimal("100.00"),
        )
    snapshot(world_a, world_a.account, dt.date(2025, 3, 31), "4000.00")  # second has none
    snapshot(world_a, world_a.account, dt.date(2025, 6, 30), "5000.00")
    snapshot(world_a, second, dt.date(2025, 6, 30), "100.00")
    text = text_of(login(world_a.client).get("/portal/?period=ytd"))
    assert "June 30, 2025" in text and "+$1,123.40" in text  # 6,223.40 - 5,100.00


def test_portal_pages_speak_plainly(world_a, login):
    factories.stored_report(world_a.household)
    client = login(world_a.client)
    for path in ("/portal/", f"/portal/accounts/{world_a.account.pk}/", "/portal/documents/"):
        text = text_of(client.get(path)).lower()
        found = [term for term in INTERNAL_TERMS if term in text]
        assert not found, f"{path} shows {found}"
        assert "cost" not in text


def test_account_page_lists_holdings_without_lots(world_a, login):
    response = login(world_a.client).get(f"/portal/accounts/{world_a.account.pk}/")
    text = text_of(response)
    assert "VOO" in text and "10 shares at $512.34" in text
    assert "$5,123.40" in text and "$1,000.00" in text  # holding, cash
    assert "83.7%" in text  # 5,123.40 of 6,123.40
    assert "4,000" not in text  # the lot's cost basis


def test_cost_basis_when_the_firm_shows_it(world_a, login):
    world_a.firm.portal_shows_cost_basis = True
    world_a.firm.save()
    text = text_of(login(world_a.client).get(f"/portal/accounts/{world_a.account.pk}/"))
    assert "Cost $4,000.00" in text and "+$1,123.40" in text


def test_documents_lists_released_reports_newest_first(world_a, login):
    november = factories.stored_report(world_a.household, month=11)
    december = factories.stored_report(world_a.household, month=12)
    factories.stored_report(world_a.household, month=10, released=False)
    response = login(world_a.client).get("/portal/documents/")
    text = text_of(response)
    assert text.index("December 2025") < text.index("November 2025")
    assert "October 2025" not in text
    html = response.content.decode()
    assert (
        f"/portal/documents/{december.pk}/" in html and f"/portal/documents/{november.pk}/" in html
    )


def test_a_correction_is_marked_and_so_is_what_it_replaces(world_a, login):
    first = factories.stored_report(world_a.household, month=11)
    factories.stored_report(world_a.household, month=11, supersedes=first)
    text = text_of(login(world_a.client).get("/portal/documents/"))
    assert "Corrected version" in text and "Replaced by a corrected version" in text


def test_download_serves_the_stored_file_and_is_audited(world_a, login):
    report = factories.stored_report(world_a.household, content=b"%PDF-1.7 exact bytes")
    response = login(world_a.client).get(f"/portal/documents/{report.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.7 exact bytes"
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    downloads = events(world_a, "report.downloaded")
    assert [(e.object_id, e.actor_id) for e in downloads] == [
        (str(report.pk), world_a.client.user_id)
    ]


def test_unreleased_and_other_households_reports_are_404(world_a, world_b, login):
    draft = factories.stored_report(world_a.household, released=False)
    neighbour = factories.stored_report(world_a.other_household)
    other_firm = factories.stored_report(world_b.household)
    client = login(world_a.client)
    for report in (draft, neighbour, other_firm):
        assert client.get(f"/portal/documents/{report.pk}/").status_code == 404
    assert events(world_a, "report.downloaded") == []


def test_every_page_view_is_an_audit_event(world_a, login):
    client = login(world_a.client)
    client.get("/portal/")
    client.get(f"/portal/accounts/{world_a.account.pk}/")
    client.get("/portal/documents/")
    viewed = [
        (e.action, e.object_id, e.actor_id)
        for e in factories.firm_events(world_a.firm)
        if e.action.startswith("portal.")
    ]
    assert viewed == [
        ("portal.viewed", str(world_a.household.pk), world_a.client.user_id),
        ("portal.account_viewed", str(world_a.account.pk), world_a.client.user_id),
        ("portal.documents_viewed", str(world_a.household.pk), world_a.client.user_id),
    ]


@pytest.fixture
def spouse(world_a):
    """Sam, a second client of Alpha Household who owns an IRA alone; the firm stops sharing."""
    world_a.firm.portal_shares_household = False
    world_a.firm.save()
    sam = factories.spouse(world_a)
    return sam.membership, sam.ira


def test_unshared_household_keeps_each_clients_accounts_apart(world_a, spouse, login):
    member, ira = spouse
    factories.stored_report(world_a.household)  # covers both clients' accounts
    own = text_of(login(member).get("/portal/"))
    assert "Sam Roth IRA" in own and "$777.00" in own and "Alpha Brokerage" not in own
    client = login(world_a.client)
    text = text_of(client.get("/portal/"))
    assert "Sam Roth IRA" not in text and "$777.00" not in text and "$6,123.40" in text
    assert "the accounts you own" in text
    assert client.get(f"/portal/accounts/{ira.pk}/").status_code == 404
    documents = text_of(client.get("/portal/documents/"))
    assert "December 2025" not in documents and "other members of your household" in documents
    report_id = factories.stored_report(world_a.household, month=11).pk
    assert client.get(f"/portal/documents/{report_id}/").status_code == 404


def test_staff_cannot_use_the_client_pages(world_a, login):
    for persona in ("admin", "advisor", "compliance"):
        client = login(getattr(world_a, persona))
        assert client.get("/portal/").status_code == 403


def test_a_client_without_a_household_gets_a_friendly_page(world_a, login):
    lonely = factories.member(world_a.firm, "lonely@alpha.example", "client")
    response = login(lonely).get("/portal/")
    assert response.status_code == 200
    assert "isn't linked yet" in response.content.decode()
    assert login(lonely).get("/portal/documents/").status_code == 404


def test_an_old_price_is_counted_and_marked_as_in_the_report(world_a, classes, login):
    """A holding whose latest price is old is shown with its date and counted in the value,
    as the report PDF counts it, so the portal and the report never disagree."""
    iwm = factories.security("IWM", classes["us-small-cap"])
    factories.price(iwm, "200.005", factories.AS_OF - dt.timedelta(days=30))
    with firm_scope(world_a.firm):
        TaxLot.objects.create(
            firm=world_a.firm,
            account=world_a.account,
            security=iwm,
            quantity=Decimal("3"),
            cost_basis=Decimal("500.00"),
            acquired_on=dt.date(2024, 1, 5),
        )
    client = login(world_a.client)
    text = text_of(client.get(f"/portal/accounts/{world_a.account.pk}/"))
    assert "Older price" in text and "Dec 1, 2025" in text
    assert "$600.02" in text  # 3 × 200.005, rounded half up
    assert "$6,723.42" in text  # 5,123.40 + 600.02 + 1,000.00
    assert "$6,723.42" in text_of(client.get("/portal/"))


def test_the_portal_and_the_report_show_the_same_values(world_a, classes, bnd, login):
    """Lines rounded to cents, then summed, in both: two holdings worth $10.005 each are
    $20.02 on the statement (not $20.01), in the PDF's data and on the portal alike."""
    vti = factories.security("VTI", classes["us-large-cap"])
    with firm_scope(world_a.firm):
        for security in (bnd, vti):
            factories.price(security, "10.005", factories.AS_OF)
            TaxLot.objects.create(
                firm=world_a.firm,
                account=world_a.other_account,
                security=security,
                quantity=Decimal("1"),
                cost_basis=None,
                acquired_on=dt.date(2024, 2, 1),
            )
        world_a.other_account.household = world_a.household
        world_a.other_account.save()
        factories.approved_disclosures(
            world_a.firm, author=world_a.admin.user, approver=world_a.compliance.user
        )
        data = build_household_report(
            household=world_a.household,
            period_start=dt.date(2025, 12, 1),
            period_end=factories.AS_OF,
        )
    values = {account.name: account.value for account in data.accounts}
    assert values["Alpha Other IRA"] == Decimal("70.02")  # 20.02 + 50.00 cash
    text = text_of(login(world_a.client).get("/portal/"))
    assert "$70.02" in text and "$6,193.42" in text  # 6,123.40 + 70.02
    assert data.totals.value_end == Decimal("6193.42")
