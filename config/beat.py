"""Celery beat that sends a schedule from one process only, however many are running.

Every beat competes for one Redis lock (``BALLAST_BEAT_LOCK_KEY``, a lease of
``BALLAST_BEAT_LOCK_TTL_S`` seconds, renewed every third of it). The holder sends due
tasks; the others are standbys: they walk the same schedule and advance it, but send
nothing. If the holder dies its lease runs out and a standby takes over where the schedule
stands, so a nightly entry the holder already sent is not sent again by the new holder.

A lease is not a fence: a holder frozen past its lease (a paused VM) and woken after a
standby took over could send one due entry before it notices. Our scheduled tasks are
idempotent, so such a rare duplicate costs work, not data.
"""

from __future__ import annotations

import logging
import socket
import time
import uuid
from typing import Any

import redis
from celery.beat import PersistentScheduler, ScheduleEntry
from django.conf import settings
from redis.exceptions import LockError, RedisError

logger = logging.getLogger(__name__)


class BeatLock:
    """A Redis lease owned by one token; ``hold()`` takes it or renews it."""

    def __init__(self, url: str, key: str, ttl_s: float) -> None:
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(
                "celery beat's lock needs Redis: set BALLAST_BEAT_LOCK_URL (or a redis:// "
                f"CELERY_BROKER_URL); got {url.split('://')[0] or 'nothing'!r}."
            )
        if ttl_s <= 0:
            raise ValueError(f"BALLAST_BEAT_LOCK_TTL_S must be positive, not {ttl_s}.")
        self.key, self.ttl_s = key, ttl_s
        self.client = redis.Redis.from_url(url, socket_timeout=max(1.0, ttl_s / 6))
        self.holder = f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
        # Not thread-local: the embedded beat (worker -B) may renew from another thread.
        self._lock = self.client.lock(key, timeout=ttl_s, blocking=False, thread_local=False)

    def hold(self) -> bool:
        """True while this process holds the lease (renewed now); False if another does or
        Redis cannot be reached (sending would fail then anyway)."""
        try:
            if self._lock.owned():
                try:
                    self._lock.reacquire()
                    return True
                except LockError:  # expired between the two calls: compete afresh
                    pass
            return bool(self._lock.acquire(token=self.holder))
        except RedisError as exc:
            logger.warning("beat lock: Redis unreachable (%s); not sending", exc)
            return False

    def release(self) -> None:
        try:
            if self._lock.owned():
                self._lock.release()
        except (LockError, RedisError):  # expired or unreachable: nothing to hand over
            pass

    def owner(self) -> str | None:
        try:
            value = self.client.get(self.key)
        except RedisError:
            return None
        return value.decode() if isinstance(value, bytes) else value


class SingleBeatScheduler(PersistentScheduler):
    """``PersistentScheduler`` that sends only while it holds the beat lock."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._lock: BeatLock | None = None
        self._leading: bool | None = None  # unknown until the first check: that one logs
        self._checked_at = float("-inf")
        super().__init__(*args, **kwargs)

    @property
    def lock(self) -> BeatLock:
        # Made on first use: Celery also builds schedulers lazily just to introspect them.
        if self._lock is None:
            self._lock = BeatLock(
                settings.BALLAST_BEAT_LOCK_URL or self.app.conf.broker_url or "",
                settings.BALLAST_BEAT_LOCK_KEY,
                settings.BALLAST_BEAT_LOCK_TTL_S,
            )
        return self._lock

    @property
    def renew_every(self) -> float:
        return self.lock.ttl_s / 3

    def leading(self) -> bool:
        """Check (and renew) the lease; log when this beat starts or stops leading."""
        now = time.monotonic()
        held = self.lock.hold()
        self._checked_at = now
        if held != self._leading:
            if held:
                logger.info("beat: holding %s as %s; sending", self.lock.key, self.lock.holder)
            else:
                logger.info("beat: %s is held by %s; standing by", self.lock.key, self.lock.owner())
        self._leading = held
        return held

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if time.monotonic() - self._checked_at >= self.renew_every:
            self.leading()
        # Never sleep past a renewal: a lease left to expire would let a standby in.
        return min(super().tick(*args, **kwargs), self.renew_every)

    def apply_entry(self, entry: ScheduleEntry, producer: Any = None) -> None:
        # tick() has already advanced the entry; a standby stops here, so when it takes
        # over, what the holder sent is not due again. The lease is checked right before
        # each send, not only on the renewal clock.
        if self.leading():
            super().apply_entry(entry, producer=producer)
        else:
            logger.debug("beat: standby, not sending %s", entry.name)

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._lock is not None:
                self._lock.release()  # hand over at once instead of after the lease
                self._leading = False
