"""The firm's webhooks page (/firm/webhooks/): endpoints, their deliveries, and the admin's
actions on them. Firm admins change; compliance reads; advisors and clients get 403.

Thin: :mod:`advisory.webhooks.endpoints` writes and audits. Registering an endpoint and
rotating its secret need a fresh second factor (they hand out a signing secret and decide
where firm events go); the new secret is shown in the response to that POST alone, never
stored in the clear, never in a session. Objects are looked up first: another firm's id is
a 404, never a prompt.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from ..access import member_required
from ..mfa.stepup import require_stepup
from ..models import DeliveryState, Role, WebhookDelivery, WebhookEndpoint
from ..webhooks import endpoints, events, transport

ROLES = (Role.ADMIN, Role.COMPLIANCE)
RECENT = 5  # deliveries per endpoint on the list page
HISTORY = 50  # deliveries on an endpoint's page


class EndpointForm(forms.Form):
    url = forms.URLField(
        label="Endpoint URL",
        max_length=500,
        assume_scheme="https",
        help_text="Where Ballast POSTs the events (https:// in production).",
    )
    events = forms.MultipleChoiceField(
        label="Events",
        choices=list(events.EVENTS.items()),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event."},
    )
    description = forms.CharField(label="Description", max_length=200, required=False)

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            transport.check_url(url)
        except transport.Refused as exc:
            raise forms.ValidationError(str(exc)) from None
        return url


@member_required(*ROLES, write=True)
@require_safe
def webhooks(request: HttpRequest) -> HttpResponse:
    return _list_page(request, EndpointForm())


def _list_page(request: HttpRequest, form: EndpointForm, status: int = 200) -> HttpResponse:
    recent = WebhookDelivery.objects.order_by("-created_at", "-pk")
    rows = list(
        WebhookEndpoint.objects.select_related("created_by")
        .prefetch_related(Prefetch("deliveries", queryset=recent[:RECENT], to_attr="recent"))
        .order_by("-active", "url", "pk")
    )
    context = {
        "form": form,
        "endpoints": rows,
        "labels": events.EVENTS,
        "can_change": request.membership.can_write,
        **_settings_context(),
    }
    return render(request, "advisory/webhooks/webhooks.html", context, status=status)


@member_required(*ROLES, write=True)
@require_POST
def webhook_create(request: HttpRequest) -> HttpResponse:
    refusal = require_stepup(request)
    if refusal is not None:
        return refusal
    form = EndpointForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            endpoint, secret = endpoints.register(
                firm=request.firm,
                url=data["url"],
                events_wanted=data["events"],
                description=data["description"],
                actor=request.user,
            )
        except endpoints.Refused as exc:
            form.add_error("url", str(exc))
        else:
            return _secret_page(request, endpoint, secret, created=True)
    return _list_page(request, form, status=400)


@member_required(*ROLES, write=True)
@require_safe
def webhook_detail(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(endpoint_id)
    deliveries = list(endpoint.deliveries.order_by("-created_at", "-pk")[:HISTORY])
    context = {
        "endpoint": endpoint,
        "deliveries": deliveries,
        "labels": events.EVENTS,
        "can_change": request.membership.can_write,
        **_settings_context(),
    }
    return render(request, "advisory/webhooks/endpoint.html", context)


@member_required(*ROLES, write=True)
@require_POST
def webhook_deactivate(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(endpoint_id)
    return _act(
        request,
        endpoint,
        lambda: endpoints.set_active(endpoint=endpoint, active=False, actor=request.user),
        "Endpoint deactivated: it receives no events until it is reactivated.",
    )


@member_required(*ROLES, write=True)
@require_POST
def webhook_reactivate(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(endpoint_id)
    refusal = require_stepup(request)
    if refusal is not None:
        return refusal
    return _act(
        request,
        endpoint,
        lambda: endpoints.set_active(endpoint=endpoint, active=True, actor=request.user),
        "Endpoint reactivated: new events are sent to it again.",
    )


@member_required(*ROLES, write=True)
@require_POST
def webhook_rotate(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(endpoint_id)
    refusal = require_stepup(request)
    if refusal is not None:
        return refusal
    endpoint, secret = endpoints.rotate_secret(endpoint=endpoint, actor=request.user)
    return _secret_page(request, endpoint, secret, created=False)


@member_required(*ROLES, write=True)
@require_POST
def webhook_test(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint(endpoint_id)
    return _act(
        request,
        endpoint,
        lambda: endpoints.send_test(endpoint=endpoint, actor=request.user),
        "Test event queued; its delivery is listed below.",
    )


@member_required(*ROLES, write=True)
@require_POST
def webhook_delivery_retry(request: HttpRequest, delivery_id: int) -> HttpResponse:
    try:
        delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    except WebhookDelivery.DoesNotExist:
        raise Http404("No such delivery.") from None
    return _act(
        request,
        delivery.endpoint,
        lambda: endpoints.retry_now(delivery=delivery, actor=request.user),
        "Delivery queued again: its attempts start over.",
    )


def _endpoint(endpoint_id: int) -> WebhookEndpoint:
    try:
        return WebhookEndpoint.objects.select_related("created_by").get(pk=endpoint_id)
    except WebhookEndpoint.DoesNotExist:
        raise Http404("No such webhook endpoint.") from None


def _act(
    request: HttpRequest, endpoint: WebhookEndpoint, action: Callable[[], object], done: str
) -> HttpResponse:
    """Run an action; a refusal becomes an error message, nothing written."""
    try:
        action()
    except endpoints.Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("webhook_detail", endpoint_id=endpoint.pk)


def _secret_page(
    request: HttpRequest, endpoint: WebhookEndpoint, secret: str, *, created: bool
) -> HttpResponse:
    context = {"endpoint": endpoint, "secret": secret, "created": created}
    response = render(request, "advisory/webhooks/secret.html", context)
    response["Cache-Control"] = "no-store"  # the secret must not outlive this page
    return response


def _settings_context() -> dict[str, object]:
    backoff = settings.BALLAST_WEBHOOKS_BACKOFF_SECONDS
    return {
        "max_attempts": settings.BALLAST_WEBHOOKS_MAX_ATTEMPTS,
        "backoff": [_duration(s) for s in backoff],
        "timeout": settings.BALLAST_WEBHOOKS_TIMEOUT_SECONDS,
        "states": DeliveryState,
        "stepup_minutes": settings.BALLAST_STEPUP_SECONDS // 60,
    }


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"
