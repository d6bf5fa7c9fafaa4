"""The concurrency benchmark's workload and, end to end on a tiny firm, the benchmark itself
(gunicorn on the loopback, sign-in through the form, the Imports page, the chain verified).

The firm is built with VACUUM and read by a server process, so these tests commit
(``transactional_db``) instead of running inside a rolled-back transaction.
"""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import quote

import pytest
from django.db import connection

from advisory.audit import verify_chain
from advisory.models import AuditEvent
from advisory.tenancy import firm_scope
from portfolios.bench.concurrency import Settings, run
from portfolios.bench.concurrency_data import ensure_http_firm, holds_variant, position_files
from portfolios.imports import import_positions

AS_OF = dt.date(2025, 12, 31)


@pytest.fixture
def small_firm(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("the bench firms are built with PostgreSQL SQL")
    return ensure_http_firm(2, 3, AS_OF)


def test_the_firm_gives_each_advisor_a_book_and_is_reused(small_firm):
    assert [len(b.household_ids) for b in small_firm.books] == [3, 3]
    assert small_firm.accounts == 18
    assert small_firm.lots == 18 * 20
    again = ensure_http_firm(2, 3, AS_OF)
    assert again.firm.pk == small_firm.firm.pk
    assert again.books == small_firm.books


def test_alternating_files_replace_every_account_they_name(small_firm):
    firm = small_firm.firm
    files = position_files(firm, 300)
    assert [len(f.decode().splitlines()) for f in files] == [301, 301]
    assert holds_variant(firm, files) is None  # the generated lots are neither file
    for variant in (0, 1, 0):
        result = import_positions(firm, io.BytesIO(files[variant]))
        assert result.ok, result.errors[:3]
        assert (result.written, result.skipped_existing) == (300, 0)
        assert holds_variant(firm, files) == variant
    with firm_scope(firm):
        assert AuditEvent.objects.filter(action="positions.imported").count() == 3 * 15
    assert verify_chain(firm).ok


@pytest.mark.integration
def test_the_benchmark_runs_end_to_end_over_http(small_firm):
    pytest.importorskip("gunicorn")
    db = connection.settings_dict
    user = quote(db["USER"]) + (":" + quote(db["PASSWORD"]) if db.get("PASSWORD") else "")
    url = f"postgres://{user}@{db['HOST']}:{db['PORT']}/{db['NAME']}"  # the test database
    result = run(
        Settings(
            database_url=url,
            advisors=2,
            households_per_advisor=3,
            lots=120,
            rounds=1,
            seconds=1.0,
            think_ms=(0, 50),
            workers=1,
            threads=4,
        )
    )
    assert result["errors"] == 0
    assert result["chain_ok"] is True
    assert result["clients"] == 2
    assert result["requests_solo"] > 0
    assert result["import_accounts"] == 6
    assert result["pages_solo_p95_ms"] > 0
    assert result["import_s"] > 0
