"""export_records writes a firm's records for a period with a MANIFEST; verify_export finds
any changed, missing or added file and any break in the exported audit chain."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from advisory.audit import record
from advisory.tenancy import firm_scope
from tests import factories

TODAY = timezone.now().date()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def records(world_a, world_b, tmp_path):
    """Firm A with a released report, disclosures and some audit events; firm B too."""
    factories.approved_disclosures(
        world_a.firm, author=world_a.admin.user, approver=world_a.compliance.user
    )
    report = factories.stored_report(world_a.household, content=b"%PDF-1.7 archived bytes")
    # stored_report releases on 2026-01-03; the export period runs from 2026-01-01 to today.
    with firm_scope(world_a.firm):
        for _ in range(5):
            record(firm=world_a.firm, action="household.viewed", obj=world_a.household)
    factories.stored_report(world_b.household)
    return world_a, report


def export(world, out: Path, date_from: dt.date = dt.date(2026, 1, 1), date_to: dt.date = TODAY):
    call_command(
        "export_records",
        "--firm",
        world.firm.slug,
        "--from",
        date_from.isoformat(),
        "--to",
        date_to.isoformat(),
        "--out",
        str(out),
    )


def test_export_then_verify_passes(records, tmp_path):
    world, report = records
    out = tmp_path / "exam"
    export(world, out)
    call_command("verify_export", str(out))  # raises on any problem
    listed = (out / "MANIFEST").read_text().splitlines()
    names = {line.split("  ", 1)[1] for line in listed}
    assert {"audit/events.jsonl", "index.html", f"reports/{report.pk}.pdf"} <= names
    assert (out / f"reports/{report.pk}.pdf").read_bytes() == b"%PDF-1.7 archived bytes"
    events = [json.loads(line) for line in (out / "audit/events.jsonl").read_text().splitlines()]
    assert len(events) >= 5 and all(e["hash"] for e in events)
    assert [e["seq"] for e in events] == list(range(events[0]["seq"], events[-1]["seq"] + 1))
    reports = json.loads((out / "reports/reports.json").read_text())
    assert [r["id"] for r in reports] == [report.pk]  # not firm B's
    assert "ZetaSecret" not in (out / "people/members.json").read_text()


def test_the_export_is_audited(records, tmp_path):
    world, _ = records
    export(world, tmp_path / "exam")
    (event,) = factories.firm_events(world.firm, "records.exported")
    assert event.changes["from"] == "2026-01-01" and event.changes["released_reports"] == 1


@pytest.mark.parametrize("victim", ["reports/{id}.pdf", "audit/events.jsonl", "index.html"])
def test_one_changed_byte_fails_naming_the_file(victim, records, tmp_path, capsys):
    world, report = records
    out = tmp_path / "exam"
    export(world, out)
    name = victim.format(id=report.pk)
    data = bytearray((out / name).read_bytes())
    data[len(data) // 2] ^= 0x01
    (out / name).write_bytes(bytes(data))
    with pytest.raises(CommandError):
        call_command("verify_export", str(out))
    assert f"{name}: SHA-256 differs from the manifest" in capsys.readouterr().err


def test_a_missing_or_added_file_fails(records, tmp_path, capsys):
    world, _ = records
    out = tmp_path / "exam"
    export(world, out)
    (out / "people/members.json").unlink()
    (out / "extra.txt").write_text("slipped in")
    with pytest.raises(CommandError):
        call_command("verify_export", str(out))
    err = capsys.readouterr().err
    assert "people/members.json: missing" in err and "extra.txt: not in the manifest" in err


def test_a_rewritten_event_with_a_fresh_manifest_still_fails(records, tmp_path, capsys):
    """Whoever edits an event and rewrites the MANIFEST to match cannot recompute the keyed
    hash: the chain check names the seq."""
    from reports.records.manifest import write_manifest

    world, _ = records
    out = tmp_path / "exam"
    export(world, out)
    path = out / "audit/events.jsonl"
    lines = path.read_text().splitlines()
    event = json.loads(lines[-1])
    event["actor_label"] = "someone.else@alpha.example"
    lines[-1] = json.dumps(event, sort_keys=True)
    path.write_text("\n".join(lines) + "\n")
    (out / "MANIFEST").unlink()
    write_manifest(out)
    with pytest.raises(CommandError):
        call_command("verify_export", str(out))
    assert f"seq {event['seq']}: content does not match its hash" in capsys.readouterr().err


def test_bad_arguments_are_clear_errors(records, tmp_path):
    world, _ = records
    with pytest.raises(CommandError, match="not a date"):
        call_command(
            "export_records",
            "--firm",
            world.firm.slug,
            "--from",
            "2026-13-01",
            "--to",
            "2026-12-01",
            "--out",
            str(tmp_path / "x"),
        )
    with pytest.raises(CommandError, match="before"):
        export(world, tmp_path / "y", dt.date(2026, 5, 1), dt.date(2026, 4, 1))
    with pytest.raises(CommandError, match="No firm"):
        call_command(
            "export_records",
            "--firm",
            "nope",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-02",
            "--out",
            str(tmp_path / "z"),
        )
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "a").write_text("x")
    with pytest.raises(CommandError, match="not empty"):
        export(world, tmp_path / "full")
