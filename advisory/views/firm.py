"""The firm settings page: firm admins only; every change audited with before/after values
and saved only after a fresh second factor (advisory/mfa/stepup.py)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from ..access import member_required
from ..forms import FirmSettingsForm
from ..mfa.stepup import stepup_required
from ..models import Role
from ..services import save_audited


@member_required(Role.ADMIN, write=True)
@stepup_required(methods=("POST",))
def firm_settings(request: HttpRequest) -> HttpResponse:
    firm = request.firm
    form = FirmSettingsForm(request.POST or None, instance=firm)
    if request.method == "POST":
        if form.is_valid():
            if save_audited(firm=firm, instance=form.instance, fields=form.changed_data):
                messages.success(request, "Firm settings saved.")
            return redirect("firm_settings")
        firm.refresh_from_db()  # the header shows the stored name, not the refused one
    context = {
        "form": form,
        "firm": firm,
        "default_grace_days": settings.BALLAST_MFA_GRACE_DAYS,
        "stepup_minutes": settings.BALLAST_STEPUP_SECONDS // 60,
    }
    status = 400 if form.errors else 200
    return render(request, "advisory/firm_settings.html", context, status=status)
