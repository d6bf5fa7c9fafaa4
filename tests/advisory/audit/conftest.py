"""Fixtures for the audit chain's integrity tests: a private anchor directory, and a way to
rewrite rows as someone with the database (but not the key) could."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection

from advisory.audit import event_content
from advisory.chain.keys import GENESIS_HASH, compute_hash
from advisory.models import AuditEvent, Firm
from tests.db_roles import as_superuser
from tests.factories import firm_events


@pytest.fixture
def anchor_dir(settings, tmp_path):
    settings.BALLAST_AUDIT_ANCHOR_DIR = str(tmp_path / "anchors")
    return tmp_path / "anchors"


def without_triggers(sql: str, *params: object) -> None:
    """Run ``sql`` past the append-only triggers, as an owner or superuser could (the test
    transaction rolls it all back)."""
    with as_superuser(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Fire the test transaction's deferred FK checks first; ALTER TABLE refuses to
            # run while they are pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE advisory_auditevent DISABLE TRIGGER USER")
            cursor.execute(sql, params)
            cursor.execute("ALTER TABLE advisory_auditevent ENABLE TRIGGER USER")
        else:
            raise NotImplementedError("SQLite is tested in a subprocess on its own file.")


KeyFor = Callable[[int], tuple[str, bytes | None]]


def rewrite_chain(firm: Firm, key_for: KeyFor) -> list[AuditEvent]:
    """Recompute the firm's whole chain, event by event, with the key id and key that
    ``key_for(seq)`` gives (a ``None`` key writes a legacy SHA-256 event), and write every
    row back: a consistent chain, as someone who controls the table would forge it."""
    prev_hash = GENESIS_HASH
    events = firm_events(firm)
    for event in events:
        event.key_id, key = key_for(event.seq)
        event.prev_hash = prev_hash
        event.hash = prev_hash = compute_hash(prev_hash, event_content(event), key)
        without_triggers(
            "UPDATE advisory_auditevent SET key_id = %s, prev_hash = %s, hash = %s WHERE id = %s",
            event.key_id,
            event.prev_hash,
            event.hash,
            event.pk,
        )
    return events
