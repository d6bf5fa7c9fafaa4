"""Token use is audited: the events a token request writes carry its id (in the hashed
content), the chain still verifies, exports carry it and re-verify, and who-saw-what
answers by token."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from advisory.audit import verify_chain
from advisory.compliance import exports, seen
from advisory.models import ApiToken, AuditEvent
from advisory.tenancy import firm_scope
from tests import factories
from tests.db_roles import as_superuser

from .conftest import bearer, make_token

pytestmark = pytest.mark.django_db


def tamper(sql: str, *params: object) -> None:
    """What a superuser could do: disable the append-only trigger, edit, re-enable."""
    with as_superuser(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE advisory_auditevent DISABLE TRIGGER audit_append_only")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE advisory_auditevent ENABLE TRIGGER audit_append_only")


def _token_id(world, secret: str) -> int:
    with firm_scope(world.firm):
        return ApiToken.objects.get(prefix=secret[:12]).pk


def test_reads_through_a_token_are_audited_with_its_id(world_a):
    secret = make_token(world_a.advisor)
    token_id = _token_id(world_a, secret)
    client = bearer(secret)
    assert client.get(f"/api/v1/households/{world_a.household.pk}/").status_code == 200
    assert client.get(f"/api/v1/accounts/{world_a.account.pk}/").status_code == 200
    assert client.get("/api/v1/households/").status_code == 200
    with firm_scope(world_a.firm):
        events = list(AuditEvent.objects.filter(api_token_id=token_id).order_by("seq"))
        created = AuditEvent.objects.get(action="api_token.created")
        report = verify_chain(world_a.firm)
    assert [e.action for e in events] == ["household.viewed", "account.viewed", "households.listed"]
    assert all(e.actor_id == world_a.advisor.user_id and e.role == "advisor" for e in events)
    assert all(e.request_id and e.ip == "127.0.0.1" for e in events)
    assert set(events[2].changes["household_ids"]) == {
        world_a.household.pk,
        world_a.team_household.pk,
    }
    assert created.api_token_id is None  # made on the page, not through a token
    assert report.ok, report


def test_the_token_id_is_hashed_into_the_chain(world_a):
    secret = make_token(world_a.advisor)
    bearer(secret).get(f"/api/v1/households/{world_a.household.pk}/")
    with firm_scope(world_a.firm):
        event = AuditEvent.objects.get(action="household.viewed")
    # A superuser clearing the token id in the table breaks the chain at that event.
    tamper("UPDATE advisory_auditevent SET api_token_id = NULL WHERE id = %s", event.pk)
    with firm_scope(world_a.firm):
        report = verify_chain(world_a.firm)
    assert not report.ok and report.first_bad_seq == event.seq


def test_session_requests_carry_no_token_id(world_a):
    client = factories.log_in(Client(), world_a.advisor.user)
    assert client.get(f"/api/v1/households/{world_a.household.pk}/").status_code == 200
    with firm_scope(world_a.firm):
        event = AuditEvent.objects.get(action="household.viewed")
    assert event.api_token_id is None


def test_who_saw_what_by_token(world_a):
    first, second = make_token(world_a.advisor), make_token(world_a.advisor)
    bearer(first).get(f"/api/v1/households/{world_a.household.pk}/")
    bearer(second).get(f"/api/v1/accounts/{world_a.account.pk}/")
    first_id = _token_id(world_a, first)
    with firm_scope(world_a.firm):
        rows = seen.who_saw_what(seen.read_events(token=first_id))
    assert [(r.kind, r.object_id) for r in rows] == [("household", str(world_a.household.pk))]

    page = factories.log_in(Client(), world_a.compliance.user)
    by_prefix = page.get("/compliance/who-saw-what/", {"token": first[:12]})
    assert by_prefix.status_code == 200
    body = by_prefix.content.decode()
    assert "Alpha Household" in body and "Alpha Brokerage" not in body
    by_id = page.get("/compliance/who-saw-what/", {"token": str(_token_id(world_a, second))})
    assert "Alpha Brokerage" in by_id.content.decode()
    unknown = page.get("/compliance/who-saw-what/", {"token": "blt_nope"})
    assert "is not one of this firm" in unknown.content.decode()


def test_the_workspace_export_has_the_token_column(world_a):
    secret = make_token(world_a.advisor)
    bearer(secret).get(f"/api/v1/households/{world_a.household.pk}/")
    with firm_scope(world_a.firm):
        events = AuditEvent.objects.filter(action="household.viewed")
        lines = "".join(exports.csv_lines(events))
    row = next(csv.DictReader(io.StringIO(lines)))
    assert row["api_token_id"] == str(_token_id(world_a, secret))


def test_a_records_export_with_token_events_re_verifies(world_a, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    secret = make_token(world_a.advisor)
    bearer(secret).get(f"/api/v1/households/{world_a.household.pk}/")
    out = tmp_path / "exam"
    today = timezone.now().date().isoformat()
    call_command(
        "export_records", "--firm", world_a.firm.slug, "--from", today, "--to", today,
        "--out", str(out),
    )  # fmt: skip
    call_command("verify_export", str(out))  # raises on any problem
    lines = [json.loads(x) for x in (out / "audit/events.jsonl").read_text().splitlines()]
    viewed = [e for e in lines if e["action"] == "household.viewed"]
    assert viewed and viewed[0]["api_token"] == _token_id(world_a, secret)
