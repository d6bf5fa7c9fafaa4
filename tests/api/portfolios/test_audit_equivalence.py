"""A proposal created, approved by a second user and exported through the API leaves the same
audit events as through the pages: same actions, actors and roles, in the same order."""

from __future__ import annotations

from django_scopes import scopes_disabled

from advisory.models import AuditEvent
from portfolios.models import Proposal
from portfolios.proposals import workflow
from tests import factories
from tests.api.portfolios.helpers import BASE


def events_after(seq: int) -> list[tuple[str, str, str | None]]:
    with scopes_disabled():
        rows = AuditEvent.objects.filter(seq__gt=seq).order_by("seq")
        return [(e.action, e.actor_label, e.role) for e in rows]


def last_seq() -> int:
    with scopes_disabled():
        return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def newest_proposal() -> Proposal:
    with scopes_disabled():
        return Proposal.objects.order_by("-pk").first()


def test_pages_and_api_leave_the_same_audit_events(desk, api, login, client):
    # Everyone signs in first (sign-ins are audited too, and are not the point here).
    advisor = login(desk.advisor)
    other = factories.stepped_up(
        factories.log_in(type(client)(), desk.other_advisor.user), desk.other_advisor.user
    )
    mine, theirs = api(desk.advisor), api(desk.other_advisor, stepped_up=True)

    # The pages: propose and submit (advisor), approve and export (a second advisor).
    start = last_seq()
    assert (
        advisor.post(f"/households/{desk.household.pk}/propose/", {"mode": "to_target"}).status_code
        == 302
    )
    proposal = newest_proposal()
    assert advisor.post(f"/proposals/{proposal.pk}/submit/", {"version": "1"}).status_code == 302
    approve = other.post(f"/proposals/{proposal.pk}/approve/", {"version": "2", "confirm": "on"})
    assert approve.status_code == 302
    export = other.post(
        f"/proposals/{proposal.pk}/export/", {"version": "3", "custodian": "generic"}
    )
    assert export.status_code == 200
    pages = events_after(start)
    with scopes_disabled():  # out of the way (an exported proposal is still open)
        workflow.cancel(proposal=proposal, actor=desk.advisor.user, expected_version=4)

    # The API, the same steps by the same people.
    start = last_seq()
    made = mine.post(f"{BASE}/proposals/", {"household": desk.household.pk, "mode": "to_target"},
                     content_type="application/json")  # fmt: skip
    assert made.status_code == 201
    pk = made.json()["id"]
    post = lambda c, name, **body: c.post(  # noqa: E731
        f"{BASE}/proposals/{pk}/{name}/", body, content_type="application/json"
    )
    assert post(mine, "submit", version=1).status_code == 200
    assert post(theirs, "approve", version=2).status_code == 200
    exported = post(theirs, "export", version=3, custodian="generic")
    assert exported.status_code == 200
    through_api = events_after(start)

    assert [a for a, _, _ in pages] == [
        "proposal.created", "proposal.submitted", "proposal.approved", "proposal.exported",
    ]  # fmt: skip
    assert through_api == pages
    assert exported.content.splitlines()[1:] != []  # the same kind of file, with the trades
    assert export.content.splitlines()[0] == exported.content.splitlines()[0]
