"""The preview benchmark end to end on a tiny bench firm: forked workers, the draft made
once, every household previewed, the JSON keys docs/benchmarks.md reads."""

from __future__ import annotations

import pytest
from django.db import connection

from advisory.tenancy import firm_scope
from portfolios.bench.preview_run import ensure_draft, run
from portfolios.models import ModelPreview, ModelVersion


@pytest.fixture
def pg(transactional_db):
    assert connection.vendor == "postgresql", "the bench firm is built with PostgreSQL SQL"


def test_the_preview_bench_previews_every_household_and_reports_its_keys(pg):
    result = run(accounts=24, per_account=3, workers=2, chunk=5, repeat=2)
    assert result["preview_accounts"] == 24
    assert result["preview_households"] == 12
    assert result["chunks"] == 3
    assert result["preview_trading"] + result["preview_failed"] <= 12
    assert result["preview_trading"] > 0
    assert result["preview_s"] > 0 and 0 <= result["preview_engine_share"] <= 1
    assert len(result["preview_s_all"]) == 2
    draft, _ = ensure_draft_for_firm_of(result)
    with firm_scope(draft.firm_id):
        assert ModelVersion.objects.filter(state="draft").count() == 1  # made once, reused
        assert ModelPreview.objects.count() == 1  # each round replaces the last


def ensure_draft_for_firm_of(result: dict):
    from advisory.models import Firm
    from portfolios.bench.drift_data import bench_slug

    firm = Firm.objects.get(slug=bench_slug(result["preview_accounts"], 3))
    return ensure_draft(firm.pk)
