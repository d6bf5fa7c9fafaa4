"""The people page (/firm/people/) for firm admins, and the invitation link's page (/join/…).

Thin: :mod:`advisory.people` writes and audits. Every change on the people page is a POST
that needs a fresh second factor (step-up, as for roles in the admin); the object is looked
up first, so another firm's id is a 404 and never a prompt.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ..access import member_required
from ..mfa.stepup import require_stepup
from ..models import Invitation, Membership, Role, User
from ..people import invitations, members, roster
from ..people.errors import Refused
from ..people.forms import AcceptForm, InviteForm, RoleForm
from ..people.invitations import LinkNotValid, LinkState

# --- The people page ----------------------------------------------------------------------


@member_required(Role.ADMIN, write=True)
def people(request: HttpRequest) -> HttpResponse:
    return _page(request, InviteForm())


def _page(request: HttpRequest, form: InviteForm, status: int = 200) -> HttpResponse:
    rows = roster.member_rows()
    context = {
        "form": form,
        "staff": [r for r in rows if not r.is_client],
        "clients": [r for r in rows if r.is_client],
        "invitations": list(invitations.pending_for_page()),
        "now": timezone.now(),
        "role_form": RoleForm(),
        "invitation_days": settings.BALLAST_INVITATION_DAYS,
        "stepup_minutes": settings.BALLAST_STEPUP_SECONDS // 60,
    }
    return render(request, "advisory/people/people.html", context, status=status)


@member_required(Role.ADMIN, write=True)
@require_POST
def people_invite(request: HttpRequest) -> HttpResponse:
    refusal = require_stepup(request)
    if refusal is not None:
        return refusal
    form = InviteForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            invitation = invitations.invite(
                firm=request.firm,
                email=data["email"],
                role=data["role"],
                client=data["client"],
                invited_by=request.user,
            )
        except Refused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                f"Invitation sent to {invitation.email} as {invitation.get_role_display()}. "
                f"The link works once, for {settings.BALLAST_INVITATION_DAYS} days.",
            )
            return redirect("people")
    return _page(request, form, status=400)


def _membership(membership_id: int) -> Membership:
    try:
        return Membership.objects.select_related("user").get(pk=membership_id)
    except Membership.DoesNotExist:
        raise Http404("No such member.") from None


def _invitation(invitation_id: int) -> Invitation:
    try:
        return Invitation.objects.get(pk=invitation_id)
    except Invitation.DoesNotExist:
        raise Http404("No such invitation.") from None


def _act(request: HttpRequest, action: Callable[[], object], done: str) -> HttpResponse:
    """Run a people action after a recent second factor (asked for first when missing); its
    refusal becomes an error message, nothing written."""
    refusal = require_stepup(request)
    if refusal is not None:
        return refusal
    try:
        action()
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("people")


@member_required(Role.ADMIN, write=True)
@require_POST
def people_role(request: HttpRequest, membership_id: int) -> HttpResponse:
    member = _membership(membership_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a firm admin, advisor or compliance officer role.")
        return redirect("people")
    role = form.cleaned_data["role"]
    label = Role(role).label
    return _act(
        request,
        lambda: members.change_role(
            firm=request.firm, membership_id=member.pk, role=role, actor=request.user
        ),
        f"{member.user} is now {label}.",
    )


@member_required(Role.ADMIN, write=True)
@require_POST
def people_deactivate(request: HttpRequest, membership_id: int) -> HttpResponse:
    member = _membership(membership_id)
    return _act(
        request,
        lambda: members.deactivate(firm=request.firm, membership_id=member.pk, actor=request.user),
        f"{member.user} was deactivated and can no longer open {request.firm.name}.",
    )


@member_required(Role.ADMIN, write=True)
@require_POST
def people_reactivate(request: HttpRequest, membership_id: int) -> HttpResponse:
    member = _membership(membership_id)
    return _act(
        request,
        lambda: members.reactivate(firm=request.firm, membership_id=member.pk, actor=request.user),
        f"{member.user} was reactivated.",
    )


@member_required(Role.ADMIN, write=True)
@require_POST
def invitation_resend(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = _invitation(invitation_id)
    return _act(
        request,
        lambda: invitations.resend(firm=request.firm, invitation_id=invitation.pk),
        f"A new link was sent to {invitation.email}; the old one no longer works.",
    )


@member_required(Role.ADMIN, write=True)
@require_POST
def invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = _invitation(invitation_id)
    return _act(
        request,
        lambda: invitations.revoke(firm=request.firm, invitation_id=invitation.pk),
        f"The invitation of {invitation.email} was revoked; its link no longer works.",
    )


# --- The invitation link ------------------------------------------------------------------

INVALID_STATUS = {LinkState.UNKNOWN: 404}  # expired, used or revoked: 410 Gone


def invitation_accept(request: HttpRequest, firm_slug: str, token: str) -> HttpResponse:
    """Anyone holding the link may open it: a new person chooses a name and password; a
    signed-in user with the invited address accepts with one button."""
    firm, invitation, state = invitations.find(firm_slug, token)
    if firm is None or invitation is None or state != LinkState.VALID:
        return _invalid(request, state)
    context: dict[str, Any] = {"firm": firm, "invitation": invitation}
    user = request.user
    if user.is_authenticated:
        if user.email.lower() != invitation.email.lower():
            return render(request, "account/invitation_other_user.html", context, status=403)
        if request.method == "POST":
            return _accepted(
                request,
                lambda: invitations.accept_as_user(firm=firm, token=token, user=user),
                context,
            )
        return render(request, "account/invitation_accept.html", context)
    if User.objects.filter(email__iexact=invitation.email).exists():
        context["login_url"] = f"{reverse('account_login')}?next={request.path}"
        return render(request, "account/invitation_sign_in.html", context)
    form = AcceptForm(request.POST or None, email=invitation.email)
    context["form"] = form
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        return _accepted(
            request,
            lambda: invitations.accept_as_new_user(
                firm=firm, token=token, full_name=data["full_name"], password=data["password1"]
            ),
            context,
            sign_in=True,
        )
    status = 400 if form.errors else 200
    return render(request, "account/invitation_accept.html", context, status=status)


def _invalid(request: HttpRequest, state: LinkState) -> HttpResponse:
    status = INVALID_STATUS.get(state, 410)
    return render(request, "account/invitation_invalid.html", {"state": state}, status=status)


def _accepted(
    request: HttpRequest,
    accept: Callable[[], Membership],
    context: dict,
    *,
    sign_in: bool = False,
) -> HttpResponse:
    try:
        membership = accept()
    except LinkNotValid as exc:
        return _invalid(request, exc.state)
    except Refused as exc:
        context["refusal"] = str(exc)
        return render(request, "account/invitation_accept.html", context, status=409)
    if sign_in:
        login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
    request.session["firm_id"] = membership.firm_id  # land in the firm just joined
    # Staff then follow the firm's MFA policy (advisory/mfa/policy.py): the home page's
    # banner during the grace period, then the set-up page before anything else.
    messages.success(request, f"Welcome to {membership.firm.name}.")
    return redirect("home")
