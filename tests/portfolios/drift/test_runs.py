"""Drift runs against the database: chunks, idempotence, snapshots, pages."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from advisory.audit import verify_chain
from advisory.models import Account, AuditEvent, Firm, Household, Membership, Role
from advisory.tenancy import firm_scope
from portfolios.drift import runs as drift_runs
from portfolios.models import (
    DriftChunk,
    DriftRun,
    DriftRunState,
    DriftSnapshot,
    ModelPortfolio,
    Target,
    TaxLot,
)
from tests import factories
from tests.factories import AS_OF


@pytest.fixture
def book(classes, voo):
    """A firm with 7 households × 2 accounts, all on a 60/40-ish model, one drifted."""
    iwm = factories.security("IWM", classes["us-small-cap"])
    factories.price(iwm, "240.00", AS_OF - dt.timedelta(days=1))
    factories.price(iwm, "250.00", AS_OF)
    cash_fund = factories.security("SWVXX", classes["cash"], kind="cash")
    factories.price(cash_fund, "1.00", AS_OF)
    firm = Firm.objects.create(name="Book Firm", slug="book")
    advisor = factories.member(firm, "advisor@book.example", Role.ADVISOR)
    admin = factories.member(firm, "admin@book.example", Role.ADMIN)
    model = ModelPortfolio.objects.create(firm=firm, name="80/20")
    for cls, weight in (("us-large-cap", "80"), ("us-small-cap", "15"), ("cash", "5")):
        Target.objects.create(firm=firm, model=model, asset_class=classes[cls], weight=weight)
    accounts = []
    for h in range(7):
        household = Household.objects.create(
            firm=firm, name=f"H{h}", primary_advisor=advisor, model=model
        )
        for a in range(2):
            account = Account.objects.create(
                firm=firm,
                household=household,
                name=f"H{h} A{a}",
                registration="individual",
                tax_status="taxable",
                custodian="schwab",
                account_number=f"B-{h}-{a}",
                model=model,
                cash_balance=Decimal("500.00"),
            )
            accounts.append(account)
            # VOO 512.34 × 15 = 7,685.10; IWM 250 × 6 = 1,500; cash 500: ≈ 79/15/5
            drift = h == 0 and a == 0
            for sec, qty in ((voo, 30 if drift else 15), (iwm, 6)):
                TaxLot.objects.create(
                    firm=firm,
                    account=account,
                    security=sec,
                    quantity=Decimal(qty),
                    cost_basis=Decimal("100.00"),
                    acquired_on=dt.date(2024, 5, 1),
                )
    return {"firm": firm, "advisor": advisor, "admin": admin, "accounts": accounts}


def run_all(firm, as_of=AS_OF, size=3):
    run, _ = drift_runs.start_run(firm, as_of, chunk_households=size)
    return drift_runs.process_inline(run)


def snapshot_counts(firm):
    with firm_scope(firm):
        return {
            kind: DriftSnapshot.objects.filter(kind=kind, as_of=AS_OF).count()
            for kind in ("account", "household")
        }


def test_a_run_writes_one_snapshot_per_account_and_household(book):
    run = run_all(book["firm"])
    assert (run.state, run.expected_chunks, run.done_chunks, run.accounts) == ("complete", 3, 3, 14)
    assert snapshot_counts(book["firm"]) == {"account": 14, "household": 7}
    with firm_scope(book["firm"]):
        drifted = DriftSnapshot.objects.get(kind="household", household__name="H0")
        calm = DriftSnapshot.objects.get(kind="household", household__name="H3")
    assert drifted.status == "breached"
    assert calm.status == "in_band"
    # H0: VOO 45 × 512.34 + IWM 12 × 250 + cash 1,000 = 27,055.30
    assert drifted.market_value == Decimal("27055.30")
    assert verify_chain(book["firm"]).ok


def test_rerunning_a_day_replaces_rather_than_duplicates(book):
    run_all(book["firm"])
    second = run_all(book["firm"])
    assert second.state == "complete"
    assert snapshot_counts(book["firm"]) == {"account": 14, "household": 7}


def test_a_redelivered_chunk_does_nothing(book):
    run = run_all(book["firm"])
    with firm_scope(book["firm"]):
        chunk = DriftChunk.objects.filter(run=run).first()
    assert drift_runs.process_chunk(book["firm"].pk, chunk.pk) is False
    with firm_scope(book["firm"]):
        run.refresh_from_db()
    assert run.done_chunks == run.expected_chunks == 3


def test_history_is_kept_per_date(book):
    run_all(book["firm"])
    run_all(book["firm"], as_of=AS_OF - dt.timedelta(days=1))
    with firm_scope(book["firm"]):
        dates = set(DriftSnapshot.objects.values_list("as_of", flat=True))
    assert dates == {AS_OF, AS_OF - dt.timedelta(days=1)}


def test_starting_twice_gives_the_same_active_run(book):
    first, created = drift_runs.start_run(book["firm"], AS_OF)
    again, created_again = drift_runs.start_run(book["firm"], AS_OF)
    assert created and not created_again
    assert first.pk == again.pk


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_starts_make_one_run():
    with scopes_disabled():
        firm = Firm.objects.create(name="Race", slug="race-runs")
        advisor = factories.member(firm, "advisor@race.example", Role.ADVISOR)
        # A household, so the first run stays active (an empty firm's run
        # completes at once, and a second start after that is a new run).
        Household.objects.create(firm=firm, name="Race household", primary_advisor=advisor)
    results, errors = [], []
    barrier = threading.Barrier(2)

    def start() -> None:
        try:
            barrier.wait()
            results.append(drift_runs.start_run(firm, AS_OF))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len({run.pk for run, _ in results}) == 1
    assert sorted(created for _, created in results) == [False, True]


def test_a_failed_run_is_visible_and_audited(book):
    run, _ = drift_runs.start_run(book["firm"], AS_OF, chunk_households=3)
    drift_runs.fail_run(book["firm"].pk, run.pk, "chunk 9: OperationalError: server closed")
    with firm_scope(book["firm"]):
        run.refresh_from_db()
        event = AuditEvent.objects.get(action="drift_run.failed")
    assert run.state == DriftRunState.FAILED
    assert run.errors == ["chunk 9: OperationalError: server closed"]
    assert event.changes["error"].startswith("chunk 9")
    # A later chunk of a failed run writes nothing half-way.
    chunk_id = drift_runs.unfinished_chunk_ids(run)[0]
    assert drift_runs.process_chunk(book["firm"].pk, chunk_id) is False


def test_stale_price_marks_the_household_incomplete(book, classes):
    old = factories.security("OLD", classes["us-small-cap"])
    factories.price(old, "10.00", AS_OF - dt.timedelta(days=30))
    account = book["accounts"][6]
    with firm_scope(book["firm"]):
        TaxLot.objects.create(
            firm=book["firm"],
            account=account,
            security=old,
            quantity=Decimal("5"),
            acquired_on=dt.date(2024, 5, 1),
        )
    run_all(book["firm"])
    with firm_scope(book["firm"]):
        snap = DriftSnapshot.objects.get(kind="household", subject_id=account.household_id)
    assert snap.status == "incomplete"
    assert snap.missing_symbols == ["OLD"]


def test_advisor_home_lists_worst_drift_first_in_constant_queries(book, login):
    run_all(book["firm"])
    client = login(book["advisor"])
    client.get("/")  # the first request starts the staff MFA grace period: a one-off write
    with CaptureQueriesContext(connection) as few:
        body = client.get("/").content.decode()
    assert body.index(">H0<") < body.index(">H1<")  # names, not a random CSRF token
    assert "breached" in body
    # Four times the households: the same number of queries.
    with scopes_disabled():
        firm, model = book["firm"], ModelPortfolio.objects.get(firm=book["firm"])
        for h in range(7, 28):
            Household.objects.create(
                firm=firm, name=f"H{h}", primary_advisor=book["advisor"], model=model
            )
    run_all(book["firm"])
    with CaptureQueriesContext(connection) as many:
        client.get("/")
    assert len(many) == len(few)


def test_advisor_home_pages_through_the_book_worst_first(book, login, monkeypatch):
    from advisory.views import home

    run_all(book["firm"])
    monkeypatch.setattr(home, "HOME_PAGE_SIZE", 3)
    client = login(book["advisor"])
    client.get("/")  # the first request starts the staff MFA grace period: a one-off write
    with CaptureQueriesContext(connection) as first_page:
        first = client.get("/").content.decode()
    with CaptureQueriesContext(connection) as third_page:
        third = client.get("/?page=3").content.decode()
    assert len(first_page) == len(third_page)
    assert "Page 1 of 3" in first and "Page 3 of 3" in third
    assert "7 households (showing 1–3)" in first
    assert ">H0<" in first and ">H0<" not in third  # the breached one leads page 1
    names = [f">H{n}<" for n in range(7)]
    on_first = {n for n in names if n in first}
    on_third = {n for n in names if n in third}
    assert len(on_first) == 3 and len(on_third) == 1 and not on_first & on_third
    # Filters carry over to the page links, and a page past the end shows the last one.
    assert "status=breached&amp;page=" not in first
    assert "Page 3 of 3" in client.get("/?page=99").content.decode()


def test_status_filter(book, login):
    run_all(book["firm"])
    body = login(book["advisor"]).get("/?status=breached").content.decode()
    assert ">H0<" in body
    assert ">H3<" not in body


def test_household_page_shows_drift_chart_and_history(book, login):
    run_all(book["firm"], as_of=AS_OF - dt.timedelta(days=1))
    run_all(book["firm"])
    with scopes_disabled():
        household = Household.objects.get(firm=book["firm"], name="H0")
    body = login(book["advisor"]).get(f"/households/{household.pk}/").content.decode()
    assert 'class="chart band-chart"' in body
    assert 'class="chart history-chart"' in body
    assert "US large cap" in body and "outside" in body


def test_admin_starts_a_run_and_watches_it(book, login, django_capture_on_commit_callbacks):
    client = login(book["admin"])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post("/drift/runs/", {"as_of": AS_OF.isoformat()})
    assert len(callbacks) == 1  # the chunks are sent only once the run is committed
    assert response.status_code == 302
    with firm_scope(book["firm"]):
        run = DriftRun.objects.get()
        event = AuditEvent.objects.get(action="drift_run.started")
    assert response["Location"] == f"/drift/runs/{run.pk}/"
    assert event.actor_id == book["admin"].user_id
    # In-process tasks (no broker in tests) ran on commit: the run is complete.
    progress = client.get(f"/drift/runs/{run.pk}/progress/", headers={"HX-Request": "true"})
    assert progress.status_code == 286  # htmx: stop polling
    assert "complete" in progress.content.decode()


def test_a_future_date_is_refused(book, login):
    client = login(book["admin"])
    response = client.post("/drift/runs/", {"as_of": "2999-01-01"})
    assert response.status_code == 200
    assert "future" in response.content.decode()
    with firm_scope(book["firm"]):
        assert not DriftRun.objects.exists()


@pytest.mark.parametrize("role", [Role.ADVISOR, Role.COMPLIANCE])
def test_only_admins_start_runs(book, role, login):
    with scopes_disabled():
        member = Membership.objects.create(
            firm=book["firm"], user=factories.user(f"{role}@x.example"), role=role
        )
    response = login(member).post("/drift/runs/", {"as_of": AS_OF.isoformat()})
    assert response.status_code in (403, 404)
    with firm_scope(book["firm"]):
        assert not DriftRun.objects.exists()
