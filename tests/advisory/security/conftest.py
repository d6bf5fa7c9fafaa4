"""The lockout on (it is off in the rest of the suite), over the test's local-memory cache or
over the real shared cache, Redis (database 13, flushed around each test)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache, caches

REDIS_URL = "redis://127.0.0.1:6379/13"
REDIS_CACHE = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}


@pytest.fixture(params=["locmem", "redis"])
def lockout(request, settings) -> Iterator[str]:
    """The lockout with its default numbers, on each of the two caches in turn."""
    if request.param == "redis":
        settings.CACHES = {"default": REDIS_CACHE}
    settings.BALLAST_LOCKOUT = {"enabled": True}
    expected = {"locmem": "LocMemCache", "redis": "RedisCache"}[request.param]
    assert type(caches["default"]).__name__ == expected
    cache.clear()
    yield request.param
    cache.clear()


@pytest.fixture
def locmem_lockout(settings) -> Iterator[None]:
    settings.BALLAST_LOCKOUT = {"enabled": True}
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def redis_lockout(settings) -> Iterator[None]:
    settings.CACHES = {"default": REDIS_CACHE}
    settings.BALLAST_LOCKOUT = {"enabled": True}
    cache.clear()
    yield
    cache.clear()
