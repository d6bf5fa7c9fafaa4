"""``/api/v1/audit-events/``: the firm's audit trail for compliance officers, with the
workspace search's filters (:mod:`.filters`: actor, role, action code, category, object,
dates, IP, text) and the API token that made each event.

It lives with the workspace, not in :mod:`advisory.api` (advisory's core, which imports no
page module), and is routed by :mod:`.api_urls`."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination

from advisory.api.base import FirmViewSet
from advisory.api.errors import NON_FIELD
from advisory.api.serializers import AuditEventSerializer
from advisory.models import AuditEvent, Role

from . import audit_search, filters

# The workspace's messages start with the field's label: file each under its parameter.
LABELS = {
    "Role": "role", "Action": "code", "Category": "category", "Object type": "object_type",
    "From": "date_from", "To": "date_to", "IP": "ip", "Token": "token",
}  # fmt: skip

PARAMETERS = [
    OpenApiParameter("actor", OpenApiTypes.STR, description="User id, or e-mail contains."),
    OpenApiParameter("role", OpenApiTypes.STR, enum=list(filters.ROLES)),
    OpenApiParameter("code", OpenApiTypes.STR, description="A registered action code."),
    OpenApiParameter("action", OpenApiTypes.STR, description="Action code contains."),
    OpenApiParameter("category", OpenApiTypes.STR, description="read, write, approval, …"),
    OpenApiParameter("object_type", OpenApiTypes.STR, enum=list(filters.OBJECT_TYPES)),
    OpenApiParameter("object_id", OpenApiTypes.STR),
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="First UTC day."),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="Last UTC day."),
    OpenApiParameter("ip", OpenApiTypes.STR, description="Address, or its start."),
    OpenApiParameter("q", OpenApiTypes.STR, description="Text in the action, object or actor."),
    OpenApiParameter("token", OpenApiTypes.STR, description="API token id or prefix."),
]

EVENT_EXAMPLE = {
    "id": 9120, "seq": 4411, "created_at": "2026-03-02T09:30:00Z", "actor": 7,
    "actor_label": "dana@harbor.example", "role": "advisor", "action": "household.viewed",
    "object_type": "advisory.household", "object_id": "12",
    "object_repr": "Alvarez Household", "changes": {}, "ip": "203.0.113.9",
    "user_agent": "python-requests/2.32", "request_id": "5f0c…", "api_token": 3,
    "prev_hash": "9a1e…", "hash": "c27b…", "key_id": "k2",
}  # fmt: skip


class NewestFirst(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-seq",)  # unique in the firm: a stable cursor


@extend_schema_view(
    list=extend_schema(
        summary="Search the audit trail (compliance only)",
        description="Newest first, with the workspace's filters. A bad filter is a 400 naming "
        "it. Compliance officers only; everyone else gets 403.",
        parameters=PARAMETERS,
        examples=[
            OpenApiExample(
                "A page",
                value=EVENT_EXAMPLE,
                response_only=True,
            )
        ],
    ),
    retrieve=extend_schema(
        summary="One audit event (compliance only)",
        examples=[OpenApiExample("An event", value=EVENT_EXAMPLE, response_only=True)],
    ),
)
class AuditEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, FirmViewSet):
    serializer_class = AuditEventSerializer
    read_roles = (Role.COMPLIANCE,)
    write_roles = ()
    pagination_class = NewestFirst

    def get_queryset(self) -> QuerySet[AuditEvent]:
        if getattr(self, "swagger_fake_view", False):
            return AuditEvent._base_manager.none()
        if self.action != "list":
            return AuditEvent.objects.all()
        params = self.request.query_params
        f = filters.parse_filters(params)
        token = filters.parse_token(str(params.get("token", "")), f.errors)
        if f.errors:
            raise ValidationError(_by_parameter(f.errors))
        events = audit_search.search(f)
        if token is not None:
            events = events.filter(api_token_id=token)
        return events


def _by_parameter(messages: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for message in messages:
        label = message.split(":", 1)[0]
        out.setdefault(LABELS.get(label, NON_FIELD), []).append(message)
    return out
