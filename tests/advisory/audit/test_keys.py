"""The keyed chain: HMAC under a key outside the database, by key id, with rotation and a
legacy SHA-256 prefix."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from advisory import audit
from advisory.audit import Entry, record, record_many, verify_chain
from advisory.chain.keys import audit_keys, configuration_errors, current_key
from advisory.models import AuditEvent
from tests.factories import firm_events

from .conftest import rewrite_chain

KEY_A = "key-a-0123456789abcdef0123456789abcdef"
KEY_B = "key-b-fedcba9876543210fedcba9876543210"
OTHER = b"someone-elses-key-0123456789abcdef0123"


def _events(firm, n: int) -> None:
    for i in range(n):
        record(firm=firm, action="household.viewed", changes={"n": i})


def test_new_events_are_hmac_under_the_current_key(world_a, settings):
    _events(world_a.firm, 3)
    events = firm_events(world_a.firm)
    assert {e.key_id for e in events} == {settings.BALLAST_AUDIT_KEY_ID}
    # The same content without the key (the old rule) gives another hash.
    legacy = audit.compute_hash(events[0].prev_hash, audit.event_content(events[0]))
    assert events[0].hash != legacy
    assert verify_chain(world_a.firm).ok


def test_a_large_batch_by_copy_is_keyed_and_verifies(world_a):
    entries = [Entry(action="household.viewed", changes={"i": i}) for i in range(150)]
    assert len(entries) >= audit.COPY_FROM
    record_many(firm=world_a.firm, entries=entries)
    events = firm_events(world_a.firm)
    assert len(events) == 150
    assert {e.key_id for e in events} == {"t1"}
    report = verify_chain(world_a.firm, batch_size=40)  # several keyset batches
    assert report.ok and report.checked == 150


def test_a_chain_rewritten_with_a_wrong_key_fails(world_a, capsys):
    _events(world_a.firm, 4)
    rewrite_chain(world_a.firm, lambda seq: ("t1", OTHER))
    report = verify_chain(world_a.firm)
    assert (report.first_bad_seq, report.checked) == (1, 0)
    assert "does not match its hash" in report.reason
    with pytest.raises(CommandError, match="alpha seq 1"):
        call_command("verify_audit")
    assert "alpha: BROKEN at seq 1" in capsys.readouterr().err


def test_an_unknown_key_id_fails_naming_the_seq(world_a):
    _events(world_a.firm, 3)
    keys = audit_keys()
    rewrite_chain(world_a.firm, lambda seq: ("zz", OTHER) if seq == 2 else ("t1", keys["t1"]))
    report = verify_chain(world_a.firm)
    assert report.first_bad_seq == 2
    assert report.reason == "unknown key id 'zz'"


def test_rotation_verifies_with_both_keys_and_fails_without_the_old_one(world_a, settings):
    settings.BALLAST_AUDIT_KEYS = {"a": KEY_A, "b": KEY_B}
    settings.BALLAST_AUDIT_KEY_ID = "a"
    _events(world_a.firm, 2)
    settings.BALLAST_AUDIT_KEY_ID = "b"
    _events(world_a.firm, 2)
    assert [e.key_id for e in firm_events(world_a.firm)] == ["a", "a", "b", "b"]
    assert verify_chain(world_a.firm).ok
    settings.BALLAST_AUDIT_KEYS = {"b": KEY_B}
    report = verify_chain(world_a.firm)
    assert (report.first_bad_seq, report.reason) == (1, "unknown key id 'a'")


def test_a_legacy_prefix_verifies(world_a):
    _events(world_a.firm, 4)
    key = audit_keys()["t1"]
    rewrite_chain(world_a.firm, lambda seq: ("", None) if seq <= 2 else ("t1", key))
    assert [e.key_id for e in firm_events(world_a.firm)] == ["", "", "t1", "t1"]
    report = verify_chain(world_a.firm)
    assert report.ok and report.checked == 4
    # New events chain on as keyed ones.
    _events(world_a.firm, 1)
    assert verify_chain(world_a.firm).ok


def test_a_legacy_event_after_a_keyed_one_fails(world_a):
    _events(world_a.firm, 4)
    key = audit_keys()["t1"]
    rewrite_chain(world_a.firm, lambda seq: ("", None) if seq == 3 else ("t1", key))
    report = verify_chain(world_a.firm)
    assert report.first_bad_seq == 3
    assert "legacy" in report.reason


def test_the_key_id_is_hashed(world_a):
    """Relabelling an event's key id (to another configured key) breaks its hash."""
    _events(world_a.firm, 2)
    keys = audit_keys()
    events = firm_events(world_a.firm)
    event = AuditEvent(
        **{f.attname: getattr(events[0], f.attname) for f in AuditEvent._meta.fields}
    )
    event.key_id = "t2"
    assert audit.event_content(event) != audit.event_content(events[0])
    assert (
        audit.compute_hash(event.prev_hash, audit.event_content(event), keys["t1"])
        != events[0].hash
    )


def test_a_write_without_a_configured_key_is_refused(world_a, settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.BALLAST_AUDIT_KEY_ID = "missing"
    with pytest.raises(ImproperlyConfigured):
        record(firm=world_a.firm, action="household.viewed")
    assert firm_events(world_a.firm) == []


def test_key_configuration_checks(settings):
    settings.BALLAST_AUDIT_KEYS = {"dev": "x" * 40}
    settings.BALLAST_AUDIT_KEY_ID = "dev"
    assert configuration_errors(deploy=False) == []
    assert any("development key" in e for e in configuration_errors(deploy=True))
    settings.BALLAST_AUDIT_KEYS = {"k1": "short"}
    settings.BALLAST_AUDIT_KEY_ID = "k2"
    errors = configuration_errors(deploy=False)
    assert any("shorter than 32" in e for e in errors)
    assert any("not in BALLAST_AUDIT_KEYS" in e for e in errors)
    settings.BALLAST_AUDIT_KEYS = {"k1": KEY_A}
    settings.BALLAST_AUDIT_KEY_ID = "k1"
    assert current_key() == ("k1", KEY_A.encode())
    assert configuration_errors(deploy=True) == []


def test_production_settings_refuse_to_start_without_keys():
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if not k.startswith("BALLAST_AUDIT")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="p" * 60,
        ALLOWED_HOSTS="example.com",
    )
    root = Path(__file__).resolve().parents[3]
    run = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode != 0
    assert "BALLAST_AUDIT_KEYS" in run.stderr
