"""The compliance workspace: search filters, timelines with names, who saw what, review
queues, exports, and who may open them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from advisory import audit_actions as actions
from advisory.audit import record
from advisory.request_context import acting_as
from advisory.tenancy import firm_scope
from tests.factories import fake_proposal, firm_events, make_desk, stepped_up

SEARCH = "/compliance/audit/"


def events_shown(response) -> list:
    assert response.status_code == 200
    return list(response.context["page"])


@pytest.fixture
def clock(monkeypatch):
    """Set the time the next events are recorded at."""
    from django.utils import timezone

    def set_to(when: dt.datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: when)

    return set_to


@pytest.fixture
def trail(world_a, world_b, clock):
    a, b = world_a, world_b
    clock(dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC))
    with acting_as(
        actor=a.advisor.user, actor_label=a.advisor.user.email, role="advisor", ip="10.1.2.3"
    ):
        record(firm=a.firm, action=actions.HOUSEHOLD_VIEWED, obj=a.household)
    clock(dt.datetime(2026, 3, 5, 10, tzinfo=dt.UTC))
    with acting_as(
        actor=a.admin.user, actor_label=a.admin.user.email, role="admin", ip="192.168.7.9"
    ):
        record(
            firm=a.firm,
            action=actions.HOUSEHOLD_UPDATED,
            obj=a.household,
            changes={
                "primary_advisor": {"before": a.other_advisor.pk, "after": a.advisor.pk},
                "notes": {"before": None, "after": "x" * 300},
            },
        )
    clock(dt.datetime(2026, 3, 9, 10, tzinfo=dt.UTC))
    with acting_as(
        actor=a.client.user, actor_label=a.client.user.email, role="client", ip="10.9.9.9"
    ):
        record(firm=a.firm, action=actions.PORTAL_VIEWED, obj=a.household)
        record(firm=a.firm, action=actions.PORTAL_ACCOUNT_VIEWED, obj=a.account)
    with acting_as(
        actor=b.advisor.user, actor_label=b.advisor.user.email, role="advisor", ip="10.1.2.3"
    ):
        record(firm=b.firm, action=actions.HOUSEHOLD_VIEWED, obj=b.household)
    clock(dt.datetime(2026, 4, 20, 10, tzinfo=dt.UTC))
    with acting_as(
        actor=a.advisor.user, actor_label=a.advisor.user.email, role="advisor", ip="10.1.2.3"
    ):
        record(firm=a.firm, action=actions.ACCOUNT_VIEWED, obj=a.account)
    return a


def actions_of(events) -> list[str]:
    return [e.action for e in events]


def test_search_filters_each_narrow(trail, login, clock):
    clock(dt.datetime(2026, 5, 1, tzinfo=dt.UTC))
    client = login(trail.compliance)
    assert actions_of(events_shown(client.get(SEARCH, {"actor": "admin@alpha"}))) == [
        "household.updated"
    ]
    by_id = events_shown(client.get(SEARCH, {"actor": str(trail.client.user.pk)}))
    assert set(actions_of(by_id)) == {"portal.viewed", "portal.account_viewed"}
    assert {e.role for e in events_shown(client.get(SEARCH, {"role": "client"}))} == {"client"}
    assert actions_of(events_shown(client.get(SEARCH, {"code": "account.viewed"}))) == [
        "account.viewed"
    ]
    read = events_shown(client.get(SEARCH, {"category": "read", "object_type": "household"}))
    assert actions_of(read) == ["portal.viewed", "household.viewed"]
    one = events_shown(
        client.get(SEARCH, {"object_type": "account", "object_id": str(trail.account.pk)})
    )
    assert actions_of(one) == ["account.viewed", "portal.account_viewed"]
    march = events_shown(client.get(SEARCH, {"date_from": "2026-03-05", "date_to": "2026-03-09"}))
    assert actions_of(march) == ["portal.account_viewed", "portal.viewed", "household.updated"]
    assert actions_of(events_shown(client.get(SEARCH, {"ip": "192.168.7.9"}))) == [
        "household.updated"
    ]
    assert set(actions_of(events_shown(client.get(SEARCH, {"ip": "10.9."})))) == {
        "portal.viewed",
        "portal.account_viewed",
    }
    assert actions_of(events_shown(client.get(SEARCH, {"q": "changed"}))) == []
    assert actions_of(events_shown(client.get(SEARCH, {"q": "Updated a household"}))) == [
        "household.updated"
    ]
    # Firm B's event (same IP) never shows.
    assert "ZetaSecret" not in client.get(SEARCH, {"ip": "10.1.2.3"}).content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date_from": "2026-13-45"}, "is not a date"),
        ({"code": "no.such_thing"}, "is not a registered action"),
        ({"ip": "evil'--"}, "is not an address"),
        ({"object_type": "spaceship"}, "is not one of the listed types"),
    ],
)
def test_bad_filters_are_a_message(trail, login, params, message):
    response = login(trail.compliance).get(SEARCH, params)
    assert response.status_code == 200
    assert message in response.content.decode()


def test_changes_show_names_none_and_expand(trail, login):
    page = login(trail.compliance).get(SEARCH, {"code": "household.updated"}).content.decode()
    assert f"other@alpha.example (#{trail.other_advisor.pk})" in page
    assert f"advisor@alpha.example (#{trail.advisor.pk})" in page
    assert "∅" in page
    assert "<details" in page and "x" * 300 in page  # whole, not cut


def test_names_resolve_in_one_query_per_model(world_a, login, django_assert_max_num_queries):
    for _ in range(20):
        record(
            firm=world_a.firm,
            action=actions.HOUSEHOLD_UPDATED,
            obj=world_a.household,
            changes={
                "primary_advisor": {
                    "before": world_a.other_advisor.pk,
                    "after": world_a.advisor.pk,
                },
                "model": {"before": None, "after": world_a.model.pk},
            },
        )
    client = login(world_a.compliance)
    client.get(SEARCH)
    with django_assert_max_num_queries(12):
        client.get(SEARCH)


def test_timeline_shows_before_after_with_names(trail, login):
    client = login(trail.compliance)
    response = client.get(f"/compliance/timeline/household/{trail.household.pk}/")
    assert response.status_code == 200
    events = response.context["events"]
    assert actions_of(events) == ["household.viewed", "household.updated", "portal.viewed"]
    page = response.content.decode()
    assert f"advisor@alpha.example (#{trail.advisor.pk})" in page
    user = client.get(f"/compliance/timeline/user/{trail.advisor.user.pk}/")
    assert {"household.viewed", "account.viewed"} <= set(actions_of(user.context["events"]))


def test_timeline_of_another_firms_object_is_404(trail, world_b, login):
    client = login(trail.compliance)
    assert client.get(f"/compliance/timeline/household/{world_b.household.pk}/").status_code == 404
    assert client.get(f"/compliance/timeline/user/{world_b.advisor.user.pk}/").status_code == 404
    assert client.get(f"/compliance/timeline/spaceship/{trail.household.pk}/").status_code == 404


def test_who_saw_what_inside_the_window_only(trail, login, clock):
    clock(dt.datetime(2026, 5, 1, tzinfo=dt.UTC))
    client = login(trail.compliance)
    march = {"from": "2026-03-01", "to": "2026-03-31"}
    seen = client.get("/compliance/who-saw-what/", {"actor": "client@alpha", **march})
    rows = {(r.kind, r.object_id): r for r in seen.context["rows"]}
    assert set(rows) == {("household", str(trail.household.pk)), ("account", str(trail.account.pk))}
    advisor = client.get("/compliance/who-saw-what/", {"actor": "advisor@alpha", **march})
    rows = advisor.context["rows"]
    assert [(r.kind, r.count) for r in rows] == [("household", 1)]  # April's account view is out
    assert rows[0].first == dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC)
    by_ip = client.get("/compliance/who-saw-what/", {"ip": "10.1.2.3", **march})
    assert "ZetaSecret" not in by_ip.content.decode()
    assert [r.object_id for r in by_ip.context["rows"]] == [str(trail.household.pk)]


def test_who_saw_what_exports_csv_as_an_audit_event(trail, login):
    # Exports need a second factor from the last few minutes (step-up).
    client = stepped_up(login(trail.compliance), trail.compliance.user)
    response = client.post(
        "/compliance/who-saw-what/export/",
        {"actor": "client@alpha", "from": "2026-03-01", "to": "2026-03-31"},
    )
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {r["kind"] for r in rows} == {"household", "account"}
    exported = firm_events(trail.firm, "audit.exported")[-1]
    assert exported.changes["filters"]["actor"] == "client@alpha"


def test_csv_export_escapes_formulas_and_is_audited(world_a, login):
    for text in ("=HYPERLINK(1)", "+1", "-2", "@SUM(A1)", "\tTab", "\rCR", "plain"):
        record(firm=world_a.firm, action=actions.HOUSEHOLD_VIEWED, object_repr=text)
    client = stepped_up(login(world_a.compliance), world_a.compliance.user)
    response = client.post(
        "/compliance/audit/export/", {"code": "household.viewed", "format": "csv"}
    )
    assert response.status_code == 200 and response.streaming
    exported = firm_events(world_a.firm, "audit.exported")
    assert exported[-1].changes == {
        "export": "audit-events",
        "format": "csv",
        "filters": {"code": "household.viewed"},
    }
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    reprs = sorted(r["object_repr"] for r in rows)
    assert reprs == sorted(
        ["'=HYPERLINK(1)", "'+1", "'-2", "'@SUM(A1)", "'\tTab", "'\rCR", "plain"]
    )
    assert all(r["hash"] and r["prev_hash"] and r["seq"] for r in rows)


def test_json_export_round_trips(trail, login):
    client = stepped_up(login(trail.compliance), trail.compliance.user)
    response = client.post(
        "/compliance/audit/export/", {"object_type": "household", "format": "json"}
    )
    data = json.loads(b"".join(response.streaming_content))
    with firm_scope(trail.firm):
        from advisory.models import AuditEvent

        stored = {
            e.seq: e
            for e in AuditEvent.objects.filter(
                object_type="advisory.household", seq__in=[r["seq"] for r in data["events"]]
            )
        }
    assert len(data["events"]) == 3
    for row in data["events"]:
        event = stored[row["seq"]]
        assert (row["hash"], row["prev_hash"], row["changes"]) == (
            event.hash,
            event.prev_hash,
            event.changes,
        )
    assert data["meta"]["filters"] == {"object_type": "household"}


def test_bad_export_filters_are_refused_without_an_event(trail, login):
    client = stepped_up(login(trail.compliance), trail.compliance.user)
    before = len(firm_events(trail.firm, "audit.exported"))
    response = client.post("/compliance/audit/export/", {"date_to": "yesterday", "format": "csv"})
    assert response.status_code == 400
    assert len(firm_events(trail.firm, "audit.exported")) == before


def test_review_flags_a_self_approval(world_a, login, clock):
    clock(dt.datetime(2026, 3, 2, tzinfo=dt.UTC))
    a = world_a
    for proposal_id, author, approver in ((501, a.advisor, a.advisor), (502, a.advisor, a.admin)):
        with acting_as(actor=author.user, actor_label=author.user.email, role="advisor"):
            record(
                firm=a.firm,
                action=actions.PROPOSAL_CREATED,
                object_type="portfolios.proposal",
                object_id=proposal_id,
                object_repr=f"Proposal #{proposal_id} (draft)",
            )
        with acting_as(actor=approver.user, actor_label=approver.user.email, role=approver.role):
            record(
                firm=a.firm,
                action=actions.PROPOSAL_APPROVED,
                object_type="portfolios.proposal",
                object_id=proposal_id,
                object_repr=f"Proposal #{proposal_id} (approved)",
            )
    with acting_as(actor=None, actor_label="advisor@alpha.example", role="", ip="10.0.0.1"):
        record(firm=a.firm, action=actions.LOGIN_FAILED, obj=a.advisor.user)
    with acting_as(actor=a.advisor.user, actor_label="advisor@alpha.example", ip="10.0.0.1"):
        record(firm=a.firm, action=actions.LOGIN, obj=a.advisor.user)
    clock(dt.datetime(2026, 3, 3, tzinfo=dt.UTC))
    with acting_as(actor=a.advisor.user, actor_label="advisor@alpha.example", ip="10.0.0.1"):
        record(firm=a.firm, action=actions.LOGIN, obj=a.advisor.user)  # not new any more
    response = login(a.compliance).get(
        "/compliance/review/", {"from": "2026-03-01", "to": "2026-03-31"}
    )
    approvals = {int(r.event.object_id): r for r in response.context["approvals"]}
    assert approvals[501].self_approval and not approvals[502].self_approval
    assert approvals[502].author == "advisor@alpha.example"
    assert "Self-approved" in response.content.decode()
    assert len(response.context["failed"]) == 1
    assert [e.created_at.day for e in response.context["new_ips"]] == [2]


@pytest.mark.parametrize(
    "url",
    [
        SEARCH,
        "/compliance/who-saw-what/",
        "/compliance/review/",
    ],
)
def test_only_compliance_and_admin(world_a, login, client, url):
    for persona in (world_a.advisor, world_a.client):
        login(persona)
        assert client.get(url).status_code == 403
    login(world_a.admin)
    assert client.get(url).status_code == 200
    for persona in (world_a.advisor, world_a.client):
        login(persona)
        assert client.post("/compliance/audit/export/", {"format": "csv"}).status_code == 403


def test_new_read_events_are_recorded(world_a, login):
    client = login(world_a.advisor)
    assert client.get("/").status_code == 200
    listed = firm_events(world_a.firm, "households.listed")
    assert listed and world_a.household.pk in listed[-1].changes["household_ids"]
    assert client.get("/proposals/").status_code == 200
    assert firm_events(world_a.firm, "proposals.listed")


def test_proposal_page_records_a_read(world_a, classes, login):
    with firm_scope(world_a.firm):
        proposal = fake_proposal(make_desk(world_a, classes))
    response = login(world_a.compliance).get(f"/proposals/{proposal.pk}/")
    assert response.status_code == 200
    viewed = firm_events(world_a.firm, "proposal.viewed")
    assert [(e.object_type, e.object_id) for e in viewed] == [
        ("portfolios.proposal", str(proposal.pk))
    ]


def test_who_saw_what_names_each_kind_of_object_apart(world_a, login):
    """A household and an account with the same id are two rows with their own names."""
    user = world_a.client.user
    with firm_scope(world_a.firm), acting_as(actor=user, actor_label=user.email, role="client"):
        record(
            firm=world_a.firm,
            action=actions.PORTAL_VIEWED.code,
            object_type="advisory.household",
            object_id=str(world_a.household.pk),
            object_repr="Alpha Household",
        )
        record(
            firm=world_a.firm,
            action=actions.PORTAL_ACCOUNT_VIEWED.code,
            object_type="advisory.account",
            object_id=str(world_a.household.pk),  # an account with the household's id
            object_repr="Same-id Brokerage",
        )
    today = dt.date.today().isoformat()
    page = login(world_a.compliance).get(
        "/compliance/who-saw-what/",
        {"actor": world_a.client.user.email, "from": today, "to": today},
    )
    body = page.content.decode()
    assert "Alpha Household" in body and "Same-id Brokerage" in body
