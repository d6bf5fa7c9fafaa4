"""Sign-in lockout: counted per account and per IP in the shared cache, bounded backoff,
reset by a sign-in, lifted by a password reset or an unlock, every step in the trail."""

from __future__ import annotations

import re

import time_machine
from django.core.cache import caches
from django.core.management import call_command
from django.test import Client

from advisory.lockout import counter
from advisory.lockout.policy import Policy
from tests.factories import PASSWORD, firm_events, log_in

EMAIL = "client@alpha.example"
LOCKED = "Too many failed sign-ins for this account"


def sign_in(client: Client, password: str, ip: str = "203.0.113.1", email: str = EMAIL, **meta):
    return client.post(
        "/auth/login/", {"login": email, "password": password}, REMOTE_ADDR=ip, **meta
    )


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def trail(world, *codes: str) -> list[tuple[str, str]]:
    return [
        (e.action, e.changes.get("reason", ""))
        for e in firm_events(world.firm)
        if not codes or e.action in codes
    ]


# --- The acceptance test: brute force from rotating IPs ----------------------------------------


def test_brute_force_from_rotating_ips_locks_for_a_bounded_time(lockout, world_a):
    with time_machine.travel("2026-03-02 09:00:00Z", tick=False) as clock:
        client = Client()
        pages = [sign_in(client, f"guess-{n}", ip=f"198.51.100.{n}") for n in range(1, 21)]
        assert all(p.status_code == 200 for p in pages)  # the form again, never a sign-in
        bodies = [p.content.decode() for p in pages]
        assert not any(LOCKED in b for b in bodies[:5])
        assert all(LOCKED in b for b in bodies[5:]), "the 6th to 20th attempts are refused"
        assert "Try again after 09:01 UTC" in bodies[5]

        # During the lock even the right password is refused, from any address.
        refused = sign_in(client, PASSWORD, ip="192.0.2.77")
        assert LOCKED in refused.content.decode() and not signed_in(client)

        clock.shift(61)  # the first lock lasts one minute
        assert sign_in(client, PASSWORD, ip="192.0.2.77").status_code == 302
        assert signed_in(client)

    events = trail(world_a, "auth.login_failed", "auth.locked_out", "auth.login")
    assert events[:5] == [("auth.login_failed", "")] * 5
    assert events[5] == ("auth.locked_out", "")
    assert events[6:22] == [("auth.login_failed", "account_locked")] * 16
    assert events[22:] == [("auth.login", "")]
    locked = firm_events(world_a.firm, "auth.locked_out")[0]
    assert locked.changes["lock_seconds"] == 60
    assert locked.changes["locked_until"] == "2026-03-02T09:01:00+00:00"
    assert locked.actor_id is None and locked.object_repr == EMAIL
    ips = [e.ip for e in firm_events(world_a.firm, "auth.login_failed")[:5]]
    assert ips == [f"198.51.100.{n}" for n in range(1, 6)]


