"""Work done for a request reads the replica only when the replica has everything that request
saw (issue 15): a report batch's items and the audit trail's exports. ``fresh_since`` in
config/db_routing/router.py: the replica is used when its lag is shorter than the time since
the batch was started (the export asked for); otherwise the primary, so nothing the advisor or
officer just did is missing from the report or the export.

Proof of where the reads went, as in test_replica.py: the standby's replay is paused, the
primary changes something, and the result shows the standby's older copy (or the primary's
newer one), with the queries counted on the replica alias.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext, override_settings
from django_scopes import scopes_disabled

from advisory import audit_actions as actions
from advisory.audit import record
from advisory.tenancy import firm_scope
from config.db_routing import router
from reports import batches
from reports.models import ArchivedReport
from reports.tasks import generate_household_report
from tests import factories

from .conftest import primary_lsn, rename_on_primary, replay_paused

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])

START, END = dt.date(2025, 12, 1), dt.date(2025, 12, 31)
NEW_NAME = "Alpha Household Renamed On The Primary"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def book(world_a):
    factories.approved_disclosures(
        world_a.firm, author=world_a.admin.user, approver=world_a.compliance.user
    )
    return world_a


def start_batch(world) -> tuple[int, int, str]:
    """A report batch of the advisor's book: the world's household's item."""
    batch = batches.start_batch(
        firm=world.firm, user=world.advisor.user, period_start=START, period_end=END, scope="book"
    )
    items = batches.pending_items(world.firm.pk, batch.pk)
    return next(i for i in items if i[1] == world.household.pk)


def run_item(world, item: tuple[int, int, str]) -> tuple[ArchivedReport, int]:
    """Run the item's task; its report and how many queries ran on the replica alias."""
    item_id, household_id, period = item
    router.forget_lag()
    with CaptureQueriesContext(connections[router.REPLICA]) as on_replica:
        outcome = generate_household_report(world.firm.pk, household_id, period, item_id)
    assert outcome == "generated"
    with scopes_disabled():
        report = ArchivedReport.objects.get(household_id=household_id, period_start=START)
    return report, len(on_replica.captured_queries)


@override_settings(BALLAST_REPLICA_MAX_LAG_S=3600)
def test_a_report_batch_item_reads_the_replica_once_it_has_the_batch(replica, book):
    item = start_batch(book)
    replica.wait_replayed(primary_lsn())  # the standby has the batch
    with replay_paused(replica):
        rename_on_primary(book.household, NEW_NAME)  # after the batch: the standby lacks it
        report, replica_queries = run_item(book, item)
    assert report.data["household"] == "Alpha Household"  # the standby's copy
    assert replica_queries > 5  # the household, accounts, lots, prices, disclosures...


@override_settings(BALLAST_REPLICA_MAX_LAG_S=3600)
def test_a_report_batch_item_reads_the_primary_while_the_replica_lacks_the_batch(replica, book):
    replica.wait_replayed(primary_lsn())
    with replay_paused(replica):
        # The advisor renames the household, then starts the batch; the standby has neither.
        rename_on_primary(book.household, NEW_NAME)
        item = start_batch(book)
        report, replica_queries = run_item(book, item)
    assert report.data["household"] == NEW_NAME  # what the advisor saw when starting it
    assert replica_queries <= 1  # the lag measurement alone


def export_rows(client, lsn_wait=None) -> tuple[list[dict], int]:
    """Export the trail's household.updated events as CSV: the rows and the replica's
    query count while the body streamed. ``lsn_wait`` runs between the request (which
    records the export) and the streaming of its body."""
    response = client.post(
        "/compliance/audit/export/", {"code": "household.updated", "format": "csv"}
    )
    assert response.status_code == 200 and response.streaming
    if lsn_wait is not None:
        lsn_wait()
    router.forget_lag()
    with CaptureQueriesContext(connections[router.REPLICA]) as on_replica:
        body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body))), len(on_replica.captured_queries)


def audit_rename(world, label: str) -> None:
    with firm_scope(world.firm):
        record(
            firm=world.firm,
            action=actions.HOUSEHOLD_UPDATED,
            obj=world.household,
            object_repr=label,
        )


@pytest.fixture
def officer(client, world_a):
    factories.log_in(client, world_a.compliance.user)
    return factories.stepped_up(client, world_a.compliance.user)


@override_settings(BALLAST_REPLICA_MAX_LAG_S=3600)
def test_an_audit_export_streams_from_the_replica_once_it_has_the_request(
    replica, world_a, officer
):
    audit_rename(world_a, "before the export")
    rows, replica_queries = export_rows(officer, lambda: replica.wait_replayed(primary_lsn()))
    assert [r["object_repr"] for r in rows] == ["before the export"]
    assert replica_queries > 1  # the lag measurement and the events


@override_settings(BALLAST_REPLICA_MAX_LAG_S=3600)
def test_an_audit_export_streams_from_the_primary_while_the_replica_lags(replica, world_a, officer):
    replica.wait_replayed(primary_lsn())
    with replay_paused(replica):
        audit_rename(world_a, "while the standby is paused")
        rows, replica_queries = export_rows(officer)
    # The event the standby has not replayed is in the export: read from the primary.
    assert [r["object_repr"] for r in rows] == ["while the standby is paused"]
    assert replica_queries <= 1
