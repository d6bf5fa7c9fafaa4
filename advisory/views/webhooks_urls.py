"""Webhooks (issue 13): the firm admin's endpoints and deliveries. Included from
advisory/urls.py; kept under ``advisory.views`` so the architecture test counts it as a page
module."""

from django.urls import path

from . import webhooks

urlpatterns = [
    path("firm/webhooks/", webhooks.webhooks, name="webhooks"),
    path("firm/webhooks/new/", webhooks.webhook_create, name="webhook_create"),
    path("firm/webhooks/<int:endpoint_id>/", webhooks.webhook_detail, name="webhook_detail"),
    path(
        "firm/webhooks/<int:endpoint_id>/deactivate/",
        webhooks.webhook_deactivate,
        name="webhook_deactivate",
    ),
    path(
        "firm/webhooks/<int:endpoint_id>/reactivate/",
        webhooks.webhook_reactivate,
        name="webhook_reactivate",
    ),
    path("firm/webhooks/<int:endpoint_id>/rotate/", webhooks.webhook_rotate, name="webhook_rotate"),
    path("firm/webhooks/<int:endpoint_id>/test/", webhooks.webhook_test, name="webhook_test"),
    path(
        "firm/webhooks/deliveries/<int:delivery_id>/retry/",
        webhooks.webhook_delivery_retry,
        name="webhook_delivery_retry",
    ),
]
