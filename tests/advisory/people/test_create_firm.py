"""create_firm (command and operator page): a firm, its first admin's invitation and the
firm.created event, all or nothing."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django_scopes import scopes_disabled

from advisory import audit_actions as actions
from advisory.models import AuditEvent, Firm, Invitation, Role, User
from advisory.tenancy import firm_scope
from tests import factories


@pytest.fixture
def operator(db):
    return User.objects.create_user(
        "ops@platform.example", factories.PASSWORD, full_name="Olga Ops", is_staff=True
    )


def counts() -> tuple[int, int, int]:
    with scopes_disabled():
        return Firm.objects.count(), Invitation.objects.count(), AuditEvent.objects.count()


def test_command_creates_the_firm_its_admin_invitation_and_the_first_event(
    operator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "create_firm",
            "acme-wealth",
            "--name",
            "Acme Wealth",
            "--admin-email",
            "Ann@Acme.example",
        )
    firm = Firm.objects.get(slug="acme-wealth")
    assert firm.name == "Acme Wealth"
    with firm_scope(firm):
        (invitation,) = Invitation.objects.all()
        events = list(AuditEvent.objects.order_by("seq"))
    assert (invitation.email, invitation.role, invitation.invited_by) == (
        "ann@acme.example",
        Role.ADMIN,
        operator,
    )
    assert [e.action for e in events] == [
        actions.FIRM_CREATED.code,
        actions.INVITATION_CREATED.code,
    ]
    assert events[0].seq == 1 and events[0].changes["slug"] == "acme-wealth"
    assert events[0].actor == operator and events[0].role == "operator"
    (message,) = mail.outbox
    assert message.to == ["ann@acme.example"]
    assert "/join/acme-wealth/" in message.body


def test_command_without_admin_needs_no_operator(db):
    call_command("create_firm", "solo", "--name", "Solo Advisors")
    firm = Firm.objects.get(slug="solo")
    with firm_scope(firm):
        assert list(AuditEvent.objects.values_list("action", flat=True)) == ["firm.created"]
        assert not Invitation.objects.exists()


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("Bad Slug", "not a valid firm slug"),
        ("edge-", "not a valid firm slug"),
        ("x" * 61, "not a valid firm slug"),
    ],
)
def test_command_refuses_a_bad_slug_and_writes_nothing(operator, slug, message):
    before = counts()
    with pytest.raises(CommandError, match=message):
        call_command("create_firm", slug, "--name", "Acme", "--admin-email", "a@acme.example")
    assert counts() == before
    assert mail.outbox == []


def test_command_refuses_a_taken_slug_and_writes_nothing(operator, world_a):
    before = counts()
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_firm", "alpha", "--name", "Another Alpha")
    assert counts() == before
    assert Firm.objects.get(slug="alpha").name == "Alpha Firm"


def test_command_refuses_a_bad_admin_address_and_writes_nothing(operator):
    before = counts()
    with pytest.raises(CommandError, match="not a valid e-mail"):
        call_command("create_firm", "acme", "--name", "Acme", "--admin-email", "not-an-address")
    assert counts() == before


def test_command_needs_to_know_which_operator_invites(operator):
    User.objects.create_user("ops2@platform.example", "x", is_staff=True)
    with pytest.raises(CommandError, match="--operator"):
        call_command("create_firm", "acme", "--name", "Acme", "--admin-email", "a@acme.example")
    with pytest.raises(CommandError, match="not an active platform operator"):
        call_command(
            "create_firm",
            "acme",
            "--name",
            "Acme",
            "--admin-email",
            "a@acme.example",
            "--operator",
            "nobody@platform.example",
        )
    assert not Firm.objects.filter(slug="acme").exists()


# --- The operator page ---------------------------------------------------------------------


def test_operator_page_lists_firms_and_creates_one_after_a_step_up(
    operator, world_a, client, django_capture_on_commit_callbacks
):
    factories.stepped_up(client, operator)
    page = client.get("/operator/firms/")
    assert page.status_code == 200 and "Alpha Firm" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/operator/firms/",
            {"slug": "beta", "name": "Beta Partners", "admin_email": "boss@beta.example"},
        )
    assert response.status_code == 302
    firm = Firm.objects.get(slug="beta")
    with firm_scope(firm):
        assert Invitation.objects.get().email == "boss@beta.example"
        assert AuditEvent.objects.filter(action="firm.created", actor=operator).exists()
    assert mail.outbox[0].to == ["boss@beta.example"]


def test_operator_page_asks_for_a_step_up_before_creating(operator, client):
    factories.log_in(client, operator)
    factories.enrol_totp(operator)
    response = client.post("/operator/firms/", {"slug": "beta", "name": "Beta"})
    assert response.status_code == 302 and "/reauthenticate/" in response["Location"]
    assert not Firm.objects.filter(slug="beta").exists()


def test_operator_page_shows_a_refusal_and_writes_nothing(operator, world_a, client):
    factories.stepped_up(client, operator)
    before = counts()
    response = client.post("/operator/firms/", {"slug": "alpha", "name": "Dup"})
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    assert counts() == before


@pytest.mark.parametrize("persona", ["admin", "advisor", "compliance", "client"])
def test_firm_roles_are_not_platform_operators(world_a, client, persona):
    factories.stepped_up(client, getattr(world_a, persona).user)
    assert client.get("/operator/firms/").status_code == 403
    assert client.post("/operator/firms/", {"slug": "x", "name": "X"}).status_code == 403
    assert not Firm.objects.filter(slug="x").exists()


def test_an_operator_without_a_firm_starts_on_the_firm_list(operator, client):
    factories.log_in(client, operator)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/operator/firms/"


def test_a_user_without_a_firm_who_is_no_operator_is_refused_home(db, client):
    factories.log_in(client, factories.user("nobody@example.com"))
    assert client.get("/").status_code == 403
