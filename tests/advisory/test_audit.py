"""The audit trail: one writer, redaction, append-only, a verifiable chain."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django_scopes import scopes_disabled

from advisory import audit
from advisory import audit_actions as actions
from advisory.audit import (
    GENESIS_HASH,
    REDACTED,
    Entry,
    compute_hash,
    event_content,
    record,
    record_many,
    verify_chain,
)
from advisory.chain.keys import audit_keys
from advisory.models import AuditEvent, Firm
from advisory.request_context import acting_as
from advisory.tenancy import firm_scope
from tests.db_roles import as_superuser
from tests.factories import firm_events


def test_record_appends_a_linked_hashed_event(world_a):
    with acting_as(ip="10.1.2.3", user_agent="pytest", request_id="req-123456"):
        first = record(firm=world_a.firm, action=actions.HOUSEHOLD_VIEWED, obj=world_a.household)
        second = record(
            firm=world_a.firm, action=actions.HOUSEHOLD_UPDATED, changes={"x": {"before": 1}}
        )
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    # Keyed: HMAC under the configured key, whose id is stored with the event.
    assert first.key_id == settings.BALLAST_AUDIT_KEY_ID
    key = audit_keys()[first.key_id]
    assert first.hash == compute_hash(GENESIS_HASH, event_content(first), key)
    assert first.object_type == "advisory.household"
    assert first.object_id == str(world_a.household.pk)
    assert (first.ip, first.user_agent, first.request_id) == ("10.1.2.3", "pytest", "req-123456")
    assert verify_chain(world_a.firm).ok


def test_record_many_appends_in_order_as_one_chain_segment(world_a):
    record(firm=world_a.firm, action=actions.LOGIN)
    entries = [
        Entry(actions.POSITIONS_IMPORTED, obj=world_a.account, changes={"lots": {"n": i}})
        for i in range(3)
    ] + [Entry(actions.POSITIONS_IMPORT, changes={"accounts": 3})]
    events = record_many(firm=world_a.firm, entries=entries)
    assert [e.seq for e in events] == [2, 3, 4, 5]
    assert [e.changes for e in events[:3]] == [{"lots": {"n": i}} for i in range(3)]
    assert events[1].prev_hash == events[0].hash
    stored = firm_events(world_a.firm)
    assert [e.action for e in stored] == [
        "auth.login",
        "positions.imported",
        "positions.imported",
        "positions.imported",
        "positions.import",
    ]
    assert [e.hash for e in stored[1:]] == [e.hash for e in events]
    assert verify_chain(world_a.firm).ok


def test_a_large_batch_goes_by_copy_and_reads_back_as_hashed(world_a):
    # From COPY_FROM events PostgreSQL takes them by COPY: every stored column must still be
    # exactly what was hashed, so the chain verifies row by row.
    assert connection.vendor == "postgresql"
    n = audit.COPY_FROM + 5
    entries = [
        Entry(
            actions.POSITIONS_IMPORTED,
            obj=world_a.account,
            changes={"lots": {"before": {"VOO": "1"}, "after": {"VOO": str(i)}}, "note": "é"},
        )
        for i in range(n)
    ]
    with acting_as(ip="2001:db8::1", user_agent="pytest", request_id="req-copy-01"):
        record_many(firm=world_a.firm, entries=entries)
    stored = firm_events(world_a.firm)
    assert [e.seq for e in stored] == list(range(1, n + 1))
    assert stored[-1].changes == {
        "lots": {"before": {"VOO": "1"}, "after": {"VOO": str(n - 1)}},
        "note": "é",
    }
    assert (stored[0].ip, stored[0].request_id) == ("2001:db8::1", "req-copy-01")
    assert stored[0].object_id == str(world_a.account.pk)
    report = verify_chain(world_a.firm)
    assert (report.ok, report.checked) == (True, n)


def test_record_many_refuses_the_whole_batch_for_one_unknown_code(world_a):
    entries = [Entry(actions.LOGIN), Entry("no.such_code")]
    with pytest.raises(actions.UnknownAction):
        record_many(firm=world_a.firm, entries=entries)
    assert firm_events(world_a.firm) == []
    assert record_many(firm=world_a.firm, entries=[]) == []


def test_each_firm_has_its_own_chain(world_a, world_b):
    record(firm=world_a.firm, action=actions.LOGIN)
    record(firm=world_b.firm, action=actions.LOGIN)
    record(firm=world_a.firm, action=actions.LOGOUT)
    assert [e.seq for e in firm_events(world_a.firm)] == [1, 2]
    assert [e.seq for e in firm_events(world_b.firm)] == [1]


def test_secret_looking_fields_are_redacted(world_a):
    event = record(
        firm=world_a.firm,
        action=actions.MEMBERSHIP_UPDATED,
        changes={
            "password": {"before": "hunter2", "after": "hunter3"},
            "api_key": "abc",
            "nested": {"auth_token": "t0k3n", "name": "kept"},
            "totp_secret": "JBSWY3DP",
        },
    )
    assert event.changes["password"] == REDACTED
    assert event.changes["api_key"] == REDACTED
    assert event.changes["totp_secret"] == REDACTED
    assert event.changes["nested"] == {"auth_token": REDACTED, "name": "kept"}
    assert "hunter" not in str(event.changes)


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_leave_a_gap_free_valid_chain():
    with scopes_disabled():
        firm = Firm.objects.create(name="Race Firm", slug="race")
    per_thread, errors = 25, []
    barrier = threading.Barrier(2)

    def writer(label: str) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                with transaction.atomic():
                    record(firm=firm, action=label, changes={"i": i})
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(x,)) for x in ("auth.login", "auth.logout")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    chain = firm_events(firm)
    assert [e.seq for e in chain] == list(range(1, 2 * per_thread + 1))
    assert {e.action for e in chain} == {"auth.login", "auth.logout"}
    report = verify_chain(firm)
    assert report.ok and report.checked == 2 * per_thread


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE advisory_auditevent SET action = 'forged'",
        "DELETE FROM advisory_auditevent",
    ],
)
def test_sql_update_and_delete_are_refused(world_a, sql):
    record(firm=world_a.firm, action="household.viewed")
    # As a superuser: the application role may not UPDATE or DELETE here at all
    # (tests/advisory/db_security); this is the trigger's wall behind that one.
    with (
        pytest.raises(DatabaseError, match="append-only"),
        as_superuser(),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert [e.action for e in firm_events(world_a.firm)] == ["household.viewed"]


def test_orm_update_and_delete_are_refused(world_a):
    event = record(firm=world_a.firm, action="household.viewed")
    with firm_scope(world_a.firm):
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(action="forged")
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).delete()
        event.action = "forged"
        with pytest.raises(DatabaseError), transaction.atomic():
            event.save()
    assert firm_events(world_a.firm)[0].action == "household.viewed"


def tamper(sql: str, *params: object) -> None:
    """What a superuser could do: disable the trigger, edit, re-enable."""
    with as_superuser(), connection.cursor() as cursor:
        # Fire the test transaction's deferred FK checks first; ALTER TABLE
        # refuses to run while they are pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE advisory_auditevent DISABLE TRIGGER audit_append_only")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE advisory_auditevent ENABLE TRIGGER audit_append_only")


def test_verify_audit_passes_an_intact_chain(world_a, capsys):
    for i in range(3):
        record(firm=world_a.firm, action="household.viewed", changes={"n": i})
    call_command("verify_audit", firm="alpha")
    assert "alpha: OK, 3 events verified" in capsys.readouterr().out


def test_verify_audit_names_the_edited_row(world_a, world_b, capsys):
    for i in range(5):
        record(firm=world_a.firm, action="household.viewed", changes={"n": i})
    record(firm=world_b.firm, action="household.viewed")
    victim = firm_events(world_a.firm)[2]
    tamper("UPDATE advisory_auditevent SET action = 'innocent' WHERE id = %s", victim.pk)
    with pytest.raises(CommandError, match="alpha seq 3"):
        call_command("verify_audit", firm="alpha")
    assert "BROKEN at seq 3" in capsys.readouterr().err
    call_command("verify_audit", firm="zeta")  # the other firm's chain still verifies


def test_verify_audit_names_a_deleted_row(world_a):
    for i in range(4):
        record(firm=world_a.firm, action="household.viewed", changes={"n": i})
    victim = firm_events(world_a.firm)[1]
    tamper("DELETE FROM advisory_auditevent WHERE id = %s", victim.pk)
    report = verify_chain(world_a.firm)
    assert report.first_bad_seq == 2
    assert "gap" in report.reason


def test_verify_audit_catches_a_rehashed_row(world_a):
    """Recomputing the edited row's own hash is not enough: the next link breaks."""
    for i in range(3):
        record(firm=world_a.firm, action="household.viewed", changes={"n": i})
    victim = firm_events(world_a.firm)[1]
    victim.action = "forged"
    new_hash = compute_hash(victim.prev_hash, event_content(victim), audit_keys()[victim.key_id])
    tamper(
        "UPDATE advisory_auditevent SET action = 'forged', hash = %s WHERE id = %s",
        new_hash,
        victim.pk,
    )
    report = verify_chain(world_a.firm)
    assert report.first_bad_seq == 3
