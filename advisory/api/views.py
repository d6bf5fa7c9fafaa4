"""The advisory resources: the caller's firm, its households, clients and accounts (with owners).

Read-only, for staff: advisors see their book, firm admins and compliance the whole firm
(:func:`advisory.access.households_for` / :func:`~advisory.access.accounts_for`, exactly as
the pages), another firm's id is a 404. Clients are refused (403): the portal is their way in.
Reads are audited as the pages audit them (``household.viewed``, ``account.viewed``, and the
ids of every page of a list), with the token's id when a token made the request.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.request import Request
from rest_framework.response import Response

from advisory import audit_actions as actions
from advisory.access import accounts_for, households_for
from advisory.audit import record
from advisory.models import Account, AccountOwner, Client, Firm, Household

from .base import FirmViewSet
from .filtering import Ordering, Param, ParamFilter, boolean, id_param
from .serializers import (
    AccountSerializer,
    ClientSerializer,
    FirmSerializer,
    HouseholdSerializer,
)


class AuditedReadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, FirmViewSet):
    """List and detail, each page of a list and each detail recorded as the pages record
    them: ``list_action`` with the ids shown, ``detail_action`` with the object."""

    list_action: str = ""
    list_label: str = ""  # the list event's object_repr
    detail_action: str = ""
    filter_backends = [ParamFilter, Ordering]

    def list_changes(self, rows: list[Any]) -> dict[str, Any]:
        return {"household_ids": [r.pk for r in rows]}

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        rows = list(self.paginate_queryset(queryset) or [])
        if self.list_action:
            record(
                firm=request.firm,
                action=self.list_action,
                object_repr=self.list_label,
                changes=self.list_changes(rows),
            )
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        if self.detail_action:
            record(firm=request.firm, action=self.detail_action, obj=instance)
        return Response(self.get_serializer(instance).data)


# --- Firms ------------------------------------------------------------------------------------

FIRM_EXAMPLE = {
    "id": 1, "name": "Harbor Wealth", "slug": "harbor", "require_staff_mfa": True,
    "self_approval_below": "25000.00", "portal_shares_household": True,
    "portal_shows_cost_basis": False, "client_service_phone": "+1 617 555 0100",
    "created_at": "2026-01-05T14:00:00Z",
}  # fmt: skip


@extend_schema_view(
    list=extend_schema(
        summary="Your firm (a list of one)",
        description="The firm the caller's token or session acts in; never another firm.",
        examples=[OpenApiExample("Your firm", value=[FIRM_EXAMPLE], response_only=True)],
    ),
    retrieve=extend_schema(
        summary="Your firm",
        description="Another firm's id is a 404.",
        examples=[OpenApiExample("Your firm", value=FIRM_EXAMPLE, response_only=True)],
    ),
)
class FirmsViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, FirmViewSet):
    serializer_class = FirmSerializer
    pagination_class = None  # one row

    def get_queryset(self) -> QuerySet[Firm]:
        if getattr(self, "swagger_fake_view", False):
            return Firm.objects.none()
        return Firm.objects.filter(pk=self.request.firm.pk)


# --- Households -------------------------------------------------------------------------------

HOUSEHOLD_EXAMPLE = {
    "id": 12, "name": "Alvarez Household",
    "primary_advisor": {"id": 3, "name": "Dana Reyes", "email": "dana@harbor.example",
                        "role": "advisor"},
    "model": 4, "created_at": "2026-01-05T14:00:00Z", "updated_at": "2026-03-02T09:30:00Z",
}  # fmt: skip


@extend_schema_view(
    list=extend_schema(
        summary="List households",
        description="The households the caller may see: an advisor's book (primary or on the "
        "team), the whole firm for admins and compliance. Cursor-paginated; each page is "
        "audited (`households.listed`, with the ids).",
        examples=[
            OpenApiExample(
                "A page",
                value=HOUSEHOLD_EXAMPLE,
                response_only=True,
            )
        ],
    ),
    retrieve=extend_schema(
        summary="A household",
        description="Audited as `household.viewed`. Outside your book or firm: 404.",
        examples=[OpenApiExample("A household", value=HOUSEHOLD_EXAMPLE, response_only=True)],
    ),
)
class HouseholdViewSet(AuditedReadViewSet):
    serializer_class = HouseholdSerializer
    list_action = actions.HOUSEHOLDS_LISTED.code
    list_label = "Household list (API)"
    detail_action = actions.HOUSEHOLD_VIEWED.code
    filter_params = {
        "name": Param("name__icontains", help="Name contains (case-insensitive)."),
        "primary_advisor": id_param("primary_advisor_id", "Membership id of the advisor."),
        "model": id_param("model_id", "Model portfolio id."),
    }
    ordering_fields = ["id", "name", "created_at", "updated_at"]

    def get_queryset(self) -> QuerySet[Household]:
        if getattr(self, "swagger_fake_view", False):
            return Household._base_manager.none()
        return households_for(self.request.membership).select_related("primary_advisor__user")


# --- Clients ----------------------------------------------------------------------------------

CLIENT_EXAMPLE = {
    "id": 31, "household": 12, "first_name": "Maria", "last_name": "Alvarez",
    "email": "maria@example.com", "has_portal_login": True,
}  # fmt: skip


@extend_schema_view(
    list=extend_schema(
        summary="List clients",
        description="Clients of the households the caller may see. Each page is audited "
        "(`clients.listed`, with the client and household ids).",
        examples=[
            OpenApiExample(
                "A page",
                value=CLIENT_EXAMPLE,
                response_only=True,
            )
        ],
    ),
    retrieve=extend_schema(
        summary="A client",
        description="Audited as `client.viewed`. Outside your book or firm: 404.",
        examples=[OpenApiExample("A client", value=CLIENT_EXAMPLE, response_only=True)],
    ),
)
class ClientViewSet(AuditedReadViewSet):
    serializer_class = ClientSerializer
    list_action = actions.CLIENTS_LISTED.code
    list_label = "Client list (API)"
    detail_action = actions.CLIENT_VIEWED.code
    filter_params = {
        "household": id_param("household_id", "Household id."),
        "name": Param("last_name__icontains", help="Last name contains (case-insensitive)."),
        "email": Param("email__iexact", help="E-mail address (exact, case-insensitive)."),
        "has_portal_login": Param("user__isnull", lambda raw: not boolean(raw), "true or false",
                                  "boolean"),
    }  # fmt: skip
    ordering_fields = ["id", "last_name", "first_name"]

    def list_changes(self, rows: list[Any]) -> dict[str, Any]:
        return {
            "client_ids": [c.pk for c in rows],
            "household_ids": sorted({c.household_id for c in rows}),
        }

    def get_queryset(self) -> QuerySet[Client]:
        if getattr(self, "swagger_fake_view", False):
            return Client._base_manager.none()
        return Client.objects.filter(household__in=households_for(self.request.membership))


# --- Accounts ---------------------------------------------------------------------------------

ACCOUNT_EXAMPLE = {
    "id": 58, "household": 12, "household_name": "Alvarez Household", "name": "Joint brokerage",
    "registration": "joint", "tax_status": "taxable", "custodian": "schwab",
    "account_number": "••••4821", "model": 4, "cash_balance": "12500.00",
    "fractional_allowed": False, "held_away": False,
    "owners": [{"id": 31, "name": "Maria Alvarez"}, {"id": 32, "name": "Luis Alvarez"}],
    "created_at": "2026-01-05T14:00:00Z", "updated_at": "2026-03-02T09:30:00Z",
}  # fmt: skip


@extend_schema_view(
    list=extend_schema(
        summary="List accounts with their owners",
        description="Accounts of the households the caller may see, with their owners (the "
        "household's clients who own each). Account numbers are masked. Each page is audited "
        "(`accounts.listed`, with the account and household ids).",
        examples=[
            OpenApiExample(
                "A page",
                value=ACCOUNT_EXAMPLE,
                response_only=True,
            )
        ],
    ),
    retrieve=extend_schema(
        summary="An account with its owners",
        description="Audited as `account.viewed`. Outside your book or firm: 404.",
        examples=[OpenApiExample("An account", value=ACCOUNT_EXAMPLE, response_only=True)],
    ),
)
class AccountViewSet(AuditedReadViewSet):
    serializer_class = AccountSerializer
    list_action = actions.ACCOUNTS_LISTED.code
    list_label = "Account list (API)"
    detail_action = actions.ACCOUNT_VIEWED.code
    filter_params = {
        "household": id_param("household_id", "Household id."),
        "owner": id_param("ownerships__client_id", "Client id of an owner."),
        "model": id_param("model_id", "Model portfolio id."),
        "custodian": Param("custodian", help="Custodian code, e.g. schwab."),
        "registration": Param("registration", help="Registration code, e.g. joint."),
        "tax_status": Param("tax_status", help="taxable, tax_deferred or tax_exempt."),
        "held_away": Param("held_away", boolean, "true or false", "boolean"),
    }
    ordering_fields = ["id", "name", "created_at", "updated_at", "cash_balance"]

    def list_changes(self, rows: list[Any]) -> dict[str, Any]:
        return {
            "account_ids": [a.pk for a in rows],
            "household_ids": sorted({a.household_id for a in rows}),
        }

    def get_queryset(self) -> QuerySet[Account]:
        if getattr(self, "swagger_fake_view", False):
            return Account._base_manager.none()
        owners = Prefetch("ownerships", AccountOwner.objects.select_related("client"))
        return (
            accounts_for(self.request.membership)
            .select_related("household")
            .prefetch_related(owners)
            .distinct()
        )
