"""A slow page of one advisor no longer makes a colleague's audited page wait (PostgreSQL,
real HTTP against pytest's threaded live server).

Both household pages record a ``household.viewed`` event on the firm's chain. The first
page is made slow *after* its event is recorded (its drift section sleeps). Requests are not
one transaction any more, so the chain lock is released as soon as the event is appended
and the second page takes its own time only. The control test turns ``ATOMIC_REQUESTS``
back on for one run and sees the second page wait out the first: the measure can fail.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction
from django_scopes import scopes_disabled

from advisory import audit_actions as actions
from advisory.audit import record, verify_chain
from advisory.models import AuditEvent
from advisory.tenancy import firm_scope
from portfolios import queries
from portfolios.models import TaxLot
from tests import factories
from tests.http_clients import Browser

SLOW_S = 2.0
HEAD_START_S = 0.5  # the slow page has recorded its event and is sleeping by then

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two_advisors(live_server, world_a, monkeypatch):
    """Two signed-in advisors of one firm; the first one's household page is slow."""
    slow_id = world_a.household.pk
    real = queries.household_drift

    def slow_drift(household_id: int, account_ids: list[int]) -> dict:
        if household_id == slow_id:
            time.sleep(SLOW_S)
        return real(household_id, account_ids)

    monkeypatch.setattr(queries, "household_drift", slow_drift)
    slow, fast = Browser(live_server.url), Browser(live_server.url)
    with scopes_disabled():
        slow.login(world_a.advisor.user.email, factories.PASSWORD)
        fast.login(world_a.other_advisor.user.email, factories.PASSWORD)
    return slow, fast, f"/households/{slow_id}/", f"/households/{world_a.other_household.pk}/"


def race(slow: Browser, fast: Browser, slow_path: str, fast_path: str) -> tuple[float, float]:
    """Open the slow page, then the other one while it renders; both durations."""
    thread = threading.Thread(target=slow.get, args=(slow_path,))
    thread.start()
    time.sleep(HEAD_START_S)
    fast.get(fast_path)
    thread.join(timeout=30)
    assert [h.status for h in (slow.hits[-1], fast.hits[-1])] == [200, 200]
    return slow.hits[-1].seconds, fast.hits[-1].seconds


def test_a_slow_page_does_not_delay_a_colleagues_audited_page(two_advisors, world_a):
    slow, fast, slow_path, fast_path = two_advisors
    fast.get(fast_path)  # warm: its own work, alone
    alone = fast.hits[-1].seconds
    slow_s, fast_s = race(slow, fast, slow_path, fast_path)
    assert slow_s >= SLOW_S
    assert fast_s < alone + 0.5, f"waited {fast_s:.2f}s behind the slow page (alone {alone:.2f}s)"
    with firm_scope(world_a.firm):
        viewed = AuditEvent.objects.filter(action="household.viewed").order_by("seq")
        # The slow page appended first, then the colleague's: no wait, no gap.
        assert [e.object_id for e in viewed] == [
            str(world_a.other_household.pk),
            str(world_a.household.pk),
            str(world_a.other_household.pk),
        ]
    with scopes_disabled():
        assert verify_chain(world_a.firm).ok


def test_the_measure_sees_the_wait_when_requests_are_one_transaction(two_advisors, monkeypatch):
    slow, fast, slow_path, fast_path = two_advisors
    monkeypatch.setitem(connections.settings["default"], "ATOMIC_REQUESTS", True)
    _, fast_s = race(slow, fast, slow_path, fast_path)
    assert fast_s > SLOW_S - HEAD_START_S - 0.3


def test_an_append_does_not_wait_for_another_writer_of_the_firm(world_a):
    """A transaction that inserted a firm-owned row holds FOR KEY SHARE on the firm's row
    (its foreign-key check) until it commits; the chain lock must not wait for it."""
    inserted, release = threading.Event(), threading.Event()

    def writer() -> None:
        try:
            with firm_scope(world_a.firm), transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # check the FK now
                TaxLot.objects.create(
                    firm=world_a.firm,
                    account=world_a.account,
                    security=world_a.lot.security,
                    quantity=Decimal("1"),
                    cost_basis=Decimal("1.00"),
                    acquired_on=world_a.lot.acquired_on,
                )
                inserted.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert inserted.wait(timeout=10)
        start = time.perf_counter()
        record(firm=world_a.firm, action=actions.LOGIN)
        waited = time.perf_counter() - start
    finally:
        release.set()
        thread.join(timeout=10)
    assert waited < 1.0, f"the append waited {waited:.2f}s for an unrelated writer"
    with scopes_disabled():
        assert verify_chain(world_a.firm).ok
