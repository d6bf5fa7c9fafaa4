"""Legal holds: the compliance officer's and firm admin's page to place and release them.

Thin: :mod:`advisory.retention.holds` is the writer (and audits both acts). Compliance may
post here although its role is otherwise read-only: placing a hold is its job.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_scopes.forms import SafeModelChoiceField

from ..access import member_required
from ..models import Household, LegalHold, Role
from ..retention.cutoff import retention_years
from ..retention.holds import HoldError, place_hold, release_hold

HOLD_ROLES = (Role.COMPLIANCE, Role.ADMIN)


class PlaceHoldForm(forms.Form):
    household = SafeModelChoiceField(
        queryset=Household.objects.none(),
        required=False,
        empty_label="The whole firm",
        help_text="Leave on “The whole firm” to keep every record of the firm.",
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["household"].queryset = Household.objects.order_by("name")


class ReleaseHoldForm(forms.Form):
    reason = forms.CharField(
        label="Reason for release", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


@member_required(*HOLD_ROLES)
def legal_holds(request: HttpRequest) -> HttpResponse:
    """GET lists the firm's holds (active first); POST places one."""
    form = PlaceHoldForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            place_hold(
                firm=request.firm,
                placed_by=request.user,
                household=form.cleaned_data["household"],
                reason=form.cleaned_data["reason"],
            )
        except HoldError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Legal hold placed.")
            return redirect("legal_holds")
    holds = list(
        LegalHold.objects.select_related("household", "placed_by", "released_by").order_by(
            "released_at", "-placed_at", "-pk"
        )
    )
    context = {
        "form": form,
        "active": [h for h in holds if h.active],
        "released": [h for h in holds if not h.active],
        "release_form": ReleaseHoldForm(),
        "retention_years": retention_years(),
    }
    return render(request, "advisory/holds.html", context, status=400 if form.errors else 200)


@member_required(*HOLD_ROLES)
@require_POST
def legal_hold_release(request: HttpRequest, hold_id: int) -> HttpResponse:
    try:
        hold = LegalHold.objects.get(pk=hold_id)
    except LegalHold.DoesNotExist:
        raise Http404("No such legal hold.") from None
    form = ReleaseHoldForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Releasing a legal hold needs a reason.")
        return redirect("legal_holds")
    try:
        release_hold(hold=hold, released_by=request.user, reason=form.cleaned_data["reason"])
    except HoldError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Legal hold released.")
    return redirect("legal_holds")
