"""Failure counts and locks in the shared cache (Redis in production).

Keys hold plain numbers: a failure count that expires with its window, the backoff level,
and the moment a lock ends. A lock is judged by comparing that moment with the clock (the
key's own expiry only tidies up), so every worker reading the same cache agrees, and a
lock ends on time whatever the cache. Increments are atomic in Redis and in the local
memory cache, so two workers counting the same failure never lose one.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Literal

from django.core.cache import cache

from .policy import Policy, current_policy

Scope = Literal["account", "ip"]
PREFIX = "ballast:lockout"


@dataclass(frozen=True)
class Lock:
    scope: Scope
    until: float  # epoch seconds
    seconds: int  # how long this lock lasts in all
    level: int  # 1 for the first lock in a row, 2 for the next...

    def remaining(self, now: float | None = None) -> int:
        return max(int(self.until - (time.time() if now is None else now) + 0.999), 0)


def _key(scope: Scope, identity: str, part: str) -> str:
    # Hashed: the cache never holds addresses, and any address makes a valid key.
    digest = hashlib.sha256(identity.strip().lower().encode()).hexdigest()[:40]
    return f"{PREFIX}:{scope}:{digest}:{part}"


def _identities(email: str, ip: str | None) -> list[tuple[Scope, str]]:
    found: list[tuple[Scope, str]] = []
    if email.strip():
        found.append(("account", email))
    if ip:
        found.append(("ip", ip))
    return found


def _incr(key: str, timeout: int) -> int:
    cache.add(key, 0, timeout=timeout)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1


def active_lock(scope: Scope, identity: str) -> Lock | None:
    values = cache.get_many([_key(scope, identity, "until"), _key(scope, identity, "level")])
    until = values.get(_key(scope, identity, "until"))
    if until is None or float(until) <= time.time():
        return None
    level = int(values.get(_key(scope, identity, "level")) or 1)
    return Lock(scope, float(until), current_policy().lock_seconds(level), level)


def check(email: str, ip: str | None) -> Lock | None:
    """The lock that refuses a sign-in for this address from this IP, if any."""
    if not current_policy().enabled:
        return None
    for scope, identity in _identities(email, ip):
        lock = active_lock(scope, identity)
        if lock is not None:
            return lock
    return None


def _fail(policy: Policy, scope: Scope, identity: str, threshold: int) -> Lock | None:
    count = _incr(_key(scope, identity, "n"), policy.window_seconds)
    if count != threshold:  # exactly one failure (one worker) starts the lock
        return None
    level = _incr(_key(scope, identity, "level"), policy.memory_seconds)
    cache.touch(_key(scope, identity, "level"), policy.memory_seconds)  # from the last lock
    seconds = policy.lock_seconds(level)
    until = time.time() + seconds
    cache.set(_key(scope, identity, "until"), until, timeout=seconds + 1)
    cache.delete(_key(scope, identity, "n"))  # the next lock needs as many failures again
    return Lock(scope, until, seconds, level)


def register_failure(email: str, ip: str | None, *, account: bool = True) -> list[Lock]:
    """Count one failed attempt; returns the locks it started. ``account=False`` counts it
    against the IP only (an attempt refused during an account lock, which must not make
    that lock longer)."""
    policy = current_policy()
    if not policy.enabled:
        return []
    started = []
    for scope, identity in _identities(email, ip):
        if scope == "account" and not account:
            continue
        threshold = policy.account_failures if scope == "account" else policy.ip_failures
        lock = _fail(policy, scope, identity, threshold)
        if lock is not None:
            started.append(lock)
    return started


def register_success(email: str) -> None:
    """A sign-in: the account's failures and backoff are forgotten (its IP's are not)."""
    cache.delete_many([_key("account", email, part) for part in ("n", "level", "until")])


def lift(scope: Scope, identity: str) -> Lock | None:
    """End a lock now and forget the counts (recovery). Returns the lock that was active."""
    lock = active_lock(scope, identity)
    cache.delete_many([_key(scope, identity, part) for part in ("n", "level", "until")])
    return lock
