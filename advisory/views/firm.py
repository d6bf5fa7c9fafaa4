from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from ..access import member_required
from ..forms import FirmSettingsForm
from ..models import Role
from ..services import save_audited


@member_required(Role.ADMIN, write=True)
def firm_settings(request: HttpRequest) -> HttpResponse:
    firm = request.firm
    form = FirmSettingsForm(request.POST or None, instance=firm)
    if request.method == "POST" and form.is_valid():
        if save_audited(firm=firm, instance=form.instance, fields=form.changed_data):
            messages.success(request, "Firm settings saved.")
        return redirect("firm_settings")
    return render(request, "advisory/edit_form.html", {"form": form, "object": firm})
