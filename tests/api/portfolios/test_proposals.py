"""Proposals through the API: create in every engine mode, read with trades and notes, every
workflow step with optimistic locking, the step-up rule for tokens, the order file, the
execution upload, idempotent creates, and who may do what (the real engine, the 60/40 desk)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scopes_disabled

from advisory.models import AuditEvent
from portfolios.models import Execution, Proposal, ProposedTrade, TaxLot
from tests.api.portfolios.helpers import BASE, load, proposal_actions, results
from tests.factories import AS_OF

NOTE_KEYS = {"rule", "subject", "effect", "drift_left", "text"}


def create(client, *, household=None, account=None, mode="to_target", **extra):
    body = {"mode": mode, **extra}
    if household is not None:
        body["household"] = household
    if account is not None:
        body["account"] = account
    return client.post(f"{BASE}/proposals/", body, content_type="application/json")


def step(client, proposal_id: int, name: str, **body):
    return client.post(
        f"{BASE}/proposals/{proposal_id}/{name}/", body, content_type="application/json"
    )


def other_firm_proposal(world) -> Proposal:
    with scopes_disabled():
        return Proposal.objects.create(
            firm=world.firm, household=world.household, mode="to_band",
            author=world.advisor.user, inputs_fingerprint="x" * 64, as_of=AS_OF,
        )  # fmt: skip


@pytest.fixture
def draft(desk, api):
    client = api(desk.advisor, token="write")
    response = create(client, household=desk.household.pk)
    assert response.status_code == 201, response.content
    return client, response.json()


# --- Create -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "extra"),
    [("to_target", {}), ("to_band", {}), ("buy_only", {}),
     ("raise_cash", {"raise_amount": "1500.00"})],
)  # fmt: skip
def test_create_in_each_mode_returns_the_draft_with_its_trades_and_notes(desk, api, mode, extra):
    client = api(desk.advisor, token="write")
    response = create(client, household=desk.household.pk, mode=mode, **extra)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["mode"], body["state"], body["version"], body["scope"]) == (
        mode, "draft", 1, "household",
    )  # fmt: skip
    stored = load(body["id"])
    assert stored.mode == mode and stored.author_id == desk.advisor.user_id
    with scopes_disabled():
        rows = list(ProposedTrade.objects.filter(proposal=stored).order_by("position", "pk"))
    assert [t["id"] for t in body["trades"]] == [r.pk for r in rows]
    assert [Decimal(t["quantity"]) for t in body["trades"]] == [r.quantity for r in rows]
    assert all(set(n) == NOTE_KEYS for n in body["notes"])
    assert len(body["notes"]) == len(stored.notes)
    if mode in ("to_target", "raise_cash"):
        assert any(t["side"] == "sell" for t in body["trades"])
    if mode == "buy_only":
        assert all(t["side"] == "buy" for t in body["trades"])
    if mode == "raise_cash":
        assert Decimal(stored.options["raise_amount"]) == Decimal("1500.00")
    assert proposal_actions(body["id"]) == ["proposal.created"]
    with scopes_disabled():
        event = AuditEvent.objects.get(action="proposal.created", object_id=str(body["id"]))
    assert event.api_token_id is not None  # who-did-what answers by token


def test_create_for_one_account(desk, api):
    response = create(api(desk.advisor), account=desk.account.pk, mode="to_band")
    assert response.status_code == 201, response.content
    assert response.json()["scope"] == "account"
    assert load(response.json()["id"]).account_id == desk.account.pk


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"mode": "raise_cash"}, "raise_amount"),
        ({"mode": "sideways"}, "mode"),
        ({"mode": "to_band", "raise_amount": "-1"}, "raise_amount"),
        ({"mode": "to_band", "household": 10**20}, "household"),  # beyond a bigint
    ],
)
def test_bad_input_is_a_400_with_field_messages_and_creates_nothing(desk, api, body, field):
    client = api(desk.advisor)
    response = client.post(
        f"{BASE}/proposals/", {"household": desk.household.pk, **body},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 400
    assert field in response.json()["errors"]
    with scopes_disabled():
        assert not Proposal.objects.exists()


def test_household_and_account_together_is_a_400(desk, api):
    response = create(api(desk.advisor), household=desk.household.pk, account=desk.account.pk)
    assert response.status_code == 400
    assert "non_field_errors" in response.json()["errors"]


def test_an_open_proposal_is_a_409_unless_another_which_is_audited(desk, api, draft):
    client, first = draft
    response = create(client, household=desk.household.pk)
    assert response.status_code == 409
    assert f"#{first['id']}" in response.json()["detail"]
    response = create(client, household=desk.household.pk, another=True)
    assert response.status_code == 201
    assert proposal_actions(response.json()["id"]) == [
        "proposal.created", "proposal.open_overridden",
    ]  # fmt: skip


def test_idempotency_key_returns_the_first_answer_and_makes_one_proposal(desk, api):
    client = api(desk.advisor, token="write")
    body = {"household": desk.household.pk, "mode": "to_band"}
    first = client.post(
        f"{BASE}/proposals/", body, content_type="application/json",
        headers={"Idempotency-Key": "crm-42"},
    )  # fmt: skip
    again = client.post(
        f"{BASE}/proposals/", body, content_type="application/json",
        headers={"Idempotency-Key": "crm-42"},
    )  # fmt: skip
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    with scopes_disabled():
        assert Proposal.objects.count() == 1
        assert AuditEvent.objects.filter(action="proposal.created").count() == 1


# --- Read ---------------------------------------------------------------------------------------


def test_list_and_detail_are_audited_as_the_pages(desk, api, draft):
    _, made = draft
    client = api(desk.compliance)
    rows = results(client.get(f"{BASE}/proposals/?state=draft"))
    assert [r["id"] for r in rows] == [made["id"]]
    assert "trades" not in rows[0]
    assert results(client.get(f"{BASE}/proposals/?state=approved")) == []
    detail = client.get(f"{BASE}/proposals/{made['id']}/")
    assert detail.status_code == 200
    assert detail.json()["trades"] == made["trades"]
    with scopes_disabled():
        viewed = AuditEvent.objects.filter(action="proposal.viewed", object_id=str(made["id"]))
        listed = AuditEvent.objects.filter(action="proposals.listed").order_by("seq").first()
        assert viewed.get().actor_id == desk.compliance.user_id
        assert listed.changes["proposal_ids"] == [made["id"]]


def test_bad_filters_are_400s(desk, api):
    client = api(desk.advisor)
    assert client.get(f"{BASE}/proposals/?household=abc").status_code == 400
    assert client.get(f"{BASE}/proposals/?state=limbo").status_code == 400
    assert client.get(f"{BASE}/proposals/99999999999999999999/").status_code == 404


def test_another_firms_proposal_and_household_are_404s(desk, api, world_b):
    theirs = other_firm_proposal(world_b)
    client = api(desk.admin, token="write")
    assert client.get(f"{BASE}/proposals/{theirs.pk}/").status_code == 404
    assert step(client, theirs.pk, "submit", version=1).status_code == 404
    assert create(client, household=world_b.household.pk).status_code == 404
    assert create(client, account=world_b.account.pk).status_code == 404
    assert results(client.get(f"{BASE}/proposals/")) == []
    assert load(theirs.pk).version == 1


def test_an_advisor_sees_and_proposes_only_for_their_book(desk, api):
    hidden = other_firm_proposal(desk)  # a proposal of firm A, on a household…
    with scopes_disabled():
        Proposal.objects.filter(pk=hidden.pk).update(household=desk.other_household)
    advisor = api(desk.advisor)
    assert advisor.get(f"{BASE}/proposals/{hidden.pk}/").status_code == 404
    assert results(advisor.get(f"{BASE}/proposals/")) == []
    assert create(advisor, household=desk.other_household.pk).status_code == 404
    assert create(advisor, account=desk.other_account.pk).status_code == 404
    admin = api(desk.admin)
    assert admin.get(f"{BASE}/proposals/{hidden.pk}/").status_code == 200


def test_compliance_and_read_only_tokens_read_but_never_write(desk, api, draft):
    _, made = draft
    for client in (api(desk.compliance), api(desk.compliance, token="write"),
                   api(desk.advisor, token="read")):  # fmt: skip
        assert client.get(f"{BASE}/proposals/{made['id']}/").status_code == 200
        assert create(client, household=desk.household.pk, another=True).status_code == 403
        assert step(client, made["id"], "submit", version=1).status_code == 403
        assert step(client, made["id"], "cancel", version=1).status_code == 403
    assert load(made["id"]).state == "draft"
    assert api(desk.client).get(f"{BASE}/proposals/").status_code == 403


# --- The workflow -------------------------------------------------------------------------------


def test_submit_then_a_stale_version_is_a_409_and_changes_nothing(desk, draft):
    client, made = draft
    response = step(client, made["id"], "submit", version=1)
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["version"]) == ("submitted", 2)
    again = step(client, made["id"], "cancel", version=1)
    assert again.status_code == 409
    assert again.json()["errors"] == {}
    assert (load(made["id"]).state, load(made["id"]).version) == ("submitted", 2)
    assert step(client, made["id"], "submit", version="x").status_code == 400


def test_refresh_reject_and_cancel(desk, api, draft):
    client, made = draft
    refreshed = step(client, made["id"], "refresh", version=1)
    assert refreshed.status_code == 200 and refreshed.json()["version"] == 2
    step(client, made["id"], "submit", version=2)
    other = api(desk.other_advisor)
    rejected = step(other, made["id"], "reject", version=3, comment="Too much turnover")
    assert rejected.status_code == 200
    assert (rejected.json()["state"], rejected.json()["comment"]) == (
        "rejected", "Too much turnover",
    )  # fmt: skip
    assert step(client, made["id"], "cancel", version=4).status_code == 409  # rejected: final
    second = create(client, household=desk.household.pk).json()
    assert step(client, second["id"], "cancel", version=1).json()["state"] == "cancelled"
    assert proposal_actions(made["id"]) == [
        "proposal.created", "proposal.refreshed", "proposal.submitted", "proposal.rejected",
    ]  # fmt: skip


def test_approval_needs_four_eyes_and_a_step_up_that_a_token_cannot_give(desk, api, draft):
    client, made = draft
    step(client, made["id"], "submit", version=1)
    # The author, even stepped up: four eyes (403, the refusal audited).
    author = api(desk.advisor, stepped_up=True)
    refused = step(author, made["id"], "approve", version=2)
    assert refused.status_code == 403
    assert "second approver" in refused.json()["detail"]
    # A second advisor by token (any scope) or by a session without a fresh second factor.
    for other in (api(desk.other_advisor, token="write"), api(desk.other_advisor)):
        response = step(other, made["id"], "approve", version=2)
        assert response.status_code == 403
        assert "second factor" in response.json()["detail"]
    assert load(made["id"]).state == "submitted"
    approved = step(api(desk.other_advisor, stepped_up=True), made["id"], "approve", version=2,
                    comment="Looks right")  # fmt: skip
    assert approved.status_code == 200, approved.content
    body = approved.json()
    assert (body["state"], body["approved_by"], body["comment"]) == (
        "approved", desk.other_advisor.user.email, "Looks right",
    )  # fmt: skip
    assert proposal_actions(made["id"]) == [
        "proposal.created", "proposal.submitted", "proposal.refused", "proposal.approved",
    ]  # fmt: skip


def test_below_the_self_approval_threshold_a_token_may_approve(desk, api, draft):
    client, made = draft
    with scopes_disabled():
        desk.firm.self_approval_below = Decimal("1000000.00")
        desk.firm.save(update_fields=["self_approval_below"])
    step(client, made["id"], "submit", version=1)
    response = step(client, made["id"], "approve", version=2)  # the author's write token
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "approved"


def approved(desk, api, draft) -> tuple[dict, object]:
    client, made = draft
    step(client, made["id"], "submit", version=1)
    approver = api(desk.other_advisor, stepped_up=True)
    assert step(approver, made["id"], "approve", version=2).status_code == 200
    return made, approver


def test_export_returns_the_order_file_and_needs_a_stepped_up_session(desk, api, draft):
    made, approver = approved(desk, api, draft)
    token = api(desk.other_advisor, token="write")
    assert step(token, made["id"], "export", version=3).status_code == 403
    assert step(approver, made["id"], "export", version=3, custodian="nope").status_code == 400
    assert step(approver, made["id"], "export", version=2).status_code == 409
    response = step(approver, made["id"], "export", version=3, custodian="schwab")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == (
        f'attachment; filename="ballast-proposal-{made["id"]}-schwab-{AS_OF:%Y%m%d}.csv"'
    )
    lines = response.content.decode().splitlines()
    assert lines[0] == "Account Number,Action,Quantity,Symbol,Order Type,Duration,Reference"
    assert len(lines) == 1 + len(made["trades"])
    assert all(line.startswith(desk.account.account_number + ",") for line in lines[1:])
    stored = load(made["id"])
    assert stored.state == "exported" and stored.order_file_sha256
    assert proposal_actions(made["id"])[-1] == "proposal.exported"


def test_execution_upload_marks_it_executed_and_moves_the_lots(desk, api, draft):
    made, approver = approved(desk, api, draft)
    assert step(approver, made["id"], "export", version=3).status_code == 200
    lines = ["account_number,symbol,side,quantity,price,trade_date"] + [
        f"{desk.account.account_number},{t['symbol']},{t['side']},{t['quantity']},{t['price']},"
        f"{AS_OF + dt.timedelta(days=1)}"
        for t in made["trades"]
    ]
    content = ("\r\n".join(lines) + "\r\n").encode()
    client = api(desk.advisor, token="write")
    url = f"{BASE}/proposals/{made['id']}/executions/"
    stale = client.post(url, {"version": 3, "file": SimpleUploadedFile("f.csv", content)})
    assert stale.status_code == 409
    bad = client.post(
        url, {"version": 4, "file": SimpleUploadedFile("f.csv", b"symbol\r\nVOO\r\n")}
    )
    assert bad.status_code == 400 and "file" in bad.json()["errors"]
    response = client.post(url, {"version": 4, "file": SimpleUploadedFile("fills.csv", content)})
    assert response.status_code == 201, response.content
    assert response.json()["file_name"] == "fills.csv"
    stored = load(made["id"])
    assert stored.state == "executed"
    with scopes_disabled():
        assert Execution.objects.get(pk=response.json()["id"]).proposal_id == made["id"]
        bought = {t["symbol"] for t in made["trades"] if t["side"] == "buy"}
        held = set(TaxLot.objects.filter(account=desk.account, quantity__gt=0)
                   .values_list("security__symbol", flat=True))  # fmt: skip
    assert bought <= held
    assert proposal_actions(made["id"])[-1] == "proposal.executed"
