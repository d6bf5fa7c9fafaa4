"""django-allauth adapters: no public sign-up, the shared-cache lockout on every password
check, our client IP, and audited session ends."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.usersessions.adapter import DefaultUserSessionsAdapter
from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from .account_events import record_for_user
from .audit_actions import SESSION_ENDED
from .lockout import gate
from .middleware import client_ip


def _address(credentials: dict[str, Any]) -> str:
    return str(credentials.get("email") or credentials.get("username") or "").strip().lower()


class BallastAccountAdapter(DefaultAccountAdapter):
    """Firms invite their users; there is no public sign-up."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def get_client_ip(self, request: HttpRequest) -> str:
        # BALLAST_TRUSTED_PROXY_COUNT decides, as for the audit trail's IPs.
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        # Replaces allauth's password rate limit (not called): advisory.lockout counts in
        # the shared cache, per account and per IP, with bounded backoff.
        lock = gate.before_attempt(request, _address(credentials))
        if lock is not None:
            raise forms.ValidationError(gate.refusal_message(lock), code="locked_out")

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        gate.after_failure(request, _address(credentials))


class BallastUserSessionsAdapter(DefaultUserSessionsAdapter):
    """Ending a session (ours or allauth's sessions page) is an audit event."""

    def end_sessions(self, sessions: Iterable[Any]) -> None:
        for session in sessions:
            user = session.user
            session.end()
            record_for_user(
                user,
                SESSION_ENDED,
                changes={
                    "ended_ip": session.ip,
                    "ended_user_agent": session.user_agent[:200],
                    "ended_started_at": session.created_at,
                },
            )
