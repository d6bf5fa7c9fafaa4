"""The drift benchmark's synthetic firm (generated in SQL, account by account, in committed
batches) and its per-worker memory figures.

The firm is built with VACUUM and committed batches, so these tests commit
(``transactional_db``) instead of running inside a rolled-back transaction.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Count

from advisory.models import Account, Firm
from advisory.tenancy import firm_scope
from portfolios.bench import BenchError, drift_data
from portfolios.bench.drift_data import bench_slug, ensure_bench_firm
from portfolios.bench.drift_run import _per_worker
from portfolios.models import TaxLot

AS_OF = dt.date(2025, 12, 31)


@pytest.fixture
def pg(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("the bench firm is built with PostgreSQL SQL")


def test_the_firm_has_the_asked_size_in_account_order_and_is_reused(pg, monkeypatch):
    monkeypatch.setattr(drift_data, "LOT_BATCH_ACCOUNTS", 4)  # several committed batches
    firm = ensure_bench_firm(11, 3, AS_OF)
    assert firm.slug == bench_slug(11, 3)
    with firm_scope(firm):
        assert Account.objects.count() == 11
        assert TaxLot.objects.count() == 33
        assert {n for _, n in _lots_per_account()} == {3}
    with connection.cursor() as cursor:  # physical order: account by account
        cursor.execute(
            "SELECT account_id FROM portfolios_taxlot WHERE firm_id = %s ORDER BY ctid",
            [firm.pk],
        )
        stored = [r[0] for r in cursor.fetchall()]
    assert stored == sorted(stored)
    assert ensure_bench_firm(11, 3, AS_OF).pk == firm.pk


def test_an_interrupted_generation_is_refused_not_reused(pg):
    Firm.objects.create(name="half", slug=f"{bench_slug(5, 2)}-partial")
    with pytest.raises(BenchError, match="interrupted"):
        ensure_bench_firm(5, 2, AS_OF)
    assert not Firm.objects.filter(slug=bench_slug(5, 2)).exists()


def test_each_worker_keeps_its_own_peak():
    samples = [(7, 100.0), (9, 120.0), (7, 150.0), (9, 110.0), (7, 140.0)]
    assert _per_worker(samples) == [150.0, 120.0]


def _lots_per_account():
    return TaxLot.objects.values_list("account_id").annotate(n=Count("pk"))
