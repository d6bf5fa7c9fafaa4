"""Position files are previewed before anything is written, confirmed, and undoable."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scopes_disabled

from advisory.tenancy import firm_scope
from portfolios.imports import staging
from portfolios.models import ImportState, PositionImport, ReplacedLot, TaxLot
from tests.factories import POSITIONS_HEADER as HEADER
from tests.factories import firm_events

POSITIONS = "/imports/positions/"
# Firm A's account ALPHA-1001 holds 10 VOO; this file gives it 12 VOO and 100.5 BND.
GOOD = HEADER + "ALPHA-1001,VOO,12,6000.00,2024-03-01\nALPHA-1001,BND,100.5,,2024-05-01\n"
SHRINK = HEADER + "ALPHA-1001,BND,1,,2024-05-01\n"  # 10 VOO → 1 BND: value falls by > half


def upload(body: str, name: str = "positions.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, body.encode(), content_type="text/csv")


def holdings(world) -> dict[str, Decimal]:
    with firm_scope(world.firm):
        rows = TaxLot.objects.filter(account=world.account).values_list(
            "security__symbol", "quantity"
        )
        return {symbol: quantity for symbol, quantity in rows}


def actions(world) -> list[str]:
    return [e.action for e in firm_events(world.firm)]


def stage(client, body: str = GOOD, **fields) -> int:
    response = client.post(POSITIONS, {"file": upload(body), "preset": "generic", **fields})
    assert response.status_code == 302, response.content.decode()[:300]
    return int(re.fullmatch(r"/imports/positions/(\d+)/", response["Location"])[1])


def job_of(world, import_id: int) -> PositionImport:
    with firm_scope(world.firm):
        return PositionImport.objects.get(pk=import_id)


def test_the_preview_shows_the_changes_and_writes_no_lot(world_a, bnd, login):
    client = login(world_a.admin)
    import_id = stage(client)
    assert holdings(world_a) == {"VOO": Decimal("10")}  # nothing applied yet
    assert actions(world_a)[-1] == "positions.import_staged"
    page = client.get(f"{POSITIONS}{import_id}/").content.decode()
    assert "Preview: what this file changes" in page
    assert "Alpha Brokerage ••••1001" in page
    assert '<td data-label="Lots" class="num tabular">1 → 2</td>' in page  # before → after
    assert "10 → 112.5" in page  # quantity before → after
    assert "Confirm and replace these holdings" in page
    assert "would lose more than half" not in page
    job = job_of(world_a, import_id)
    assert job.state == ImportState.PREVIEW
    assert default_storage.exists(job.stored_file)
    assert job.preview["lots_added"] == 2 and job.preview["lots_removed"] == 1


def test_an_account_losing_more_than_half_is_flagged(world_a, bnd, login):
    client = login(world_a.admin)
    page = client.get(f"{POSITIONS}{stage(client, SHRINK)}/").content.decode()
    assert "1 account would lose more than half its value." in page
    assert "badge-danger" in page


def test_confirm_applies_snapshots_and_deletes_the_file(
    world_a, bnd, login, django_capture_on_commit_callbacks
):
    client = login(world_a.admin)
    import_id = stage(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{POSITIONS}{import_id}/confirm/", follow=True)
    assert "Applied: 2 lots written." in response.content.decode()
    assert holdings(world_a) == {"VOO": Decimal("12"), "BND": Decimal("100.5")}
    job = job_of(world_a, import_id)
    assert job.state == ImportState.APPLIED
    assert not default_storage.exists(job.stored_file)
    with firm_scope(world_a.firm):
        kept = list(ReplacedLot.objects.filter(position_import=job).values_list("quantity"))
    assert kept == [(Decimal("10"),)]
    assert actions(world_a)[-2:] == ["positions.imported", "positions.import"]
    # A second confirm does nothing more.
    again = client.post(f"{POSITIONS}{import_id}/confirm/", follow=True).content.decode()
    assert "there is nothing to do" in again
    assert actions(world_a)[-1] == "positions.import"


def test_a_stale_confirm_is_refused(world_a, bnd, login):
    client = login(world_a.admin)
    import_id = stage(client)
    with firm_scope(world_a.firm):
        TaxLot.objects.filter(account=world_a.account).update(quantity=Decimal("11"))
    response = client.post(f"{POSITIONS}{import_id}/confirm/", follow=True)
    assert "changed since the preview" in response.content.decode()
    assert holdings(world_a) == {"VOO": Decimal("11")}
    assert job_of(world_a, import_id).state == ImportState.STALE
    event = firm_events(world_a.firm)[-1]
    assert event.action == "positions.import_cancelled"
    assert event.changes["reason"] == "holdings changed since the preview"


def test_cancel_writes_no_lot(world_a, bnd, login, django_capture_on_commit_callbacks):
    client = login(world_a.admin)
    import_id = stage(client)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{POSITIONS}{import_id}/cancel/")
    assert holdings(world_a) == {"VOO": Decimal("10")}
    job = job_of(world_a, import_id)
    assert job.state == ImportState.CANCELLED
    assert not default_storage.exists(job.stored_file)
    assert actions(world_a)[-1] == "positions.import_cancelled"
    client.post(f"{POSITIONS}{import_id}/confirm/")
    assert holdings(world_a) == {"VOO": Decimal("10")}


def test_restore_puts_the_previous_holdings_back_and_is_audited(world_a, bnd, login):
    client = login(world_a.admin)
    import_id = stage(client, SHRINK)
    client.post(f"{POSITIONS}{import_id}/confirm/")
    assert holdings(world_a) == {"BND": Decimal("1")}
    page = client.get(f"{POSITIONS}{import_id}/").content.decode()
    assert "Restore previous holdings" in page
    response = client.post(f"{POSITIONS}{import_id}/restore/", follow=True)
    assert "Previous holdings restored: 1 lots." in response.content.decode()
    assert holdings(world_a) == {"VOO": Decimal("10")}
    with firm_scope(world_a.firm):
        lot = TaxLot.objects.get(account=world_a.account)
    old = world_a.lot  # the lot as it was before the import, every field
    assert (lot.security_id, lot.quantity, lot.cost_basis, lot.acquired_on) == (
        old.security_id,
        old.quantity,
        old.cost_basis,
        old.acquired_on,
    )
    events = firm_events(world_a.firm)
    assert [e.action for e in events[-2:]] == ["positions.restored", "positions.restore"]
    assert events[-2].changes["lots"] == {"before": {"BND": "1"}, "after": {"VOO": "10"}}
    assert job_of(world_a, import_id).state == ImportState.RESTORED
    # Undone once: a second restore is refused and changes nothing.
    again = client.post(f"{POSITIONS}{import_id}/restore/", follow=True).content.decode()
    assert "Only the last applied position file can be undone." in again
    assert holdings(world_a) == {"VOO": Decimal("10")}


def test_restore_is_refused_when_holdings_changed_since(world_a, bnd, login):
    client = login(world_a.admin)
    import_id = stage(client, SHRINK)
    client.post(f"{POSITIONS}{import_id}/confirm/")
    with firm_scope(world_a.firm):
        TaxLot.objects.filter(account=world_a.account).update(quantity=Decimal("2"))
    events = len(firm_events(world_a.firm))
    response = client.post(f"{POSITIONS}{import_id}/restore/", follow=True)
    assert "changed after this import" in response.content.decode()
    assert holdings(world_a) == {"BND": Decimal("2")}
    assert len(firm_events(world_a.firm)) == events


def test_only_the_last_import_can_be_undone(world_a, bnd, login):
    client = login(world_a.admin)
    first = stage(client, SHRINK)
    client.post(f"{POSITIONS}{first}/confirm/")
    second = stage(client)
    client.post(f"{POSITIONS}{second}/confirm/")
    with firm_scope(world_a.firm), pytest.raises(staging.ImportRefused):
        staging.restore(world_a.firm.pk, first, actor=None)
    assert "Restore previous holdings" not in client.get(f"{POSITIONS}{first}/").content.decode()


def test_compliance_reads_the_preview_but_cannot_confirm(world_a, bnd, login):
    import_id = stage(login(world_a.admin))
    client = login(world_a.compliance)
    page = client.get(f"{POSITIONS}{import_id}/")
    assert page.status_code == 200
    assert "Confirm and replace" not in page.content.decode()
    for verb in ("confirm", "cancel", "restore"):
        assert client.post(f"{POSITIONS}{import_id}/{verb}/").status_code == 403
    assert holdings(world_a) == {"VOO": Decimal("10")}


def test_another_firm_cannot_see_confirm_cancel_or_restore(world_a, world_b, bnd, login):
    import_id = stage(login(world_a.admin))
    events = len(firm_events(world_a.firm))
    outsider = login(world_b.admin)
    assert outsider.get(f"{POSITIONS}{import_id}/").status_code == 404
    assert outsider.get(f"{POSITIONS}{import_id}/progress/").status_code == 404
    for verb in ("confirm", "cancel", "restore"):
        assert outsider.post(f"{POSITIONS}{import_id}/{verb}/").status_code == 404
    assert holdings(world_a) == {"VOO": Decimal("10")}
    assert job_of(world_a, import_id).state == ImportState.PREVIEW
    assert len(firm_events(world_a.firm)) == events
    with scopes_disabled():
        assert PositionImport.objects.filter(firm=world_b.firm).count() == 0


# --- large files: a task checks and applies them, the page polls a progress partial ----------


@pytest.fixture
def async_rows(settings):
    settings.BALLAST_IMPORT_ASYNC_ROWS = 2  # the two-row GOOD file (3 lines) goes async


def test_a_large_file_is_checked_by_the_task_with_progress(
    world_a, bnd, login, async_rows, django_capture_on_commit_callbacks
):
    client = login(world_a.admin)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        import_id = stage(client)
    job = job_of(world_a, import_id)
    assert (job.state, job.run_async, job.rows_total) == (ImportState.QUEUED, True, 3)
    progress = client.get(f"{POSITIONS}{import_id}/progress/", headers={"HX-Request": "true"})
    assert progress.status_code == 200
    body = progress.content.decode()
    assert 'id="import-progress"' in body and "every 1s" in body
    assert "<html" not in body  # only the partial
    assert len(queued) == 1
    queued[0]()  # the task, run eagerly
    job = job_of(world_a, import_id)
    assert job.state == ImportState.PREVIEW and job.rows_done == 2
    assert actions(world_a)[-2:] == ["positions.import_staged", "positions.import_checked"]
    done = client.get(f"{POSITIONS}{import_id}/progress/", headers={"HX-Request": "true"})
    assert done["HX-Redirect"] == f"{POSITIONS}{import_id}/"
    assert holdings(world_a) == {"VOO": Decimal("10")}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{POSITIONS}{import_id}/confirm/")
    assert job_of(world_a, import_id).state == ImportState.APPLIED
    assert holdings(world_a) == {"VOO": Decimal("12"), "BND": Decimal("100.5")}
    assert firm_events(world_a.firm)[-1].actor_label  # applied as the confirming admin


def test_a_large_bad_file_is_rejected_by_the_task(
    world_a, bnd, login, async_rows, django_capture_on_commit_callbacks
):
    client = login(world_a.admin)
    body = HEADER + "ALPHA-1001,VOO,x,,2024-03-01\n" * 3
    with django_capture_on_commit_callbacks(execute=True):
        import_id = stage(client, body)
    job = job_of(world_a, import_id)
    assert job.state == ImportState.REJECTED
    assert job.error_count == 3
    assert not default_storage.exists(job.stored_file)
    assert actions(world_a)[-1] == "positions.import_rejected"
    page = client.get(f"{POSITIONS}{import_id}/").content.decode()
    assert "quantity is not a number" in page
    assert holdings(world_a) == {"VOO": Decimal("10")}


def test_the_check_task_is_idempotent(world_a, bnd, login, async_rows):
    from portfolios.tasks import check_position_import

    import_id = stage(login(world_a.admin))
    check_position_import(world_a.firm.pk, import_id)
    events = len(firm_events(world_a.firm))
    check_position_import(world_a.firm.pk, import_id)  # redelivered: nothing happens
    assert len(firm_events(world_a.firm)) == events
    assert job_of(world_a, import_id).state == ImportState.PREVIEW


def test_a_task_that_gives_up_marks_the_import_failed(world_a, bnd, login, async_rows):
    client = login(world_a.admin)
    import_id = stage(client)  # queued; its task never ran
    stored = job_of(world_a, import_id).stored_file
    staging.fail(world_a.firm.pk, import_id, "OperationalError: the database went away")
    job = job_of(world_a, import_id)
    assert job.state == ImportState.FAILED
    assert not default_storage.exists(stored)
    assert "could not be processed" in client.get(f"{POSITIONS}{import_id}/").content.decode()
    assert holdings(world_a) == {"VOO": Decimal("10")}
