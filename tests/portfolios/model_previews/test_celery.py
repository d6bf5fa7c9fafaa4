"""A preview on a real Redis broker and a real Celery worker, killed mid-preview (SIGKILL to
the whole worker): after a restart every household is previewed exactly once.

The household-row table is locked EXCLUSIVE while the preview starts, so chunks freeze in
the middle of their transaction: "mid-preview" is a state the test waits for, not a sleep.
"""

from __future__ import annotations

import time

import pytest
from django_scopes import scopes_disabled

from advisory.models import Firm, Household, Role
from portfolios.model_previews.runs import start_preview, unfinished_chunk_ids
from portfolios.model_versions import save_draft
from portfolios.models import ModelPreview, ModelPreviewHousehold
from portfolios.rebalance.types import Options
from portfolios.tasks import dispatch_preview
from tests import factories
from tests.celery_harness import TableLock, wait_for
from tests.factories import AS_OF
from tests.portfolios.model_versions.conftest import line

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
HOUSEHOLDS = 40
CHUNK = 4  # → 10 chunks


@pytest.fixture
def draft(classes, voo):
    """40 households on an all-large-cap model (factories.large_cap_book) and a draft that
    moves half of it to small caps, so each household trades."""
    iwm = factories.security("IWM", classes["us-small-cap"])
    factories.price(iwm, "250.00", AS_OF)
    with scopes_disabled():
        firm = Firm.objects.create(name="Preview Firm", slug="preview-integration")
        admin = factories.member(firm, "admin@preview.example", Role.ADMIN)
        model = factories.large_cap_book(
            firm, admin, classes, voo, households=HOUSEHOLDS, accounts_each=2, prefix="PV"
        )
    version = save_draft(
        model=model,
        lines=[
            line(classes["us-large-cap"], weight="50", preferred=voo),
            line(classes["us-small-cap"], weight="50", preferred=iwm),
        ],
        summary="Half to small caps",
        actor=admin.user,
        expected_version=None,
    )
    return firm, version, admin


def state(preview: ModelPreview) -> ModelPreview | None:
    with scopes_disabled():
        current = ModelPreview.objects.get(pk=preview.pk)
    return current if current.state in ("complete", "failed") else None


def test_sigkill_mid_preview_then_restart_previews_each_household_once(draft, workers):
    firm, version, admin = draft
    preview, _ = start_preview(
        firm=firm,
        version=version,
        user=admin.user,
        options=Options(mode="to_target", as_of=AS_OF),
        chunk_households=CHUNK,
    )
    assert preview.expected_chunks == HOUSEHOLDS // CHUNK
    worker = workers()
    with TableLock("portfolios_modelpreviewhousehold") as lock:
        dispatch_preview(preview)
        wait_for(lambda: lock.waiting() >= 2, 30, "two chunks frozen mid-write")
        worker.kill()  # SIGKILL to the whole worker: main process and pool children
    time.sleep(1)
    with scopes_disabled():
        current = ModelPreview.objects.get(pk=preview.pk)
        assert current.state == "running"
        assert current.done_chunks == 0, "the kill must land mid-preview"
        assert not ModelPreviewHousehold.objects.filter(preview=preview).exists()
    assert len(unfinished_chunk_ids(preview)) == HOUSEHOLDS // CHUNK
    workers()  # start it again: the unacknowledged chunks come back
    done = wait_for(lambda: state(preview), 120, "the preview to finish after the restart")
    assert done.state == "complete", done.errors
    assert done.done_chunks == done.expected_chunks
    with scopes_disabled():
        rows = list(
            ModelPreviewHousehold.objects.filter(preview=preview).values_list(
                "household_id", "outcome"
            )
        )
        households = set(Household.objects.filter(firm=firm).values_list("pk", flat=True))
        attempts = list(done.chunks.values_list("attempts", flat=True))
    ids = [h for h, _ in rows]
    assert len(ids) == len(set(ids)) == HOUSEHOLDS
    assert set(ids) == households
    assert {o for _, o in rows} <= {"trades", "no_trades"}
    assert sum(o == "trades" for _, o in rows) > HOUSEHOLDS // 2
    assert max(attempts) >= 2  # the frozen chunks ran again after the restart
    assert done.totals["firm"]["households"] == HOUSEHOLDS
