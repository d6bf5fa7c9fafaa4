"""Step-up: a second factor entered within the last few minutes before a sensitive action.

allauth records each authentication step of the session (password, 'mfa' with the
authenticator used) with its time; signing in with a code and allauth's MFA reauthenticate
page both add an 'mfa' record. A step-up is an 'mfa' record younger than
``BALLAST_STEPUP_SECONDS``: a password re-entry does not count. Without one, the user is
sent to the reauthenticate page (``next`` brings them back to the page they acted on,
where they repeat the action: a POST is never replayed) or, with no authenticator yet, to
set one up. htmx requests get the same answer as an ``HX-Redirect``.

Which actions need it: approving a proposal unless the author could approve it alone
(below the firm's self-approval threshold), exporting an order file, starting or
downloading a records export and exporting audit search results, opening or saving a
membership (roles) in the admin, saving firm settings, approving a disclosure.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any
from urllib.parse import urlencode, urlsplit

from allauth.account.authentication import get_authentication_records
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

from .policy import has_second_factor

View = Callable[..., HttpResponse]


def last_second_factor_at(request: HttpRequest) -> float | None:
    """Unix time of this session's latest second factor, if any."""
    times = [
        r.get("at", 0.0)
        for r in get_authentication_records(request, request.user)
        if r.get("method") == "mfa"
    ]
    return max(times, default=None)


def is_stepped_up(request: HttpRequest) -> bool:
    at = last_second_factor_at(request)
    return at is not None and time.time() - at <= settings.BALLAST_STEPUP_SECONDS


def return_to(request: HttpRequest) -> str:
    """The page to come back to: this one for a GET; for a POST (which is not repeated), the
    page it was posted from when that is ours, else the home page."""
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.headers.get("HX-Current-URL") or request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(referer)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return reverse("home")


def stepup_response(request: HttpRequest) -> HttpResponse:
    """Where to go for a fresh second factor (or to enrol one first)."""
    if not has_second_factor(request.user):
        messages.warning(
            request,
            "This action needs two-factor authentication: set up an authenticator app, "
            "then try again.",
        )
        url = reverse("mfa_activate_totp")
    else:
        messages.info(request, "This action needs a fresh code from your authenticator app.")
        url = f"{reverse('mfa_reauthenticate')}?{urlencode({'next': return_to(request)})}"
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)


def require_stepup(request: HttpRequest, *, when: bool = True) -> HttpResponse | None:
    """None when the action needs no step-up (``when`` false) or the user stepped up
    recently; otherwise the response that asks for it."""
    return None if not when or is_stepped_up(request) else stepup_response(request)


def stepup_required(methods: Iterable[str] | None = None) -> Callable[[View], View]:
    """Decorate a view so it needs a recent second factor (for ``methods`` only, when given:
    e.g. a settings page shows on GET and needs the step-up to save on POST).

    Put it under the access decorator: who may not see the page gets 403/404, not a prompt.
    """
    wanted = {m.upper() for m in methods} if methods is not None else None

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if wanted is None or request.method in wanted:
                refusal = require_stepup(request)
                if refusal is not None:
                    return refusal
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
