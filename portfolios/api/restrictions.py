"""Do-not-buy / do-not-sell restrictions: listed for staff; added and lifted by advisors and
admins through :mod:`portfolios.restrictions.lists`, as the restriction pages.

As on the pages, an advisor adds and lifts firm-wide restrictions and those of the
households they advise (and their accounts); compliance reads.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from advisory.access import get_account_for, get_household_for, households_for
from advisory.api.base import FirmViewSet
from advisory.api.pagination import CursorPage
from portfolios.api import params
from portfolios.api.serializers import (
    LiftSerializer,
    RestrictionCreateSerializer,
    RestrictionSerializer,
)
from portfolios.models import Restriction
from portfolios.restrictions.lists import add_restriction, lift_restriction

EXAMPLE = {
    "id": 6, "symbol": "TSLA", "side": "buy", "scope": "household", "household": 4,
    "account": None, "reason": "Client's employer", "expires_on": None,
    "created_at": "2026-10-01T09:00:00Z", "lifted_at": None,
}  # fmt: skip
SCOPES = ["firm", "household", "account"]


@extend_schema_view(
    list=extend_schema(
        summary="List restrictions",
        description="Firm-wide ones and those of the households you may see.",
        parameters=[
            params.choice_filter("scope", SCOPES, "Only firm-wide, household or account ones."),
            params.id_filter("household", "this household's own restrictions"),
            params.choice_filter("lifted", ["true", "false"], "Only lifted (or not) ones."),
        ],
        examples=[OpenApiExample("A restriction", value=EXAMPLE, response_only=True)],
    ),
    retrieve=extend_schema(
        summary="Get a restriction",
        examples=[OpenApiExample("A restriction", value=EXAMPLE, response_only=True)],
    ),
)
class RestrictionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, FirmViewSet):
    serializer_class = RestrictionSerializer
    pagination_class = CursorPage
    lookup_value_regex = params.ID_PATTERN

    def get_queryset(self) -> QuerySet[Restriction]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator: no caller
            return Restriction.objects.none()
        households = households_for(self.request.membership)
        qs = Restriction.objects.filter(
            Q(household__isnull=True, account__isnull=True)
            | Q(household__in=households)
            | Q(account__household__in=households)
        ).select_related("security")
        if self.action != "list":
            return qs
        scope = params.choice_param(self.request, "scope", SCOPES)
        if scope == "firm":
            qs = qs.filter(household__isnull=True, account__isnull=True)
        elif scope in ("household", "account"):
            qs = qs.filter(**{f"{scope}__isnull": False})
        if (household := params.int_param(self.request, "household")) is not None:
            qs = qs.filter(Q(household_id=household) | Q(account__household_id=household))
        lifted = params.choice_param(self.request, "lifted", ["true", "false"])
        if lifted is not None:
            qs = qs.filter(lifted_at__isnull=lifted == "false")
        return qs

    @extend_schema(
        summary="Add a restriction",
        description=(
            "Firm-wide (no household or account), or for one household or account you "
            "advise. A duplicate in force is refused (400)."
        ),
        request=RestrictionCreateSerializer,
        responses={201: RestrictionSerializer},
        examples=[
            OpenApiExample(
                "Do not buy, one household",
                value={"symbol": "TSLA", "side": "buy", "reason": "Client's employer",
                       "household": 4},
                request_only=True,
            ),
            OpenApiExample("Added", value=EXAMPLE, response_only=True, status_codes=["201"]),
        ],
    )  # fmt: skip
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = RestrictionCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        membership = request.membership
        household = account = None
        if data.get("household"):
            household = get_household_for(membership, data["household"])
        if data.get("account"):
            account = get_account_for(membership, data["account"])
        restriction = add_restriction(
            firm=request.firm, actor=request.user, symbol=data["symbol"], side=data["side"],
            reason=data["reason"], household=household, account=account,
            expires_on=data.get("expires_on"),
        )  # fmt: skip
        body = RestrictionSerializer(self.get_queryset().get(pk=restriction.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Lift a restriction",
        description="Ends it now, with the reason; it stays on record as lifted.",
        request=LiftSerializer,
        responses={200: RestrictionSerializer},
        examples=[
            OpenApiExample("Why", value={"reason": "Employment ended"}, request_only=True),
            OpenApiExample("Lifted", value={**EXAMPLE, "lifted_at": "2026-11-02T10:00:00Z"},
                           response_only=True),
        ],
    )  # fmt: skip
    @action(detail=True, methods=["post"])
    def lift(self, request: Request, pk: str) -> Response:
        restriction = self.get_object()
        form = LiftSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        lift_restriction(
            firm=request.firm, actor=request.user, restriction=restriction,
            reason=form.validated_data["reason"],
        )  # fmt: skip
        return Response(RestrictionSerializer(self.get_queryset().get(pk=restriction.pk)).data)