def test_rotating_forwarded_addresses_behind_a_trusted_proxy(locmem_lockout, world_a, settings):
    settings.BALLAST_TRUSTED_PROXY_COUNT = 1
    client = Client()
    for n in range(1, 8):
        sign_in(client, "wrong", ip="10.0.0.2", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    failed = firm_events(world_a.firm, "auth.login_failed")
    assert [e.ip for e in failed] == [f"198.51.100.{n}" for n in range(1, 8)]
    assert len(firm_events(world_a.firm, "auth.locked_out")) == 1
    # The proxy's own address was never counted as the client: another client behind it
    # (another account) still signs in.
    other = sign_in(Client(), PASSWORD, ip="10.0.0.2", email="advisor@alpha.example")
    assert other.status_code == 302


def test_recovery_by_password_reset_during_the_lock(lockout, world_a, mailoutbox):
    client = Client()
    for n in range(5):
        sign_in(client, f"guess-{n}")
    assert LOCKED in sign_in(client, PASSWORD).content.decode()

    # The documented path (docs/security.md): reset the password by e-mail, then sign in.
    assert client.post("/auth/password/reset/", {"email": EMAIL}).status_code == 302
    link = re.search(r"http://testserver(/auth/password/reset/key/\S+/)", mailoutbox[-1].body)
    assert link is not None
    form = client.get(link.group(1), follow=True)
    new_password = "a-new-and-long-passphrase-17"
    done = client.post(
        form.redirect_chain[-1][0], {"password1": new_password, "password2": new_password}
    )
    assert done.status_code == 302

    assert sign_in(client, new_password).status_code == 302
    assert signed_in(client)
    codes = [code for code, _ in trail(world_a)]
    tail = codes[codes.index("auth.locked_out") :]
    assert tail[-3:] == ["auth.password_reset", "auth.lockout_ended", "auth.login"]
    ended = firm_events(world_a.firm, "auth.lockout_ended")[0]
    assert ended.changes["reason"] == "password_reset"


def test_recovery_by_operator_unlock(locmem_lockout, world_a):
    client = Client()
    for n in range(5):
        sign_in(client, f"guess-{n}")
    assert LOCKED in sign_in(client, PASSWORD).content.decode()
    call_command("unlock_login", EMAIL, "--by", "helpdesk ticket 42")
    assert sign_in(client, PASSWORD).status_code == 302
    ended = firm_events(world_a.firm, "auth.lockout_ended")
    assert [e.changes["reason"] for e in ended] == ["unlocked by helpdesk ticket 42"]


# --- Backoff, resets and the per-IP limit --------------------------------------------------------


def test_backoff_doubles_and_is_capped():
    policy = Policy()
    assert [policy.lock_seconds(n) for n in range(1, 9)] == [
        60, 120, 240, 480, 960, 1920, 3600, 3600,
    ]  # fmt: skip


def test_every_lock_ends_and_refused_attempts_never_extend_it(lockout):
    with time_machine.travel("2026-03-02 09:00:00Z", tick=False) as clock:
        lengths = []
        for _ in range(9):
            for n in range(5):
                started = counter.register_failure("x@example.com", f"192.0.2.{n}")
            (lock,) = started
            lengths.append(lock.seconds)
            for _ in range(50):  # an attacker keeps trying during the lock
                assert counter.check("x@example.com", "192.0.2.99") is not None
                counter.register_failure("x@example.com", "192.0.2.99", account=False)
            assert counter.check("x@example.com", None).until == lock.until
            clock.shift(lock.seconds)
            assert counter.check("x@example.com", None) is None
    assert lengths == [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]


def test_a_sign_in_resets_the_account_count(lockout, world_a):
    client = Client()
    for n in range(4):
        sign_in(client, f"guess-{n}")
    assert sign_in(client, PASSWORD).status_code == 302
    client.post("/auth/logout/")
    for n in range(4):
        assert LOCKED not in sign_in(client, f"again-{n}").content.decode()
    assert firm_events(world_a.firm, "auth.locked_out") == []
    assert sign_in(client, PASSWORD).status_code == 302


def test_unknown_addresses_lock_the_same_and_are_not_audited(locmem_lockout, world_a):
    client = Client()
    before = len(firm_events(world_a.firm))
    pages = [sign_in(client, "x", email="nobody@alpha.example") for _ in range(6)]
    assert LOCKED in pages[-1].content.decode()  # no hint whether the address exists
    assert len(firm_events(world_a.firm)) == before


def test_per_ip_limit_locks_the_address_not_the_accounts(locmem_lockout, world_a):
    client = Client()
    for n in range(20):  # one IP, twenty addresses: no account reaches its own limit
        sign_in(client, "wrong", ip="192.0.2.50", email=f"spray{n}@example.com")
    refused = sign_in(client, PASSWORD, ip="192.0.2.50")
    assert "Too many failed sign-ins from your network" in refused.content.decode()
    assert not signed_in(client)
    assert sign_in(Client(), PASSWORD, ip="192.0.2.51").status_code == 302


def test_the_lockout_is_off_unless_enabled(world_a):
    client = Client()
    for n in range(8):
        sign_in(client, f"guess-{n}")
    assert sign_in(client, PASSWORD).status_code == 302


# --- Two workers, one Redis ---------------------------------------------------------------------


def test_two_workers_share_the_counts_in_redis(redis_lockout, monkeypatch):
    worker_a = caches.create_connection("default")
    worker_b = caches.create_connection("default")
    assert type(worker_a).__name__ == type(worker_b).__name__ == "RedisCache"
    assert worker_a._cache is not worker_b._cache  # two clients, two connection pools
    monkeypatch.setattr(counter, "cache", worker_a)
    for n in range(3):
        assert counter.register_failure("shared@example.com", f"192.0.2.{n}") == []
    monkeypatch.setattr(counter, "cache", worker_b)
    assert counter.register_failure("shared@example.com", "192.0.2.3") == []
    (lock,) = counter.register_failure("shared@example.com", "192.0.2.4")
    assert lock.scope == "account" and lock.seconds == 60
    monkeypatch.setattr(counter, "cache", worker_a)
    assert counter.check("shared@example.com", "192.0.2.200") == lock


# --- Compliance sees them -----------------------------------------------------------------------


def test_lockouts_appear_in_the_compliance_review_queue(locmem_lockout, world_a):
    client = Client()
    for n in range(5):
        sign_in(client, f"guess-{n}")
    call_command("unlock_login", EMAIL)
    officer = log_in(Client(), world_a.compliance.user)
    page = officer.get("/compliance/review/").content.decode()
    assert "Lockouts (2)" in page
    section = page[page.index('id="lockouts"') : page.index('id="new-ip"')]
    assert section.count(EMAIL) == 2
    assert "Locked</span> 60 s" in section and "Lifted: unlocked by operator" in section


def test_attempts_during_an_ip_lock_do_not_lengthen_it(locmem_lockout, world_a):
    with time_machine.travel("2026-03-02 09:00:00Z", tick=False) as clock:
        client = Client()
        for n in range(20):
            sign_in(client, "wrong", ip="192.0.2.60", email=f"spray{n}@example.com")
        first = counter.active_lock("ip", "192.0.2.60")
        assert first is not None and first.seconds == 60
        for n in range(45):  # keeps hammering during the lock
            sign_in(client, "wrong", ip="192.0.2.60", email=f"more{n}@example.com")
        assert counter.active_lock("ip", "192.0.2.60") == first
        clock.shift(60)
        assert sign_in(client, PASSWORD, ip="192.0.2.60").status_code == 302
