"""The platform operator's page (/operator/firms/): list the firms and create one.

Platform operators are users with ``is_staff`` (``User.is_staff``: "platform operator flag";
firm roles come from memberships), as for shared prices. Creating a firm needs a fresh second
factor. :mod:`advisory.people.firms` writes: the firm, its first admin's invitation and the
``firm.created`` event in the new firm's trail, all or nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from ..mfa.stepup import require_stepup
from ..models import Firm
from ..people.errors import Refused
from ..people.firms import create_firm
from ..people.forms import FirmForm

View = Callable[..., HttpResponse]


def operator_required(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (request.user.is_active and request.user.is_staff):
            raise PermissionDenied("Only platform operators can open this page.")
        return view(request, *args, **kwargs)

    return wrapped


@operator_required
def operator_firms(request: HttpRequest) -> HttpResponse:
    """GET lists every firm; POST creates one (after a step-up)."""
    form = FirmForm(request.POST or None)
    if request.method == "POST":
        refusal = require_stepup(request)
        if refusal is not None:
            return refusal
        if form.is_valid():
            data = form.cleaned_data
            try:
                firm, invitation = create_firm(
                    slug=data["slug"],
                    name=data["name"],
                    admin_email=data["admin_email"] or None,
                    operator=request.user,
                )
            except Refused as exc:
                form.add_error(None, str(exc))
            else:
                sent = f" An invitation was sent to {invitation.email}." if invitation else ""
                messages.success(request, f"Created {firm.name} ({firm.slug}).{sent}")
                return redirect("operator_firms")
    context = {
        "form": form,
        "firms": Firm.objects.order_by("name"),
        "invitation_days": settings.BALLAST_INVITATION_DAYS,
        "stepup_minutes": settings.BALLAST_STEPUP_SECONDS // 60,
    }
    return render(
        request, "advisory/operator/firms.html", context, status=400 if form.errors else 200
    )
