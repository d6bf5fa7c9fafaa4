"""Logins, failed logins and logouts are audit events."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from . import audit_actions as actions
from .audit import record
from .membership import firms_of
from .middleware import SESSION_STARTED_KEY
from .models import User
from .request_context import acting_as

security_log = logging.getLogger("ballast.security")


def _record_for_user_firms(user: User, action: str, **extra: Any) -> None:
    for firm in firms_of(user):
        with acting_as(actor=user, actor_label=user.email):
            record(firm=firm, action=action, obj=user, object_repr=user.email, **extra)


@receiver(user_logged_in)
def on_login(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_STARTED_KEY] = int(time.time())
    _record_for_user_firms(user, actions.LOGIN.code)


@receiver(user_logged_out)
def on_logout(sender: Any, request: HttpRequest, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        _record_for_user_firms(user, actions.LOGOUT.code)


@receiver(user_login_failed)
def on_login_failed(
    sender: Any, credentials: dict, request: HttpRequest | None = None, **kw: Any
) -> None:
    email = str(credentials.get("email") or credentials.get("username") or "").strip().lower()
    user = User.objects.filter(email=email).first() if email else None
    if user is None:
        # No firm to attribute it to: log it, never reveal whether the address exists.
        security_log.warning("failed login for unknown address %r", email[:254])
        return
    for firm in firms_of(user):
        with acting_as(actor=None, actor_label=email):
            record(
                firm=firm,
                action=actions.LOGIN_FAILED.code,
                obj=user,
                object_repr=email,
                actor_label=email,
                role="",
            )
