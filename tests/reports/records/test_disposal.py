"""Disposal of records past retention: only those, never held ones, with the chain still
verifying from its new boundary, the disposal audited and anchored; and the triggers still
refuse every other DELETE."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django_scopes import scopes_disabled

from advisory.audit import verify_chain
from advisory.chain.keys import GENESIS_HASH
from advisory.models import AuditDisposal, AuditEvent, Client, LegalHold
from advisory.retention.boundary import retained_from
from advisory.retention.holds import place_hold, release_hold
from advisory.tenancy import firm_scope
from reports.models import ArchivedReport, ReportRelease
from reports.records.disposal import disposal_window, dispose, plan_disposal
from tests.factories import event_at, fake_proposal, firm_events, make_desk, report_at


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


OLD = utc(2015, 3, 1)  # long past retention (cutoff is at least five years ago)


@pytest.fixture(autouse=True)
def records_operator(platform_operator):
    """Disposal deletes audit events, which the application role may never do: it is the
    records operator's command, run as the owner role (docs/deploy.md, "Database roles")."""
    yield


@pytest.fixture(autouse=True)
def anchor_dir(settings, tmp_path):
    settings.BALLAST_AUDIT_ANCHOR_DIR = str(tmp_path / "anchors")
    return tmp_path / "anchors"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def books(world_a):
    """Firm A: four old events, an old released report, an old unreleased one, then recent
    events and a recent report (whose retention has not run out)."""
    assert not firm_events(world_a.firm)  # the world records no events of its own
    old = [event_at(OLD.replace(day=d), world_a.firm, changes={"n": d}) for d in (1, 2, 3, 4)]
    released = report_at(world_a, utc(2016, 1, 5), released_at=utc(2016, 1, 6))
    unreleased = report_at(world_a, utc(2016, 2, 5))
    young_report = report_at(world_a, utc(2026, 1, 5))
    recent = [event_at(utc(2026, 1, d), world_a.firm) for d in (10, 11)]
    return {
        "old": old,
        "recent": recent,
        "released": released,
        "unreleased": unreleased,
        "young_report": young_report,
    }


def _seqs(firm) -> list[int]:
    return [e.seq for e in firm_events(firm)]


def _reports(firm) -> set[int]:
    with scopes_disabled():
        return set(ArchivedReport.objects.filter(firm=firm).values_list("pk", flat=True))


def test_a_dry_run_lists_and_changes_nothing(world_a, books, capsys):
    before = _seqs(world_a.firm)
    call_command("dispose_records", "--firm", "alpha", "--dry-run")
    out = capsys.readouterr().out
    assert "audit events: 4 (seq 1–4; chain retained from seq 5)" in out
    ids = sorted([books["released"].pk, books["unreleased"].pk])
    assert f"archived reports: 2 ({ids[0]}, {ids[1]}), with 1 release(s)" in out
    assert "Dry run" in out
    assert _seqs(world_a.firm) == before
    assert len(_reports(world_a.firm)) == 3
    with scopes_disabled():
        assert not AuditDisposal.objects.exists()
    assert default_storage.exists(books["released"].file.name)


