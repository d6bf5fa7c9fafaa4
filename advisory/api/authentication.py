"""API authentication: bearer tokens and the browser session (CSRF enforced).

``Authorization: Bearer <secret>``. Tokens are firm-owned rows under row-level security, but
the request has no firm yet: the one lookup that finds the token runs with scopes disabled
(PostgreSQL's ``ballast.all_firms`` marker, advisory/db_security/firm_setting.py) and is
narrowed to the one row whose unique ``prefix`` the secret starts with; its digest is then
compared in constant time. Nothing else runs outside a firm scope: the user's membership is
read inside the token's firm (:mod:`.base`). An expired, revoked or wrong token is a 401 with
a JSON error, never a fall-back to anonymous.
"""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Any

from django.utils import timezone
from django_scopes import scopes_disabled
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from advisory.models import ApiToken

from .tokens import PREFIX_LENGTH, SECRET_PREFIX, digest_of

# last_used_at is written at most this often per token: not one UPDATE per request.
LAST_USED_EVERY = timedelta(minutes=1)


def find_token(secret: str) -> ApiToken | None:
    """The token a secret belongs to, whatever its state; None for a wrong secret."""
    if not secret.startswith(SECRET_PREFIX) or len(secret) <= PREFIX_LENGTH or len(secret) > 200:
        return None
    with scopes_disabled():
        token = (
            ApiToken._base_manager.select_related("user", "firm")
            .filter(prefix=secret[:PREFIX_LENGTH])
            .first()
        )
    if token is None or not hmac.compare_digest(token.digest, digest_of(secret)):
        return None
    return token


class TokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <secret>`` → (user, token)."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _, secret = header.partition(" ")
        if keyword != self.keyword:
            return None
        secret = secret.strip()
        if not secret or " " in secret:
            raise exceptions.AuthenticationFailed("Malformed Authorization header.")
        token = find_token(secret)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        now = timezone.now()
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This token has been revoked.")
        if token.expires_at <= now:
            raise exceptions.AuthenticationFailed("This token has expired.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("This token's user is inactive.")
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) when authentication is missing or fails.
        return f'{self.keyword} realm="api"'


class SessionAuthentication(authentication.SessionAuthentication):
    """The browser's session, with DRF's CSRF check on unsafe methods (as the pages)."""

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


def touch_last_used(token: ApiToken) -> None:
    """Note the token's use (at most once a minute); called inside its firm's scope."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
