"""The lockout's numbers, read from ``settings.BALLAST_LOCKOUT``."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from django.conf import settings


@dataclass(frozen=True)
class Policy:
    enabled: bool = True
    # This many failures for one account (or from one IP) within the window start a lock.
    account_failures: int = 5
    ip_failures: int = 20
    window_seconds: int = 15 * 60
    # The first lock lasts this long; each further lock doubles it, up to the cap. Locks
    # are never extended by attempts made during them, so every lock ends.
    first_lock_seconds: int = 60
    max_lock_seconds: int = 60 * 60
    # Backoff is remembered this long after the last lock (and forgotten on a sign-in).
    memory_seconds: int = 24 * 60 * 60

    def lock_seconds(self, level: int) -> int:
        """The length of the ``level``-th lock in a row (1 for the first)."""
        return min(self.first_lock_seconds * 2 ** max(level - 1, 0), self.max_lock_seconds)


def current_policy() -> Policy:
    given: dict[str, Any] = getattr(settings, "BALLAST_LOCKOUT", {}) or {}
    known = {f.name for f in fields(Policy)}
    unknown = set(given) - known
    if unknown:
        raise ValueError(f"Unknown BALLAST_LOCKOUT keys: {sorted(unknown)}")
    return Policy(**given)
