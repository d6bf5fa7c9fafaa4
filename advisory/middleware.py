"""Request plumbing: request ids and actor context, no-store headers, session lifetime and
activity, the firm scope, and the staff MFA policy."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.ipv6 import clean_ipv6_address
from django_htmx.http import HttpResponseClientRedirect

from .membership import active_membership
from .mfa import policy as mfa_policy
from .request_context import acting_as
from .tenancy import firm_scope

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
SESSION_STARTED_KEY = "ballast_auth_started"
SESSION_SEEN_KEY = "ballast_seen_at"
SESSION_SEEN_EVERY = 60  # seconds


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
    """Give each request an id of our own and record where it came from for the audit trail.

    The id is always generated here: a client's ``X-Request-ID`` (a proxy's, a caller's) is
    kept beside it as ``client_request_id`` (in the events' changes), never instead of it,
    so nobody outside can choose the ids the trail carries.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        supplied = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = uuid.uuid4().hex
        request.request_id = request_id
        with acting_as(
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:400],
            request_id=request_id,
            client_request_id=supplied if _REQUEST_ID_RE.match(supplied) else "",
        ):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class NoStoreMiddleware:
    """Nothing shown to a signed-in user is kept by a browser or a shared cache
    (``Cache-Control: no-store``): the back button on a shared computer shows no client data."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
            response["Pragma"] = "no-cache"
        return response


class SessionActivityMiddleware:
    """Keep the sessions page's "last seen" (allauth.usersessions) without a write on every
    request: at most one per session per ``SESSION_SEEN_EVERY`` seconds."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and request.session.session_key:
            now = int(time.time())
            due = now - request.session.get(SESSION_SEEN_KEY, 0) >= SESSION_SEEN_EVERY
            if due and client_ip(request):  # a session row needs an address
                UserSession.objects.create_from_request(request)
                request.session[SESSION_SEEN_KEY] = now
        return self.get_response(request)


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
    """Staff of a firm that requires MFA (the default) must enrol a second factor: nudged
    by a banner during the grace period (``request.mfa_grace_ends``), then sent to set one
    up before anything else (advisory/mfa/policy.py)."""

    ALLOWED_PREFIXES = ("/auth/", "/static/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.mfa_grace_ends = None
        membership = getattr(request, "membership", None)
        if (
            membership is None
            or not mfa_policy.mfa_required(membership)
            or mfa_policy.has_second_factor(request.user)
        ):
            return self.get_response(request)
        ends = mfa_policy.grace_ends(membership)
        if timezone.now() < ends or request.path.startswith(self.ALLOWED_PREFIXES):
            request.mfa_grace_ends = ends
            return self.get_response(request)
        if request.path.startswith("/api/"):  # a program gets JSON, not a set-up page
            return JsonResponse(
                {"detail": "Your firm requires two-factor authentication for staff: set up an "
                 "authenticator app (Security) before using the API."},
                status=403,
            )  # fmt: skip
        messages.warning(
            request,
            f"{membership.firm.name} requires two-factor authentication for staff. "
            "Set up an authenticator app to continue.",
        )
        url = reverse("mfa_activate_totp")
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(url)
        return redirect(url)
