"""The sign-in gate: what the login path asks before and tells after each password check.

Every step lands in the trail when the address is a user's: refused attempts and failures
as ``auth.login_failed`` (with the reason), the start of an account lock as
``auth.locked_out``, an early end (password reset, unlock) as ``auth.lockout_ended``. IP
locks concern no one account: they are logged, not audited.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.http import HttpRequest

from .. import audit_actions as actions
from ..account_events import record_for_address
from ..middleware import client_ip
from . import counter
from .counter import Lock
from .policy import current_policy

security_log = logging.getLogger("ballast.security")


def _iso(moment: float) -> str:
    return dt.datetime.fromtimestamp(moment, tz=dt.UTC).isoformat(timespec="seconds")


def refusal_message(lock: Lock) -> str:
    minutes = max((lock.remaining() + 59) // 60, 1)
    until = dt.datetime.fromtimestamp(lock.until, tz=dt.UTC).strftime("%H:%M UTC")
    wait = f"Try again after {until} (in about {minutes} minute{'s' if minutes > 1 else ''})"
    if lock.scope == "ip":
        return f"Too many failed sign-ins from your network. {wait}."
    return (
        f"Too many failed sign-ins for this account: it is locked for now. {wait}, "
        "or reset your password to unlock it."
    )


def before_attempt(request: HttpRequest, email: str) -> Lock | None:
    """The lock refusing this attempt, if any (the refusal is counted and audited here)."""
    ip = client_ip(request)
    lock = counter.check(email, ip)
    if lock is None:
        return None
    # Counted against the IP only, and only while the IP itself is not locked: attempts
    # during a lock never lengthen it.
    if ip and counter.active_lock("ip", ip) is None:
        _log_ip_locks(ip, counter.register_failure(email, ip, account=False))
    record_for_address(
        email,
        actions.LOGIN_FAILED,
        changes={"reason": f"{lock.scope}_locked", "locked_until": _iso(lock.until)},
    )
    return lock


def after_failure(request: HttpRequest, email: str) -> None:
    """A wrong password (already audited as ``auth.login_failed``): count it, and audit
    the lock it may start."""
    ip = client_ip(request)
    locks = counter.register_failure(email, ip)
    for lock in locks:
        if lock.scope == "account":
            record_for_address(
                email,
                actions.LOCKED_OUT,
                changes={
                    "locked_until": _iso(lock.until),
                    "lock_seconds": lock.seconds,
                    "lock_in_a_row": lock.level,
                    "failures": current_policy().account_failures,
                },
            )
    _log_ip_locks(ip, locks)


def _log_ip_locks(ip: str | None, locks: list[Lock]) -> None:
    for lock in locks:
        if lock.scope == "ip":
            security_log.warning(
                "sign-ins from %s locked for %ss (lock %s in a row)", ip, lock.seconds, lock.level
            )


def signed_in(email: str) -> None:
    counter.register_success(email)


def lift_account(email: str, reason: str) -> Lock | None:
    """End the address's lock now (password reset, operator unlock); audited when a lock
    was active. Returns that lock."""
    lock = counter.lift("account", email)
    if lock is not None:
        record_for_address(
            email,
            actions.LOCKOUT_ENDED,
            changes={"reason": reason, "was_locked_until": _iso(lock.until)},
        )
    return lock


def lift_ip(ip: str, reason: str) -> Lock | None:
    lock = counter.lift("ip", ip)
    if lock is not None:
        security_log.warning("sign-in lock on %s lifted early (%s)", ip, reason)
    return lock
