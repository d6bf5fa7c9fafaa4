"""Sign-ins, sign-outs and account changes are audit events (advisory.account_events);
sign-ins also reset the lockout's count (advisory.lockout)."""

from __future__ import annotations

import time
from typing import Any

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from . import audit_actions as actions
from .account_events import record_for_address, record_for_user
from .lockout import gate
from .middleware import SESSION_SEEN_KEY, SESSION_STARTED_KEY
from .models import User


@receiver(user_logged_in)
def on_login(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[SESSION_STARTED_KEY] = now
        request.session[SESSION_SEEN_KEY] = now  # the sign-in recorded the session just now
    gate.signed_in(user.email)
    record_for_user(user, actions.LOGIN)


@receiver(user_logged_out)
def on_logout(sender: Any, request: HttpRequest, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        record_for_user(user, actions.LOGOUT)


@receiver(user_login_failed)
def on_login_failed(
    sender: Any, credentials: dict, request: HttpRequest | None = None, **kw: Any
) -> None:
    # Never the password: only the address, and no word on whether it exists.
    email = str(credentials.get("email") or credentials.get("username") or "").strip().lower()
    record_for_address(email, actions.LOGIN_FAILED)


# --- Account changes (allauth) -----------------------------------------------------------------


@receiver(account_signals.password_changed)
def on_password_changed(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    record_for_user(user, actions.PASSWORD_CHANGED)


@receiver(account_signals.password_reset)
def on_password_reset(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    record_for_user(user, actions.PASSWORD_RESET)
    # The documented recovery path: a reset (which needs the mailbox) ends a lock now.
    gate.lift_account(user.email, reason="password_reset")


@receiver(account_signals.email_added)
def on_email_added(sender: Any, user: User, email_address: Any, **kwargs: Any) -> None:
    if not email_address.verified:  # ACCOUNT_CHANGE_EMAIL: pending until verified
        record_for_user(user, actions.EMAIL_CHANGE_REQUESTED, changes={"to": email_address.email})


@receiver(account_signals.email_changed)
def on_email_changed(
    sender: Any,
    request: HttpRequest,
    user: User,
    from_email_address: Any,
    to_email_address: Any,
    **kwargs: Any,
) -> None:
    before = from_email_address.email if from_email_address is not None else ""
    record_for_user(
        user, actions.EMAIL_CHANGED, changes={"email": {"before": before, "after": user.email}}
    )


# Only the record: the MFA policy itself lives with the MFA code.
@receiver(mfa_signals.authenticator_added)
def on_mfa_added(sender: Any, user: User, authenticator: Any, **kwargs: Any) -> None:
    record_for_user(user, actions.MFA_ADDED, changes={"type": authenticator.type})


@receiver(mfa_signals.authenticator_removed)
def on_mfa_removed(sender: Any, user: User, authenticator: Any, **kwargs: Any) -> None:
    record_for_user(user, actions.MFA_REMOVED, changes={"type": authenticator.type})


@receiver(mfa_signals.authenticator_reset)
def on_mfa_reset(sender: Any, user: User, authenticator: Any, **kwargs: Any) -> None:
    record_for_user(user, actions.MFA_RESET, changes={"type": authenticator.type})
