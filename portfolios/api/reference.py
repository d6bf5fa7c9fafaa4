"""Securities and prices: shared reference data, read by every staff role.

A firm sees the shared prices and its own manual prices only
(:func:`portfolios.valuation.visible_prices`). Writing prices goes through the Imports page's
code: a firm admin enters one manual close for the firm (``POST /prices/``); a platform
operator who is also a firm admin uploads a shared price file (``POST /prices/import/``).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from advisory.api.base import FirmViewSet
from advisory.api.idempotency import IdempotentCreateMixin
from advisory.api.pagination import CursorPage
from advisory.models import Role
from portfolios.api import params
from portfolios.api.serializers import (
    ManualPriceSerializer,
    PriceImportResultSerializer,
    PriceImportSerializer,
    PriceSerializer,
    SecuritySerializer,
)
from portfolios.imports.csv_rows import MAX_FILE_BYTES
from portfolios.imports.uploads import upload_problem
from portfolios.models import Price, Security
from portfolios.pricing import PRESETS, CsvPriceSource, enter_price
from portfolios.pricing.shared import import_shared_prices
from portfolios.valuation import visible_prices

SECURITY_EXAMPLE = {
    "id": 3, "symbol": "VOO", "name": "Vanguard S&P 500 ETF", "security_type": "etf",
    "asset_class": "us-large-cap",
}  # fmt: skip
PRICE_EXAMPLE = {
    "id": 41, "security": 3, "symbol": "VOO", "date": "2026-10-30", "close": "512.340000",
    "source": "feed",
}  # fmt: skip


@extend_schema_view(
    list=extend_schema(
        summary="List securities",
        description="Shared reference data, by symbol.",
        parameters=[
            params.OpenApiParameter("symbol", str, description="Exact symbol (any case)."),
            params.OpenApiParameter("asset_class", str, description="Asset class slug."),
        ],
        examples=[OpenApiExample("A security", value=SECURITY_EXAMPLE, response_only=True)],
    ),
    retrieve=extend_schema(
        summary="Get a security",
        examples=[OpenApiExample("A security", value=SECURITY_EXAMPLE, response_only=True)],
    ),
)
class SecurityViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, FirmViewSet):
    serializer_class = SecuritySerializer
    pagination_class = CursorPage
    lookup_value_regex = params.ID_PATTERN
    filter_backends = [OrderingFilter]
    ordering_fields = ["symbol", "id"]
    ordering = ("symbol",)

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # the schema generator: no caller
            return Security.objects.none()
        qs = Security.objects.select_related("asset_class")
        if (symbol := params.text_param(self.request, "symbol", 12)) is not None:
            qs = qs.filter(symbol=symbol.upper())
        if (slug := params.text_param(self.request, "asset_class", 60)) is not None:
            qs = qs.filter(asset_class__slug=slug)
        return qs


class ManualPriceCreator:
    """The create step behind ``IdempotentCreateMixin``: one manual close, as the page."""

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = ManualPriceSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        price = enter_price(
            data["symbol"], data["date"], data["close"],
            firm=request.firm, entered_by=request.user,
        )  # fmt: skip
        price = Price.objects.select_related("security").get(pk=price.pk)
        return Response(PriceSerializer(price).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="List prices",
        description="Closes the firm may use: shared prices and its own manual ones.",
        parameters=[
            params.OpenApiParameter("symbol", str, description="Exact symbol (any case)."),
            params.date_filter("date_from", "Closes on or after this day."),
            params.date_filter("date_to", "Closes on or before this day."),
        ],
        examples=[OpenApiExample("A close", value=PRICE_EXAMPLE, response_only=True)],
    ),
    retrieve=extend_schema(
        summary="Get a price",
        examples=[OpenApiExample("A close", value=PRICE_EXAMPLE, response_only=True)],
    ),
)
class PriceViewSet(
    IdempotentCreateMixin,
    ManualPriceCreator,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    FirmViewSet,
):
    serializer_class = PriceSerializer
    pagination_class = CursorPage
    lookup_value_regex = params.ID_PATTERN
    filter_backends = [OrderingFilter]
    ordering_fields = ["date", "id"]
    ordering = ("-date", "-id")
    write_roles = (Role.ADMIN,)

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # the schema generator: no caller
            return Price.objects.none()
        qs = Price.objects.filter(visible_prices(self.request.firm.pk)).select_related("security")
        if (symbol := params.text_param(self.request, "symbol", 12)) is not None:
            qs = qs.filter(security__symbol=symbol.upper())
        start = params.date_param(self.request, "date_from")
        end = params.date_param(self.request, "date_to")
        if start is not None:
            qs = qs.filter(date__gte=start)
        if end is not None:
            qs = qs.filter(date__lte=end)
        return qs

    @extend_schema(
        summary="Enter a manual price (firm admins)",
        description=(
            "One close for this firm only, as the Imports page's manual price: the same close "
            "again changes nothing; a different close for the day corrects it "
            "(`price.corrected`). Other firms keep the shared prices."
        ),
        request=ManualPriceSerializer,
        responses={201: PriceSerializer},
        examples=[
            OpenApiExample(
                "A manual close",
                value={"symbol": "VOO", "date": "2026-10-30", "close": "512.34"},
                request_only=True,
            ),
            OpenApiExample("The stored close", value=PRICE_EXAMPLE, response_only=True),
        ],
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().create(request, *args, **kwargs)  # through IdempotentCreateMixin

    @extend_schema(
        summary="Import a shared price file (platform operators)",
        description=(
            "A CSV price file (multipart field `file`) for every firm, as on the Imports page; "
            "only a platform operator who is an admin of the current firm may. Without "
            "`partial` one bad row means nothing is written; the answer lists every bad row."
        ),
        request={"multipart/form-data": PriceImportSerializer},
        responses={200: PriceImportResultSerializer},  # partial: ok false, the rest written
        examples=[
            OpenApiExample(
                "Written",
                value={
                    "ok": True,
                    "rows_read": 2,
                    "written": 2,
                    "already_present": 0,
                    "error_count": 0,
                    "errors": [],
                },
                response_only=True,
            ),
        ],
    )
    @action(
        detail=False, methods=["post"], url_path="import",
        parser_classes=[MultiPartParser, FormParser],
    )  # fmt: skip
    def import_file(self, request: Request) -> Response:
        if not request.user.is_staff:
            raise PermissionDenied("Shared prices are managed by the platform operator.")
        form = PriceImportSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        upload = form.validated_data["file"]
        if upload.size > MAX_FILE_BYTES or (
            problem := upload_problem(upload, upload.name, upload.size)
        ):
            raise ValidationError({"file": [problem or "The file is too large."]})
        try:
            source = CsvPriceSource(
                upload, name=form.validated_data["source"],
                mapping=PRESETS[form.validated_data["preset"]],
            )  # fmt: skip
        except ValueError as exc:
            raise ValidationError({"source": [str(exc)]}) from exc
        result = import_shared_prices(
            source, firm=request.firm, actor=request.user, file_name=upload.name,
            partial=form.validated_data["partial"],
        )  # fmt: skip
        if not result.ok and not result.written:  # refused: nothing was written
            raise ValidationError({"file": [str(e) for e in result.errors[:100]]})
        body = {
            "ok": result.ok, "rows_read": result.rows_read, "written": result.written,
            "already_present": result.skipped_existing, "error_count": result.error_count,
            "errors": [{"row": e.row, "column": e.column, "message": e.message}
                       for e in result.errors[:100]],
        }  # fmt: skip
        return Response(body)
