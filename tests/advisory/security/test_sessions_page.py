"""The sessions page: a user sees their sessions and ends the others; never anyone else's."""

from __future__ import annotations

import time_machine
from allauth.usersessions.models import UserSession
from django.test import Client

from tests.factories import PASSWORD, firm_events


def signed_in_client(email: str, ip: str, agent: str) -> Client:
    client = Client(REMOTE_ADDR=ip, HTTP_USER_AGENT=agent)
    response = client.post("/auth/login/", {"login": email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def is_signed_in(client: Client) -> bool:
    response = client.get("/auth/sessions/")
    return response.status_code == 200


def test_the_page_lists_sessions_and_ends_another_one(world_a):
    laptop = signed_in_client("client@alpha.example", "192.0.2.10", "Laptop browser")
    phone = signed_in_client("client@alpha.example", "192.0.2.20", "Phone browser")
    page = laptop.get("/auth/sessions/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "Laptop browser" in body and "Phone browser" in body
    assert "192.0.2.10" in body and "192.0.2.20" in body
    assert "This session" in body
    assert page["Cache-Control"].count("no-store") == 1

    phone_session = UserSession.objects.get(user_agent="Phone browser")
    response = laptop.post("/auth/sessions/", {"end": phone_session.pk})
    assert response.status_code == 302
    assert not is_signed_in(phone)
    assert is_signed_in(laptop)
    (ended,) = firm_events(world_a.firm, "auth.session_ended")
    assert ended.actor_id == world_a.client.user.pk
    assert ended.changes["ended_ip"] == "192.0.2.20"
    assert ended.changes["ended_user_agent"] == "Phone browser"


def test_end_all_other_sessions(world_a):
    clients = [
        signed_in_client("client@alpha.example", f"192.0.2.{n}", f"Browser {n}") for n in (1, 2, 3)
    ]
    clients[0].post("/auth/sessions/", {"end": "others"})
    assert [is_signed_in(c) for c in clients] == [True, False, False]
    assert len(firm_events(world_a.firm, "auth.session_ended")) == 2


def test_someone_elses_session_is_a_404_and_stays(world_a, world_b):
    victim = signed_in_client("client@alpha.example", "192.0.2.30", "Victim browser")
    for email in ("advisor@alpha.example", "client@zeta.example"):
        other = signed_in_client(email, "192.0.2.40", "Other browser")
        victims = UserSession.objects.get(user_agent="Victim browser")
        assert other.post("/auth/sessions/", {"end": victims.pk}).status_code == 404
        assert "Victim browser" not in other.get("/auth/sessions/").content.decode()
    assert is_signed_in(victim)
    assert firm_events(world_a.firm, "auth.session_ended") == []


def test_the_current_session_is_not_ended_from_the_list(world_a):
    laptop = signed_in_client("client@alpha.example", "192.0.2.10", "Laptop browser")
    own = UserSession.objects.get(user_agent="Laptop browser")
    assert laptop.post("/auth/sessions/", {"end": own.pk}).status_code == 404
    assert laptop.post("/auth/sessions/", {}).status_code == 400
    assert is_signed_in(laptop)


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get("/auth/sessions/")
    assert response.status_code == 302 and response["Location"].startswith("/auth/login/")


def test_the_account_menu_links_the_sessions_page(world_a):
    laptop = signed_in_client("client@alpha.example", "192.0.2.10", "Laptop browser")
    assert 'href="/auth/sessions/"' in laptop.get("/auth/password/change/").content.decode()


def test_last_seen_is_kept_at_most_once_a_minute(world_a):
    with time_machine.travel("2026-03-02 09:00:00Z", tick=False) as clock:
        laptop = signed_in_client("client@alpha.example", "192.0.2.10", "Laptop browser")
        clock.shift(30)
        laptop.get("/portal/")
        session = UserSession.objects.get(user_agent="Laptop browser")
        assert session.last_seen_at.isoformat() == "2026-03-02T09:00:00+00:00"
        clock.shift(40)
        laptop.get("/portal/", REMOTE_ADDR="192.0.2.11")
        session.refresh_from_db()
        assert session.last_seen_at.isoformat() == "2026-03-02T09:01:10+00:00"
        assert session.ip == "192.0.2.11"
