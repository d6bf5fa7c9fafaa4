"""The preview pages through the test client: start, the stored result (totals, per advisor,
sorted and filtered table, pagination), a household's would-be trades, the CSV, commit and
drafts, and who may do what."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from advisory.models import Household
from advisory.tenancy import firm_scope
from portfolios.models import (
    ModelPortfolio,
    ModelPreview,
    ModelPreviewHousehold,
    ModelVersion,
    PreviewOutcome,
    ProposalBatch,
    ProposalBatchItem,
)
from tests.factories import firm_events

pytestmark = pytest.mark.django_db


@pytest.fixture
def done(book, login, django_capture_on_commit_callbacks):
    """A completed to-target preview started by the admin through the page."""
    client = login(book.world.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/models/{book.model.pk}/draft/preview/",
            {"mode": "to_target", "cash_reserve_pct": "", "min_trade_value": ""},
        )
    with firm_scope(book.firm):
        preview = ModelPreview.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/models/previews/{preview.pk}/"
    assert preview.state == "complete", preview.errors
    return preview


def rows_of(preview) -> list[ModelPreviewHousehold]:
    with firm_scope(preview.firm_id):
        return list(
            ModelPreviewHousehold.objects.filter(preview=preview).select_related("household")
        )


def test_the_result_page_shows_firm_and_advisor_totals_that_add_up(book, done, login):
    rows = rows_of(done)
    firm = done.totals["firm"]
    assert firm["households"] == len(rows) == len(book.households)
    assert firm["trading"] == sum(r.outcome == PreviewOutcome.TRADES for r in rows)
    assert Decimal(firm["realized_long_term"]) == sum(r.realized_long_term for r in rows)
    assert Decimal(firm["turnover"]) == sum(r.buy_value + r.sell_value for r in rows)
    advisors = done.totals["advisors"]
    assert sum(a["households"] for a in advisors) == firm["households"]
    assert sum(Decimal(a["realized_short_term"]) for a in advisors) == Decimal(
        firm["realized_short_term"]
    )
    body = login(book.world.admin).get(f"/models/previews/{done.pk}/").content.decode()
    assert "Households that trade" in body and "By advisor" in body
    assert "Commit: make version" in body
    assert "ZetaSecret" not in body


def test_the_table_sorts_by_realised_gain_and_filters(book, done, login):
    client = login(book.world.admin)
    rows = [r for r in rows_of(done)]
    body = client.get(f"/models/previews/{done.pk}/?sort=gain&dir=desc").content.decode()
    ranked = sorted(
        rows,
        key=lambda r: (-(r.realized_short_term + r.realized_long_term), r.household.name, r.pk),
    )
    positions = [body.index(f"/households/{r.household_id}/") for r in ranked]
    assert positions == sorted(positions)
    ascending = client.get(f"/models/previews/{done.pk}/?sort=gain&dir=asc").content.decode()
    assert ascending.index(f"/households/{ranked[-1].household_id}/") < ascending.index(
        f"/households/{ranked[0].household_id}/"
    )
    failed = client.get(f"/models/previews/{done.pk}/?show=failed").content.decode()
    assert f"/households/{book.broken.pk}/" in failed
    assert f"/households/{ranked[0].household_id}/" not in failed or ranked[0] == book.broken
    partial = client.get(
        f"/models/previews/{done.pk}/?sort=value&part=table", HTTP_HX_REQUEST="true"
    )
    assert partial.status_code == 200
    assert b"<html" not in partial.content and b'id="preview-table"' in partial.content


def test_the_table_pages_fifty_at_a_time(book, done, login, monkeypatch):
    monkeypatch.setattr("portfolios.views.model_previews.PAGE_SIZE", 4)
    client = login(book.world.admin)
    first = client.get(f"/models/previews/{done.pk}/?sort=household&dir=asc").content.decode()
    names = sorted(h.name for h in book.households)
    assert names[0] in first and names[4] not in first
    assert "Page 1 of 4" in first
    second = client.get(f"/models/previews/{done.pk}/?sort=household&dir=asc&page=2")
    assert names[4] in second.content.decode()


def test_a_household_page_shows_its_would_be_trades(book, done, login):
    row = next(r for r in rows_of(done) if r.outcome == PreviewOutcome.TRADES)
    body = (
        login(book.world.admin)
        .get(f"/models/previews/{done.pk}/households/{row.household_id}/")
        .content.decode()
    )
    assert row.household.name in body
    for trade in row.trades:
        assert trade["reason"] in body
    assert 'id="preview-trades"' in body


def test_csv_has_every_household_is_audited_and_neutralises_formulas(book, done, login):
    with firm_scope(book.firm):
        Household.objects.filter(pk=book.households[2].pk).update(name="=HYPERLINK(1)")
    response = login(book.world.compliance).get(f"/models/previews/{done.pk}/export.csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    table = list(csv.DictReader(io.StringIO(text)))
    assert len(table) == len(book.households)
    assert any(r["household"] == "'=HYPERLINK(1)" for r in table)
    losses = [r for r in table if r["realized_total"].startswith("-")]
    assert all(Decimal(r["realized_total"]) < 0 for r in losses)  # numbers stay numbers
    assert firm_events(book.firm, "model_preview.exported")


def test_an_advisor_sees_the_firm_totals_but_only_their_households(book, done, login):
    body = login(book.world.advisor).get(f"/models/previews/{done.pk}/?sort=household").content
    text = body.decode()
    with firm_scope(book.firm):
        mine = set(
            Household.objects.filter(primary_advisor=book.world.advisor).values_list(
                "pk", flat=True
            )
        )
    for h in book.households:
        assert (f"/households/{h.pk}/" in text) == (h.pk in mine)
    other = next(h for h in book.households if h.pk not in mine)
    page = login(book.world.advisor).get(f"/models/previews/{done.pk}/households/{other.pk}/")
    assert page.status_code == 404


def test_compliance_reads_but_cannot_start_or_commit_and_clients_cannot_open(book, done, login):
    compliance = login(book.world.compliance)
    assert compliance.get(f"/models/previews/{done.pk}/").status_code == 200
    assert compliance.post(f"/models/previews/{done.pk}/commit/").status_code == 403
    assert (
        compliance.post(
            f"/models/{book.model.pk}/draft/preview/", {"mode": "to_target"}
        ).status_code
        == 403
    )
    assert login(book.world.client).get(f"/models/previews/{done.pk}/").status_code == 403


def test_commit_makes_the_draft_live_then_drafts_for_the_trading_households(
    book, done, login, django_capture_on_commit_callbacks
):
    client = login(book.world.admin)
    with firm_scope(book.firm):
        before = ModelPortfolio.objects.get(pk=book.model.pk).version
    response = client.post(f"/models/previews/{done.pk}/commit/", {"model_version": before})
    assert response.status_code == 302
    with firm_scope(book.firm):
        assert ModelVersion.objects.get(pk=book.draft.pk).state == "live"
        assert ModelPortfolio.objects.get(pk=book.model.pk).version == book.draft.number
    assert firm_events(book.firm, "model_preview.committed")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/models/previews/{done.pk}/drafts/")
    with firm_scope(book.firm):
        batch = ProposalBatch.objects.get()
        items = set(
            ProposalBatchItem.objects.filter(batch=batch).values_list("household_id", flat=True)
        )
        trading = {r.household_id for r in rows_of(done) if r.outcome == PreviewOutcome.TRADES}
        assert ModelPreview.objects.get(pk=done.pk).batch_id == batch.pk
    assert response["Location"] == f"/proposals/batches/{batch.pk}/"
    assert items == trading
    assert batch.state == "complete"
    again = client.post(f"/models/previews/{done.pk}/drafts/")
    assert again.status_code == 302
    with firm_scope(book.firm):
        assert ProposalBatch.objects.count() == 1  # asked twice, drafted once


def test_a_draft_edited_after_its_preview_is_not_committed(book, done, login, classes):
    from portfolios import model_versions as mv
    from tests.portfolios.model_versions.conftest import line

    mv.save_draft(
        model=book.model,
        lines=[*book.draft_lines[:-1], line(classes["fixed-income"], weight="20")],
        summary="Changed my mind about bonds",
        actor=book.world.admin.user,
        expected_version=None,
    )
    client = login(book.world.admin)
    page = client.get(f"/models/previews/{done.pk}/").content.decode()
    assert "edited after this preview" in page
    client.post(f"/models/previews/{done.pk}/commit/")
    with firm_scope(book.firm):
        assert ModelVersion.objects.get(pk=book.draft.pk).state == "draft"
    assert not firm_events(book.firm, "model_preview.committed")


def test_starting_twice_while_running_gives_the_same_preview(book, login):
    client = login(book.world.admin)
    client.post(f"/models/{book.model.pk}/draft/preview/", {"mode": "to_band"})
    client.post(f"/models/{book.model.pk}/draft/preview/", {"mode": "to_band"})
    with firm_scope(book.firm):
        assert ModelPreview.objects.count() == 1
    assert len(firm_events(book.firm, "model_preview.started")) == 1


def test_a_bad_mode_is_refused_and_changes_nothing(book, login):
    response = login(book.world.admin).post(
        f"/models/{book.model.pk}/draft/preview/", {"mode": "raise_cash"}
    )
    assert response.status_code == 302
    with firm_scope(book.firm):
        assert not ModelPreview.objects.exists()


def test_the_progress_bar_polls_while_running_and_reloads_the_page_when_done(book, login):
    from portfolios.model_previews.runs import (
        note_attempt,
        process_chunk,
        process_inline,
        start_preview,
        unfinished_chunk_ids,
    )
    from portfolios.rebalance.types import Options
    from tests.portfolios.model_previews.conftest import AS_OF

    preview, _ = start_preview(
        firm=book.firm,
        version=book.draft,
        user=book.world.admin.user,
        options=Options(mode="to_target", as_of=AS_OF),
        chunk_households=4,
    )
    client = login(book.world.admin)
    page = client.get(f"/models/previews/{preview.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in page and "0 of 4 parts" in page
    first = unfinished_chunk_ids(preview)[0]
    note_attempt(book.firm.pk, first)
    process_chunk(book.firm.pk, first)
    part = client.get(f"/models/previews/{preview.pk}/progress/", HTTP_HX_REQUEST="true")
    assert b"1 of 4 parts" in part.content and b'aria-valuenow="25"' in part.content
    assert b"<html" not in part.content
    process_inline(preview)  # the rest of the chunks: the preview completes
    done = client.get(f"/models/previews/{preview.pk}/progress/", HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true"
    assert "Households that trade" in client.get(f"/models/previews/{preview.pk}/").content.decode()