def test_disposal_deletes_only_what_is_past_retention_and_keeps_the_chain_verifying(
    world_a, world_b, books, anchor_dir, capsys, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("dispose_records", "--firm", "alpha")
    out = capsys.readouterr().out
    assert "Disposed of 4 audit event(s) and 2 report(s)" in out
    assert "alpha: chain OK" in out

    events = firm_events(world_a.firm)
    assert [e.seq for e in events] == [5, 6, 7, 8]  # 5, 6 recent; 7 disposal; 8 anchoring
    assert events[0].prev_hash == books["old"][-1].hash  # the retained chain links on
    disposed, anchored = events[2], events[3]
    assert (disposed.action, anchored.action) == ("records.disposed", "audit.anchored")
    with scopes_disabled():
        boundary = AuditDisposal.objects.get(firm=world_a.firm)
    assert (boundary.first_seq, boundary.boundary_seq) == (1, 4)
    assert boundary.boundary_hash == books["old"][-1].hash
    assert disposed.object_id == str(boundary.pk)
    assert disposed.changes["boundary_seq"] == 4
    assert disposed.changes["boundary_hash"] == books["old"][-1].hash
    assert disposed.changes["events_disposed"] == 4
    assert sorted(disposed.changes["reports_disposed"]) == sorted(
        [books["released"].pk, books["unreleased"].pk]
    )
    assert disposed.changes["cutoff"].startswith("20")
    assert retained_from(world_a.firm) == (4, books["old"][-1].hash)

    # Reports: the old ones (and the release) are gone with their files; the young one stays.
    assert _reports(world_a.firm) == {books["young_report"].pk}
    with scopes_disabled():
        assert not ReportRelease.objects.filter(firm=world_a.firm).exists()
    assert not default_storage.exists(books["released"].file.name)
    assert not default_storage.exists(books["unreleased"].file.name)
    assert default_storage.exists(books["young_report"].file.name)

    # The new head (the anchoring itself) is anchored, and the chain verifies from seq 5.
    (path,) = anchor_dir.iterdir()
    heads = {h["firm_slug"]: h for h in json.loads(path.read_text())["heads"]}
    assert (heads["alpha"]["seq"], heads["alpha"]["hash"]) == (8, anchored.hash)
    report = verify_chain(world_a.firm)
    assert report.ok and report.checked == 4 and report.anchors_checked == 1
    call_command("verify_audit", "--firm", "alpha")

    # Running it again finds nothing more: nothing is written.
    call_command("dispose_records", "--firm", "alpha")
    assert "Nothing to dispose of." in capsys.readouterr().out
    assert _seqs(world_a.firm) == [5, 6, 7, 8]


def test_a_second_disposal_moves_the_boundary_on(world_a, books):
    dispose(world_a.firm)
    later = [event_at(utc(2016, 6, d), world_a.firm) for d in (1, 2)]  # clock skew: old times
    assert [e.seq for e in later] == [8, 9]
    plan = dispose(world_a.firm)
    # Seq 5 (recent) is the first still within retention: nothing moves past it.
    assert plan.event_count == 0 and "seq 5" in plan.events_stopped_by
    assert verify_chain(world_a.firm).ok


def test_a_boundary_written_by_hand_is_not_believed(world_a, books):
    dispose(world_a.firm)
    assert verify_chain(world_a.firm).ok
    events = firm_events(world_a.firm)
    with scopes_disabled():  # a forged boundary further on (inserts are not refused)
        AuditDisposal.objects.create(
            firm=world_a.firm,
            cutoff=OLD,
            boundary_seq=events[0].seq,
            boundary_hash=events[0].hash,
        )
    report = verify_chain(world_a.firm)
    assert not report.ok
    assert "no records.disposed event confirms" in report.reason


def test_a_firm_wide_hold_blocks_everything(world_a, books):
    hold = place_hold(firm=world_a.firm, placed_by=world_a.compliance.user, reason="SEC inquiry")
    plan = dispose(world_a.firm)
    assert plan.empty and plan.firm_hold
    assert _seqs(world_a.firm)[:4] == [1, 2, 3, 4]
    assert len(_reports(world_a.firm)) == 3
    with scopes_disabled():
        assert not AuditDisposal.objects.exists()
    release_hold(hold=hold, released_by=world_a.compliance.user, reason="Inquiry closed")
    assert dispose(world_a.firm).event_count == 4


def test_a_household_hold_keeps_its_reports_and_stops_the_chain_at_its_oldest_event(
    world_a, django_capture_on_commit_callbacks
):
    held, other = world_a.household, world_a.other_household
    event_at(utc(2015, 1, 1), world_a.firm, obj=other)  # seq 1: may go
    event_at(utc(2015, 1, 2), world_a.firm, action="account.viewed", obj=world_a.account)  # 2
    event_at(utc(2015, 1, 3), world_a.firm, obj=other)  # 3: old, but after a held event
    event_at(utc(2026, 1, 3), world_a.firm)  # 4: recent
    held_report = report_at(world_a, utc(2016, 1, 5), household=held)
    other_report = report_at(world_a, utc(2016, 1, 5), household=other)
    place_hold(firm=world_a.firm, household=held, placed_by=world_a.admin.user, reason="Litigation")
    with django_capture_on_commit_callbacks(execute=True):
        plan = dispose(world_a.firm)
    assert (plan.first_seq, plan.last_seq) == (1, 1)
    assert "seq 2, the oldest event kept by a household legal hold" in plan.events_stopped_by
    assert plan.report_ids == [other_report.pk] and plan.reports_held == [held_report.pk]
    assert _seqs(world_a.firm)[:3] == [2, 3, 4]
    assert _reports(world_a.firm) == {held_report.pk}
    assert default_storage.exists(held_report.file.name)
    assert verify_chain(world_a.firm).ok


@pytest.mark.parametrize("kind", ["client", "client user", "proposal", "report"])
def test_a_household_hold_keeps_events_about_everything_of_the_household(kind, world_a, classes):
    """Not only the household and its accounts: its clients, their sign-ins, its proposals
    and its reports (the apps that own proposals and reports register them)."""
    held = world_a.household
    event_at(utc(2015, 1, 1), world_a.firm, obj=world_a.other_household)  # seq 1: may go
    with time_machine.travel(utc(2015, 1, 2), tick=False), firm_scope(world_a.firm):
        subject = {
            "client": lambda: world_a.client_person,
            "client user": lambda: world_a.client.user,
            "proposal": lambda: fake_proposal(make_desk(world_a, classes)),
            "report": lambda: report_at(world_a, utc(2015, 1, 2), household=held),
        }[kind]()
    assert getattr(subject, "household_id", held.pk) == held.pk
    with scopes_disabled():
        Client.objects.filter(pk=world_a.client_person.pk, household=held).update(
            user=world_a.client.user
        )
    about = event_at(utc(2015, 1, 3), world_a.firm, action="report.downloaded", obj=subject)
    event_at(utc(2015, 1, 4), world_a.firm, obj=world_a.other_household)  # after it: kept
    event_at(utc(2026, 1, 3), world_a.firm)
    hold = place_hold(
        firm=world_a.firm, household=held, placed_by=world_a.admin.user, reason="Suit"
    )
    # The oldest event about the subject (creating a proposal records one of its own).
    first = next(
        e
        for e in firm_events(world_a.firm)
        if e.object_id == about.object_id and (e.object_type == about.object_type)
    )
    plan = plan_disposal(world_a.firm)
    assert (plan.first_seq, plan.last_seq) == (1, 1)
    assert plan.events_stopped_by.startswith(f"seq {first.seq}, the oldest event kept by a")
    # Once the hold is released, the same events go (the control case).
    release_hold(hold=hold, released_by=world_a.admin.user, reason="Settled")
    assert plan_disposal(world_a.firm).last_seq == about.seq + 1


def test_a_report_superseded_by_a_kept_one_is_kept(world_a):
    event_at(utc(2026, 1, 1), world_a.firm)
    old = report_at(world_a, utc(2016, 1, 5))
    report_at(world_a, utc(2026, 1, 5), supersedes=old)  # young: kept, and so is ``old``
    older = report_at(world_a, utc(2015, 1, 5))
    report_at(world_a, utc(2016, 2, 5), supersedes=older)  # both old: both go
    plan = dispose(world_a.firm)
    assert plan.reports_superseded_kept == [old.pk]
    assert len(plan.report_ids) == 2 and old.pk not in plan.report_ids
    assert old.pk in _reports(world_a.firm)


def test_a_released_report_goes_only_when_its_release_is_past_retention(world_a):
    event_at(utc(2026, 1, 1), world_a.firm)
    report = report_at(world_a, utc(2016, 1, 5), released_at=utc(2026, 1, 6))
    assert report.pk not in plan_disposal(world_a.firm).report_ids


# --- The triggers --------------------------------------------------------------------------


def _delete_event(event) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM advisory_auditevent WHERE id = %s", [event.pk])


def test_outside_a_disposal_a_delete_is_still_refused(world_a, books):
    old = books["old"][0]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _delete_event(old)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM reports_archivedreport WHERE id = %s", [books["unreleased"].pk])
    # Settings of one's own are not enough without the cutoff and the firm.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL ballast.disposing = 'on'")
        _delete_event(old)
    assert _seqs(world_a.firm)[0] == 1


def test_a_window_allows_only_its_firms_rows_past_its_cutoff_and_never_an_update(
    world_a, world_b, books
):
    b_old = event_at(OLD, world_b.firm)
    far_future = utc(2999, 1, 1)  # a cutoff set too late still meets the five-year floor
    for victim in (books["recent"][0], b_old):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            disposal_window(world_a.firm.pk, far_future),
        ):
            _delete_event(victim)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        disposal_window(world_a.firm.pk, far_future),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE advisory_auditevent SET actor_label = 'x' WHERE id = %s",
            [books["old"][0].pk],
        )
    with transaction.atomic():
        with disposal_window(world_a.firm.pk, utc(2020, 1, 1)):
            _delete_event(books["old"][0])
        # Closed again at once, inside the same transaction.
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            _delete_event(books["old"][1])
    assert _seqs(world_a.firm)[0] == 2


def test_disposals_are_append_only(world_a, books):
    dispose(world_a.firm)
    with scopes_disabled():
        disposal = AuditDisposal.objects.get()
    for sql in (
        "UPDATE advisory_auditdisposal SET boundary_seq = 1",
        "DELETE FROM advisory_auditdisposal",
        "TRUNCATE advisory_auditdisposal",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    with scopes_disabled():
        assert AuditDisposal.objects.get().pk == disposal.pk


def test_the_migration_cannot_be_reversed():
    from importlib import import_module

    migration = import_module("advisory.migrations.0009_retention_and_disposal_window").Migration
    assert not migration.operations[-1].reversible


def test_verification_before_any_disposal_starts_at_genesis(world_a):
    event_at(utc(2026, 1, 1), world_a.firm)
    assert retained_from(world_a.firm) == (0, GENESIS_HASH)
    assert verify_chain(world_a.firm).ok
    with scopes_disabled():
        assert not LegalHold.objects.exists()
    assert AuditEvent  # (imported for the reader: the chain is AuditEvent rows)
