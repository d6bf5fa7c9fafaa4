"""Request plumbing: request ids and actor context, session lifetime, the
firm scope, and the staff MFA policy."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.ipv6 import clean_ipv6_address

from .membership import active_membership
from .request_context import acting_as
from .tenancy import firm_scope

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
SESSION_STARTED_KEY = "ballast_auth_started"


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or the address our trusted proxies saw when there are any."""
    ip = request.META.get("REMOTE_ADDR")
    proxies = settings.BALLAST_TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if len(hops) >= proxies:
            ip = hops[-proxies]
    if ip and ":" in ip:
        try:
            ip = clean_ipv6_address(ip)
        except Exception:
            ip = None
    return ip or None


class RequestContextMiddleware:
    """Give each request an id and record where it came from for the audit trail."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        supplied = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = supplied if _REQUEST_ID_RE.match(supplied) else uuid.uuid4().hex
        request.request_id = request_id
        with acting_as(
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:400],
            request_id=request_id,
        ):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class SessionLifetimeMiddleware:
    """End sessions older than the absolute lifetime, however active they were."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            started = request.session.get(SESSION_STARTED_KEY)
            now = int(time.time())
            if started is None:
                request.session[SESSION_STARTED_KEY] = now
            elif now - started > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                messages.info(request, "Your session has expired. Please sign in again.")
                return redirect(settings.LOGIN_URL)
        return self.get_response(request)


class FirmScopeMiddleware:
    """Activate the firm scope of the logged-in user's membership.

    Without a membership no scope is active, so any query of firm-owned data
    raises instead of leaking. ``request.firm`` and ``request.membership`` are
    what views use for access checks.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.firm = None
        request.membership = None
        user = request.user
        if not user.is_authenticated:
            return self.get_response(request)
        membership = active_membership(user, request.session.get("firm_id"))
        if membership is None:
            with acting_as(actor=user, actor_label=user.email, role=""):
                return self.get_response(request)
        request.firm = membership.firm
        request.membership = membership
        with (
            firm_scope(membership.firm),
            acting_as(actor=user, actor_label=user.email, role=membership.role),
        ):
            return self.get_response(request)


class StaffMfaMiddleware:
    """When the firm requires it, staff must set up TOTP before doing anything else."""

    ALLOWED_PREFIXES = ("/auth/", "/static/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        membership = getattr(request, "membership", None)
        if (
            membership is not None
            and membership.firm.require_staff_mfa
            and membership.is_staff_role
            and not request.path.startswith(self.ALLOWED_PREFIXES)
            and not Authenticator.objects.filter(
                user=request.user, type=Authenticator.Type.TOTP
            ).exists()
        ):
            messages.warning(
                request,
                f"{membership.firm.name} requires two-factor authentication for staff. "
                "Set up an authenticator app to continue.",
            )
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
