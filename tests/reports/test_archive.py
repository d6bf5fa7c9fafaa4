"""The report archive: a known household generated into an immutable, verifiable archive.

PostgreSQL (the suite's database) with real drift snapshots and WeasyPrint; files go to a
temporary MEDIA_ROOT. The SQLite trigger is checked on a freshly migrated SQLite file.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import sqlite3
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path

import pypdf
import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django_scopes import scopes_disabled

from advisory.models import Household
from advisory.tenancy import firm_scope
from portfolios.drift import runs as drift_runs
from portfolios.models import TaxLot
from reports.archive import generate_report, release_report, rerender, verify_report
from reports.models import ArchivedReport, ReportRelease
from reports.report_types import DisclosureMissing
from tests import factories
from tests.db_roles import as_superuser
from tests.factories import AS_OF

START = AS_OF - dt.timedelta(days=1)  # 2025-12-30: VOO closed at 500.00, the first snapshot
IWM_SOURCE = "Acme Vendor closes"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def desk(world_a, world_b, classes):
    """world_a's household: 10 VOO (conftest) and 40 IWM in its brokerage account, cash
    1,000.00, a 70/30 model, drift snapshots on Dec 30 and Dec 31, approved disclosures."""
    w = world_a
    iwm = factories.security("IWM", classes["us-small-cap"])
    factories.price(iwm, "240.00", START, source=IWM_SOURCE)
    factories.price(iwm, "250.55", AS_OF, source=IWM_SOURCE)
    TaxLot.objects.create(
        firm=w.firm,
        account=w.account,
        security=iwm,
        quantity=D("40"),
        cost_basis=D("8000.00"),
        acquired_on=dt.date(2024, 5, 1),
    )
    w.target.weight = D("70")
    w.target.save()
    w.model.targets.create(firm=w.firm, asset_class=classes["us-small-cap"], weight=D("30"))
    for day in (START, AS_OF):
        run, _ = drift_runs.start_run(w.firm, day)
        drift_runs.process_inline(run)
    factories.approved_disclosures(w.firm, author=w.admin.user, approver=w.compliance.user)
    factories.approved_disclosures(
        world_b.firm, author=world_b.admin.user, approver=world_b.compliance.user
    )
    return w


def _generate(world, **kwargs):
    return generate_report(
        household=world.household,
        period_start=START,
        period_end=AS_OF,
        actor=world.advisor.user,
        **kwargs,
    )


def _pdf_text(pdf: bytes) -> str:
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def _stored(report: ArchivedReport) -> bytes:
    return Path(report.file.path).read_bytes()


def _event_count(firm) -> int:
    return len(factories.firm_events(firm))


def test_generated_pdf_shows_disclosures_as_of_source_and_the_right_total(desk, media):
    report = _generate(desk)
    text = _pdf_text(_stored(report))
    # By hand: cash 1,000.00 + 10 VOO × 512.34 + 40 IWM × 250.55 = 16,145.40.
    total = D("1000.00") + 10 * D("512.34") + 40 * D("250.55")
    assert total == D("16145.40")
    assert f"${total:,.2f}" in text  # "$16,145.40", as the report formats money
    assert "Value on December 31, 2025 $16,145.40" in text
    # The start value is the Dec 30 snapshot: 1,000 + 10 × 500.00 + 40 × 240.00.
    assert "Value on December 30, 2025 $15,600.00" in text  # labelled with its own day
    assert "December 31, 2025" in text  # the as-of date
    assert IWM_SOURCE in text  # the price source
    with firm_scope(desk.firm):
        versions = report.disclosure_versions
    assert [v["key"] for v in versions] == list(factories.REPORT_DISCLOSURES)
    for version in versions:
        title = factories.REPORT_DISCLOSURES[version["key"]]
        assert f"{title} version {version['number']} (id {version['version_id']})" in text
    # The archive row: hash, size, path per firm, data snapshot.
    pdf = _stored(report)
    assert report.size == len(pdf)
    assert report.file.name.startswith(f"reports/{desk.firm.pk}/")
    assert report.data["totals"] == {
        "value_end": "16145.40",
        "value_start": "15600.00",
        "value_start_on": "2025-12-30",
    }
    (account,) = report.data["accounts"]  # the lines shown add up to the account's value
    assert sum(D(h["value"]) for h in account["holdings"]) == D(account["value"]) == total
    assert [h["symbol"] for h in account["holdings"]] == ["VOO", "IWM", "Cash"]
    assert report.generated_by == desk.advisor.user
    assert verify_report(report) is None


def test_rerender_from_the_snapshot_gives_the_same_text_and_bytes(desk):
    report = _generate(desk)
    again = rerender(report)
    assert _pdf_text(again) == _pdf_text(_stored(report))
    assert again == _stored(report)  # byte-identical with WeasyPrint 70 and pinned dates


def test_a_missing_disclosure_refuses_generation_and_writes_nothing(world_a, media):
    w = world_a
    factories.approved_disclosures(
        w.firm, author=w.admin.user, approver=w.compliance.user, skip=("past-performance",)
    )
    before = _event_count(w.firm)
    with pytest.raises(DisclosureMissing, match="past-performance"):
        _generate(w)
    with scopes_disabled():
        assert not ArchivedReport.objects.exists()
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))
    assert _event_count(w.firm) == before


def test_a_failed_archive_transaction_leaves_no_orphan_file(desk, media, monkeypatch):
    def broken_record(**kwargs):
        raise RuntimeError("audit down")

    monkeypatch.setattr("reports.archive.record", broken_record)
    with pytest.raises(RuntimeError, match="audit down"):
        _generate(desk)
    with scopes_disabled():
        assert not ArchivedReport.objects.exists()
    assert not any(p.is_file() for p in media.rglob("*"))


def test_verify_reports_names_a_changed_byte_and_a_missing_file(desk, capsys):
    first, second = _generate(desk), _generate(desk)
    call_command("verify_reports")
    assert "OK, 2 reports" in capsys.readouterr().out

    path = Path(first.file.path)
    pdf = bytearray(path.read_bytes())
    pdf[len(pdf) // 2] ^= 0x01
    path.write_bytes(bytes(pdf))
    Path(second.file.path).unlink()
    with pytest.raises(CommandError, match=f"report {first.pk}, report {second.pk}"):
        call_command("verify_reports", "--firm", desk.firm.slug)
    err = capsys.readouterr().err
    household = desk.household.name
    assert f"report {first.pk} ({household}): hash mismatch: {first.file.name}" in err
    assert f"report {second.pk} ({household}): file missing: {second.file.name}" in err


def test_generate_reports_command(desk, world_b, capsys):
    call_command("generate_reports", "--firm", desk.firm.slug, "--period", "2025-12")
    out = capsys.readouterr().out
    # Only the household with a model (world_a's other two have none).
    assert out.count("report ") == 1 and desk.household.name in out
    assert "alpha: 1 reports generated for 2025-12-01 to 2025-12-31." in out
    with scopes_disabled():
        report = ArchivedReport.objects.get()
    assert (report.firm_id, report.period_start, report.as_of) == (
        desk.firm.pk,
        dt.date(2025, 12, 1),
        AS_OF,
    )
    assert report.generated_by is None  # a command: the actor label says who
    # Default period: the latest complete month before the latest price date (Dec 31).
    call_command("generate_reports", "--firm", desk.firm.slug, "--household", desk.household.pk)
    assert "for 2025-12-01 to 2025-12-31" in capsys.readouterr().out
    with pytest.raises(CommandError, match="No firm with slug 'nope'"):
        call_command("generate_reports", "--firm", "nope")
    with pytest.raises(CommandError, match="Bad period '2025-13'"):
        call_command("generate_reports", "--firm", desk.firm.slug, "--period", "2025-13")
    with pytest.raises(CommandError, match=f"No household {world_b.household.pk}"):
        call_command(
            "generate_reports", "--firm", desk.firm.slug, "--household", world_b.household.pk
        )


def test_generate_reports_names_a_missing_disclosure(world_a):
    with pytest.raises(CommandError, match="needs an approved version of: not-advice"):
        call_command("generate_reports", "--firm", world_a.firm.slug, "--period", "2025-12")


def test_generate_and_release_each_leave_one_event_and_release_twice_is_refused(desk):
    before = _event_count(desk.firm)
    report = _generate(desk)
    events = factories.firm_events(desk.firm)[before:]
    assert [(e.action, e.object_id) for e in events] == [("report.generated", str(report.pk))]
    assert events[0].actor_id == desk.advisor.user.pk

    release = release_report(report=report, actor=desk.advisor.user)
    events = factories.firm_events(desk.firm)[before:]
    assert [e.action for e in events] == ["report.generated", "report.released"]
    assert release.report_id == report.pk

    with pytest.raises(ValidationError, match="already been released"):
        release_report(report=report, actor=desk.compliance.user)
    assert len(factories.firm_events(desk.firm)) == before + 2
    with firm_scope(desk.firm):
        assert ReportRelease.objects.count() == 1


def test_another_firms_household_cannot_be_reported_on(desk, world_b, media):
    before = _event_count(world_b.firm)
    with firm_scope(desk.firm), pytest.raises(Household.DoesNotExist):
        _generate(world_b)
    with scopes_disabled():
        assert not ArchivedReport.objects.exists()
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))
    assert _event_count(world_b.firm) == before


def test_a_correction_names_the_report_it_supersedes(desk):
    first = _generate(desk)
    second = _generate(desk, supersedes=first)
    with firm_scope(desk.firm):
        assert ArchivedReport.objects.get(pk=second.pk).supersedes_id == first.pk


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE reports_archivedreport SET sha256 = 'forged'",
        "DELETE FROM reports_archivedreport",
        "UPDATE reports_reportrelease SET released_at = now()",
        "DELETE FROM reports_reportrelease",
    ],
)
def test_sql_update_and_delete_are_refused_on_postgresql(desk, sql):
    report = _generate(desk)
    release_report(report=report, actor=desk.advisor.user)
    # As a superuser: the application role may not UPDATE or DELETE here at all
    # (tests/advisory/db_security); this is the trigger's wall behind that one.
    with (
        pytest.raises(DatabaseError, match="append-only"),
        as_superuser(),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    with firm_scope(desk.firm):
        assert ArchivedReport.objects.get().sha256 == report.sha256
        assert ReportRelease.objects.count() == 1


def test_orm_update_and_delete_are_refused(desk):
    report = _generate(desk)
    with firm_scope(desk.firm):
        with pytest.raises(DatabaseError), transaction.atomic():
            ArchivedReport.objects.filter(pk=report.pk).update(sha256="forged")
        with pytest.raises(DatabaseError), transaction.atomic():
            ArchivedReport.objects.filter(pk=report.pk).delete()


def test_the_trigger_migration_cannot_be_reversed():
    from importlib import import_module

    migration = import_module("reports.migrations.0002_archive").Migration
    assert not migration.operations[-1].reversible


def test_sql_update_and_delete_are_refused_on_sqlite(tmp_path):
    db = tmp_path / "archive.sqlite3"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["DATABASE_URL"] = f"sqlite:///{db}"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
        capture_output=True,
    )
    with sqlite3.connect(db) as conn:  # foreign keys are off in a bare sqlite3 connection
        conn.execute(
            "INSERT INTO reports_archivedreport (firm_id, household_id, report_type, "
            "period_start, period_end, as_of, file, sha256, size, disclosure_versions, data, "
            "template_version, weasyprint_version, generated_at) VALUES (1, 1, 'household', "
            "'2025-12-01', '2025-12-31', '2025-12-31', 'reports/1/x.pdf', 'abc', 3, '[]', "
            "'{}', 't', '70', '2026-01-01 00:00:00')"
        )
        conn.execute(
            "INSERT INTO reports_reportrelease (firm_id, report_id, released_at) "
            "VALUES (1, 1, '2026-01-02 00:00:00')"
        )
    for sql in (
        "UPDATE reports_archivedreport SET sha256 = 'forged'",
        "DELETE FROM reports_archivedreport",
        "UPDATE reports_reportrelease SET released_at = '2027-01-01'",
        "DELETE FROM reports_reportrelease",
    ):
        conn = sqlite3.connect(db)
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute(sql)
        conn.close()
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT sha256 FROM reports_archivedreport").fetchall() == [("abc",)]
    conn.close()


def test_a_holding_with_no_price_is_named_and_left_out_of_the_totals(desk, classes):
    vb = factories.security("VB", classes["us-small-cap"])  # never priced
    with firm_scope(desk.firm):  # row-level security admits the firm's own rows only
        TaxLot.objects.create(
            firm=desk.firm,
            account=desk.account,
            security=vb,
            quantity=D("5"),
            cost_basis=D("1000.00"),
            acquired_on=dt.date(2024, 5, 1),
        )
    report = _generate(desk)
    (account,) = report.data["accounts"]
    assert account["unpriced"] == ["VB"]
    assert account["value"] == "16145.40"  # as without VB: never valued at zero
    text = _pdf_text(_stored(report))
    assert "Not valued, as we hold no price for them: VB." in text


def test_a_stale_price_is_marked_and_counted_at_its_last_close(desk, classes):
    vb = factories.security("VB", classes["us-small-cap"])
    factories.price(vb, "200.00", AS_OF - dt.timedelta(days=20))
    with firm_scope(desk.firm):  # row-level security admits the firm's own rows only
        TaxLot.objects.create(
            firm=desk.firm,
            account=desk.account,
            security=vb,
            quantity=D("5"),
            cost_basis=D("1000.00"),
            acquired_on=dt.date(2024, 5, 1),
        )
    report = _generate(desk)
    (account,) = report.data["accounts"]
    (line,) = [h for h in account["holdings"] if h["symbol"] == "VB"]
    assert (line["stale"], line["value"], line["price_date"]) == (True, "1000.00", "2025-12-11")
    assert account["value"] == "17145.40"
    assert "(older price)" in _pdf_text(_stored(report))


def test_the_archive_uses_only_the_storage_api(desk, settings, tmp_path):
    """Any storage backend works (an S3-compatible one in production): with Django's
    in-memory storage, nothing is written under MEDIA_ROOT and the report still verifies."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    report = _generate(desk)
    assert verify_report(report) is None
    with default_storage.open(report.file.name, "rb") as handle:
        assert handle.read(5) == b"%PDF-"
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not any(media.rglob("*.pdf"))
