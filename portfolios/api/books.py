"""The firm's books: positions (tax lots), model portfolios and drift snapshots (read).

Positions and snapshots are those of the households the caller may see
(:func:`advisory.access.households_for`): an advisor their book, admins and compliance the
firm. Models are the firm's, with their live targets and (on one model) the version history;
advisors and admins create them and publish new versions through
:mod:`portfolios.model_versions.service`, as the model pages.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response

from advisory.access import households_for
from advisory.api.base import FirmViewSet
from advisory.api.pagination import CursorPage
from portfolios.api import params
from portfolios.api.serializers import (
    DriftSnapshotSerializer,
    ModelCreateSerializer,
    ModelPortfolioDetailSerializer,
    ModelPortfolioSerializer,
    ModelPublishSerializer,
    PositionSerializer,
)
from portfolios.drift.queries import latest_as_of
from portfolios.model_versions import service as models_service
from portfolios.models import DriftSnapshot, ModelPortfolio, ModelVersion, Target, TaxLot

POSITION_EXAMPLE = {
    "id": 7, "account": 12, "household": 4, "security": 3, "symbol": "VOO",
    "quantity": "10.000000000", "cost_basis": "4000.00", "acquired_on": "2024-03-01",
}  # fmt: skip
MODEL_EXAMPLE = {
    "id": 2, "name": "Growth 80/20", "description": "", "version": 3, "retired_at": None,
    "updated_at": "2026-10-01T09:00:00Z",
    "targets": [{"id": 5, "asset_class": "us-large-cap", "security": None, "weight": "80.00",
                 "abs_band": "5.00", "rel_band": "25.00", "preferred_security": "VOO",
                 "equivalents": ["IVV"]}],
}  # fmt: skip
LINES_EXAMPLE = {
    "name": "Growth 80/20", "summary": "First version",
    "lines": [{"asset_class": "us-large-cap", "weight": "80", "preferred_security": "VOO"},
              {"asset_class": "us-small-cap", "weight": "20", "abs_band": "3",
               "rel_band": "20", "preferred_security": "IWM", "equivalents": ["VB"]}],
}  # fmt: skip
SNAPSHOT_EXAMPLE = {
    "id": 90, "kind": "household", "household": 4, "account": None, "model": 2,
    "as_of": "2026-10-30", "status": "breached", "market_value": "125000.00",
    "cash_value": "1000.00", "cash_weight": "0.80", "worst_bucket": "US large cap",
    "worst_abs_drift": "7.20", "worst_rel_drift": "9.0000", "missing_symbols": [],
    "buckets": [], "computed_at": "2026-10-30T22:05:00Z",
}  # fmt: skip


@extend_schema_view(
    list=extend_schema(
        summary="List positions (tax lots)",
        description="Open and closed lots of the accounts you may see.",
        parameters=[
            params.id_filter("account", "lots of this account"),
            params.id_filter("household", "lots of this household's accounts"),
            params.id_filter("security", "lots of this security"),
        ],
        examples=[OpenApiExample("A lot", value=POSITION_EXAMPLE, response_only=True)],
    ),
    retrieve=extend_schema(
        summary="Get a position (tax lot)",
        examples=[OpenApiExample("A lot", value=POSITION_EXAMPLE, response_only=True)],
    ),
)
class PositionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, FirmViewSet):
    serializer_class = PositionSerializer
    pagination_class = CursorPage
    lookup_value_regex = params.ID_PATTERN
    filter_backends = [OrderingFilter]
    ordering_fields = ["acquired_on", "id"]
    ordering = ("-id",)

    def get_queryset(self) -> QuerySet[TaxLot]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator: no caller
            return TaxLot.objects.none()
        qs = TaxLot.objects.filter(
            account__household__in=households_for(self.request.membership)
        ).select_related("account", "security")
        for name, field in (("account", "account_id"), ("household", "account__household_id"),
                            ("security", "security_id")):  # fmt: skip
            if (value := params.int_param(self.request, name)) is not None:
                qs = qs.filter(**{field: value})
        return qs


@extend_schema_view(
    list=extend_schema(
        summary="List model portfolios",
        description="The firm's models with the targets of their live version.",
        parameters=[
            params.choice_filter("retired", ["true", "false"], "Only retired (or live) models.")
        ],
        examples=[OpenApiExample("A model", value=MODEL_EXAMPLE, response_only=True)],
    ),
    retrieve=extend_schema(
        summary="Get a model portfolio with its version history",
        responses=ModelPortfolioDetailSerializer,
        examples=[
            OpenApiExample(
                "A model",
                value={**MODEL_EXAMPLE, "versions": [
                    {"number": 3, "state": "live", "summary": "Less small cap", "lines": [],
                     "created_by": "admin@firm.example", "created_at": "2026-10-01T09:00:00Z",
                     "made_live_at": "2026-10-01T09:00:00Z"}]},
                response_only=True,
            ),
        ],
    ),
)  # fmt: skip
class ModelPortfolioViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, FirmViewSet):
    pagination_class = CursorPage
    lookup_value_regex = params.ID_PATTERN
    filter_backends = [OrderingFilter]
    ordering_fields = ["name", "id"]
    ordering = ("name", "id")

    def get_serializer_class(self) -> Any:
        return (
            ModelPortfolioDetailSerializer
            if self.action == "retrieve"
            else ModelPortfolioSerializer
        )

    def get_queryset(self) -> QuerySet[ModelPortfolio]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator: no caller
            return ModelPortfolio.objects.none()
        targets = (
            Target.objects.select_related("asset_class", "security", "preferred_security")
            .prefetch_related("equivalents")
            .order_by("pk")
        )
        qs = ModelPortfolio.objects.prefetch_related(Prefetch("targets", queryset=targets))
        if self.action != "list":
            versions = ModelVersion.objects.select_related("created_by").order_by("-number")
            qs = qs.prefetch_related(Prefetch("versions", queryset=versions))
        retired = params.choice_param(self.request, "retired", ["true", "false"])
        if retired is not None:
            qs = qs.filter(retired_at__isnull=retired == "false")
        return qs

    def _answer(self, model_id: int, code: int = status.HTTP_200_OK) -> Response:
        model = self.get_queryset().get(pk=model_id)
        return Response(ModelPortfolioDetailSerializer(model).data, status=code)

    @extend_schema(
        summary="Create a model portfolio",
        description=(
            "Its lines become version 1, live at once (as the New model page). Weights must "
            "add up to exactly 100; every bad line is named. Audited as `model.created`."
        ),
        request=ModelCreateSerializer,
        responses={201: ModelPortfolioDetailSerializer},
        examples=[
            OpenApiExample("An 80/20 model", value=LINES_EXAMPLE, request_only=True),
        ],
    )
    def create(self, request: Request) -> Response:
        form = ModelCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        model = models_service.create_model(
            firm=request.firm, name=data["name"], description=data["description"],
            summary=data["summary"], lines=form.model_lines(), actor=request.user,
        )  # fmt: skip
        return self._answer(model.pk, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Publish a new live version",
        description=(
            "The lines become the live version (the previous one is superseded; open "
            "proposals built on it turn stale). `version` is the live version you read: a "
            "409 when someone published meanwhile."
        ),
        request=ModelPublishSerializer,
        responses={200: ModelPortfolioDetailSerializer},
        examples=[
            OpenApiExample(
                "Less small cap",
                value={**LINES_EXAMPLE, "version": 3, "summary": "Less small cap"},
                request_only=True,
            ),
        ],
    )
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str) -> Response:
        model = self.get_object()
        form = ModelPublishSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        models_service.publish_version(
            model=model, lines=form.model_lines(), summary=form.validated_data["summary"],
            actor=request.user, expected_version=form.validated_data["version"],
        )  # fmt: skip
        return self._answer(model.pk)


KINDS = [DriftSnapshot.Kind.HOUSEHOLD.value, DriftSnapshot.Kind.ACCOUNT.value]


@extend_schema_view(
    list=extend_schema(
        summary="List the latest drift snapshots",
        description=(
            "One snapshot per household (or per account, `kind=account`) from the latest drift "
            "run date, or from `as_of`. Status order: breached, incomplete, in band, no model."
        ),
        parameters=[
            params.choice_filter("kind", KINDS, "Household (default) or account snapshots."),
            params.date_filter("as_of", "The drift date (default: the latest)."),
            params.id_filter("household", "this household's snapshots"),
            params.id_filter("account", "this account's snapshots"),
            params.choice_filter("status", ["breached", "incomplete", "in_band", "no_model"],
                                 "Only this status."),
        ],
        examples=[OpenApiExample("A household's drift", value=SNAPSHOT_EXAMPLE,
                                 response_only=True)],
    ),
    retrieve=extend_schema(
        summary="Get a drift snapshot",
        examples=[OpenApiExample("A household's drift", value=SNAPSHOT_EXAMPLE,
                                 response_only=True)],
    ),
)  # fmt: skip
class DriftSnapshotViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, FirmViewSet):
    serializer_class = DriftSnapshotSerializer
    pagination_class = CursorPage
    lookup_value_regex = params.ID_PATTERN

    def _visible(self) -> QuerySet[DriftSnapshot]:
        return DriftSnapshot.objects.filter(household__in=households_for(self.request.membership))

    def get_queryset(self) -> QuerySet[DriftSnapshot]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator: no caller
            return DriftSnapshot.objects.none()
        if self.action != "list":
            return self._visible()
        kind = params.choice_param(self.request, "kind", KINDS) or KINDS[0]
        as_of = params.date_param(self.request, "as_of") or latest_as_of(kind)
        qs = self._visible().filter(kind=kind, as_of=as_of)
        for name in ("household", "account"):
            if (value := params.int_param(self.request, name)) is not None:
                qs = qs.filter(**{f"{name}_id": value})
        status = params.choice_param(
            self.request, "status", ["breached", "incomplete", "in_band", "no_model"]
        )
        return qs.filter(status=status) if status else qs

    @extend_schema(
        summary="A household's drift history",
        description="Every household snapshot of one household, newest first.",
        parameters=[
            params.OpenApiParameter(
                "household", int, required=True, description="The household."
            ),
            params.date_filter("date_from", "Snapshots on or after this day."),
            params.date_filter("date_to", "Snapshots on or before this day."),
        ],
        responses=DriftSnapshotSerializer(many=True),
        examples=[OpenApiExample("A household's drift", value=SNAPSHOT_EXAMPLE,
                                 response_only=True)],
    )  # fmt: skip
    @action(detail=False, methods=["get"])
    def history(self, request: Request) -> Response:
        household = params.int_param(request, "household")
        if household is None:
            raise ValidationError({"household": ["Name the household."]})
        qs = self._visible().filter(kind=DriftSnapshot.Kind.HOUSEHOLD, household_id=household)
        if (start := params.date_param(request, "date_from")) is not None:
            qs = qs.filter(as_of__gte=start)
        if (end := params.date_param(request, "date_to")) is not None:
            qs = qs.filter(as_of__lte=end)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
