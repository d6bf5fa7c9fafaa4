"""``/auth/api-tokens/``: a staff member's own API tokens. Make one (name, read-only or
read-write, lifetime: the secret is shown on the answering page only, never again), see them
(prefix, scope, made, last used, expires) and revoke one. Staff only: clients use the portal.
Another user's token is a 404, like a missing one. Making a token needs a fresh second factor
(a token is a long-lived credential)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from advisory.access import member_required
from advisory.api import tokens
from advisory.mfa.stepup import stepup_required
from advisory.models import STAFF_ROLES, ApiToken, Membership, TokenScope

LIFETIMES = (7, 30, 90, 180, 365)


class TokenForm(forms.Form):
    name = forms.CharField(max_length=80, help_text="What it is for, e.g. “CRM sync”.")
    scope = forms.ChoiceField(choices=TokenScope.choices, initial=TokenScope.READ)
    days = forms.TypedChoiceField(
        label="Expires after",
        coerce=int,
        choices=[(d, f"{d} days") for d in LIFETIMES if d <= tokens.max_days()],
        initial=tokens.default_days(),
    )

    def __init__(self, *args: object, membership: Membership, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.membership = membership
        if not membership.can_write:  # compliance: read-only tokens only
            self.fields["scope"].choices = [(TokenScope.READ.value, TokenScope.READ.label)]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the token a name.")
        return name


def _page(request: HttpRequest, form: TokenForm, secret: str = "", made: ApiToken | None = None):
    mine = ApiToken.objects.filter(user=request.user).order_by("-created_at", "-pk")
    return render(
        request,
        "account/api_tokens.html",
        {"form": form, "tokens": mine, "secret": secret, "made": made, "now": timezone.now()},
    )


@member_required(*STAFF_ROLES)
@require_safe
def api_tokens(request: HttpRequest) -> HttpResponse:
    return _page(request, TokenForm(membership=request.membership))


@member_required(*STAFF_ROLES)
@require_POST
@stepup_required()
def api_token_create(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST, membership=request.membership)
    if not form.is_valid():
        return _page(request, form)
    token, secret = tokens.create_token(
        membership=request.membership,
        name=form.cleaned_data["name"],
        scope=form.cleaned_data["scope"],
        days=form.cleaned_data["days"],
    )
    # Rendered, not redirected: the secret must not be kept anywhere to show it again.
    return _page(request, TokenForm(membership=request.membership), secret=secret, made=token)


@member_required(*STAFF_ROLES)
@require_POST
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken.objects.filter(user=request.user), pk=token_id)
    if tokens.revoke_token(token=token):
        messages.success(request, f"Revoked “{token.name}” ({token.prefix}…).")
    return redirect("account_api_tokens")
