"""The demo's custodian-file and price-feed seeds: real, idempotent."""

from __future__ import annotations

from advisory.demo.price_feed import MAPPING_NAME, seed_column_mapping, seed_price_feed_run
from advisory.tenancy import firm_scope
from portfolios.models import ColumnMapping, PriceFeedRun, PriceFeedState


def test_demo_seeds_a_mapping_with_two_versions_and_one_feed_run(world_a, tmp_path):
    assert seed_column_mapping(world_a.firm) == 2
    assert seed_column_mapping(world_a.firm) == 0
    with firm_scope(world_a.firm):
        versions = list(
            ColumnMapping.objects.filter(name=MAPPING_NAME)
            .order_by("version")
            .values_list("version", "is_current")
        )
    assert versions == [(1, False), (2, True)]
    run = seed_price_feed_run()
    assert run is not None
    assert (run.state, run.rows_loaded, run.rows_rejected) == (PriceFeedState.PARTIAL, 1, 1)
    assert run.errors == ["closes-20251231.csv row 3, symbol: unknown symbol 'ZZZZ'"]
    assert run.started_at.date().isoformat() == "2025-12-31"
    assert seed_price_feed_run() is None
    assert PriceFeedRun.objects.count() == 1
