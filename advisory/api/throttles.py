"""Throttles per token and per user (DRF ``SimpleRateThrottle`` on the Django cache).

Rates are in ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (``api_token``, ``api_user``):
a token has its own bucket, so one integration cannot starve the user's browser or another
token; every request of a user, whatever it authenticated with, also counts in the user's
bucket. A refusal is a 429 with ``Retry-After``.
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from advisory.models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    scope = "api_token"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        token = request.auth if isinstance(request.auth, ApiToken) else None
        if token is None:
            return None  # not a token request: only the user throttle applies
        return self.cache_format % {"scope": self.scope, "ident": token.pk}


class UserRateThrottle(SimpleRateThrottle):
    scope = "api_user"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if request.user and request.user.is_authenticated:
            ident = request.user.pk
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
