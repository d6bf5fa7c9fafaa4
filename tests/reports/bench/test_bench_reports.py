"""Smoke test of the report benchmark on a tiny workload: 3 households, 1 worker process.

The measuring functions of ``bench_reports`` run as the command runs them, against a real
Redis (its own, on a free port) and a real Celery worker, so the figures the benchmark prints
are figures of real work: real PDFs, a batch that completes with one archived report per
household.
"""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django_scopes import scopes_disabled

from reports.bench import report_run
from reports.bench.report_data import ensure_report_firm
from reports.models import ArchivedReport, ReportBatch

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]
HOUSEHOLDS = 3
KEYS = {
    "report_s_median",
    "report_pages",
    "reports_per_min",
    "report_worker_peak_mb",
    "report_worker_growth_mb",
    "households",
    "workers",
    "renders",
}


def test_bench_reports_measures_real_work(redis, tmp_path, capsys):
    call_command(
        "bench_reports",
        households=HOUSEHOLDS,
        workers=1,
        renders=2,
        broker=redis.url,
    )
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result.keys() >= KEYS
    assert (result["households"], result["workers"], result["renders"]) == (HOUSEHOLDS, 1, 2)
    assert len(result["report_s_all"]) == 2
    assert 0 < result["report_s_median"] < 30
    assert result["report_pages"] >= 1
    assert result["batch_reports"] == HOUSEHOLDS
    assert result["batch_outcomes"] == {"pending": 0, "generated": HOUSEHOLDS, "failed": 0}
    assert result["reports_per_min"] > 0
    assert result["report_worker_processes"] == 1
    assert result["report_worker_peak_mb"] >= result["report_worker_start_mb"] > 0
    assert result["report_worker_growth_mb"] >= 0
    with scopes_disabled():
        batch = ReportBatch.objects.get()
        assert batch.state == "complete"
        # The warm-up and the two timed reports, then one per household from the batch.
        assert ArchivedReport.objects.count() == 3 + HOUSEHOLDS
        assert set(batch.items.values_list("outcome", flat=True)) == {"generated"}


def test_the_bench_firm_is_reused():
    first = ensure_report_firm(HOUSEHOLDS)
    again = ensure_report_firm(HOUSEHOLDS)
    assert first.firm.pk == again.firm.pk
    assert again.households == HOUSEHOLDS


def test_rss_of_a_process_that_is_gone_is_none():
    assert report_run.rss_mb(2**22 + 12345) is None
