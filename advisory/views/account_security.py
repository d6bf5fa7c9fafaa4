"""A signed-in user's own account pages: their sessions (see and end the others) and the
e-mail change that takes effect only once the new address is verified."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from allauth.account.views import EmailView
from allauth.usersessions.adapter import get_adapter as sessions_adapter
from allauth.usersessions.models import UserSession
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseBase,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from advisory.user_agents import browser_label


@login_required
@require_http_methods(["GET", "POST"])
def sessions(request: HttpRequest) -> HttpResponse:
    """GET lists the user's live sessions; POST ``end=<id>`` ends one of the others,
    ``end=others`` all of them. Another user's session is a 404, like a missing one."""
    if request.method == "POST":
        return _end(request)
    rows = sorted(
        UserSession.objects.purge_and_list(request.user),
        key=lambda s: s.last_seen_at,
        reverse=True,
    )
    current = request.session.session_key
    return render(
        request,
        "account/sessions.html",
        {
            "sessions": [(s, s.session_key == current, browser_label(s.user_agent)) for s in rows],
            "others": sum(1 for s in rows if s.session_key != current),
        },
    )


def _end(request: HttpRequest) -> HttpResponse:
    others = UserSession.objects.filter(user_id=request.user.pk).exclude(
        session_key=request.session.session_key
    )
    target = request.POST.get("end", "")
    if target == "others":
        ending = list(others)
    elif target.isdigit():
        ending = [get_object_or_404(others, pk=int(target))]
    else:
        return HttpResponseBadRequest("Say which session to end.")
    sessions_adapter().end_sessions(ending)  # audited (advisory.auth_adapter)
    count = len(ending)
    messages.success(request, f"Ended {count} other session{'s' if count != 1 else ''}.")
    return redirect("account_sessions")


class VerifiedEmailChangeView(EmailView):
    """allauth's e-mail page, except that no address becomes the login by a button: with
    ``ACCOUNT_CHANGE_EMAIL`` the new address replaces the old one only when the link sent
    to it is followed (allauth would otherwise let a user whose current address was never
    verified make an unverified one primary)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated:
            _record_sign_in_address(request.user)
        return super().dispatch(request, *args, **kwargs)

    def _action_primary(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        messages.error(
            request, "A new address takes effect when you follow the link we sent to it."
        )
        return HttpResponseRedirect(self.get_success_url())


def _record_sign_in_address(user: Any) -> None:
    """Record the address a user signs in with as their verified, primary one.

    Firms create their users' accounts (there is no sign-up) and the user has signed in
    with this address; allauth's change flow treats every unverified address as the one
    being changed *to*, and would otherwise delete the current address when a new one is
    asked for.
    """
    address, created = EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"primary": True, "verified": True}
    )
    if not created and not (address.primary and address.verified):
        EmailAddress.objects.filter(user=user, primary=True).exclude(pk=address.pk).update(
            primary=False
        )
        EmailAddress.objects.filter(pk=address.pk).update(primary=True, verified=True)


email_change = VerifiedEmailChangeView.as_view()
