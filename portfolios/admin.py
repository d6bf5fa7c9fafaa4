from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from advisory.admin_site import FirmInline, FirmModelAdmin, ReferenceDataAdmin
from portfolios.models import (
    AssetClass,
    ModelPortfolio,
    Price,
    Security,
    Target,
    TargetEquivalent,
    TaxLot,
)
from portfolios.valuation import visible_prices


@admin.register(AssetClass)
class AssetClassAdmin(ReferenceDataAdmin):
    list_display = ("name", "parent", "sort_order")


@admin.register(Security)
class SecurityAdmin(ReferenceDataAdmin):
    list_display = ("symbol", "name", "security_type", "asset_class")
    list_filter = ("security_type", "asset_class")
    search_fields = ("symbol", "name")


@admin.register(Price)
class PriceAdmin(ReferenceDataAdmin):
    list_display = ("security", "date", "close", "source")
    list_filter = ("source",)
    search_fields = ("security__symbol",)
    date_hierarchy = "date"
    list_select_related = ("security",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Price]:
        """Shared prices and this firm's own manual prices, never another firm's."""
        firm = getattr(request, "firm", None)
        return super().get_queryset(request).filter(visible_prices(firm.pk if firm else None))


class ReadOnlyModelParts:
    """Models change only through the model pages, which keep a version of every change
    (portfolios.model_versions); the admin shows them and links there, never edits them."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TargetInline(ReadOnlyModelParts, FirmInline):
    model = Target
    fields = ("asset_class", "security", "weight", "abs_band", "rel_band", "preferred_security")


@admin.register(ModelPortfolio)
class ModelPortfolioAdmin(ReadOnlyModelParts, FirmModelAdmin):
    list_display = ("name", "version", "retired_at", "model_page")
    fields = ("model_page", "name", "description", "version", "retired_at")
    readonly_fields = ("model_page",)
    inlines = [TargetInline]

    @admin.display(description="Edit")
    def model_page(self, obj: ModelPortfolio) -> str:
        url = reverse("model_detail", args=[obj.pk])
        return format_html('<a href="{}">Edit on the model page (versions kept)</a>', url)


@admin.register(TargetEquivalent)
class TargetEquivalentAdmin(ReadOnlyModelParts, FirmModelAdmin):
    list_display = ("target", "security")
    list_select_related = ("target__model", "target__asset_class", "security")


@admin.register(TaxLot)
class TaxLotAdmin(FirmModelAdmin):
    list_display = ("account", "security", "quantity", "cost_basis", "acquired_on")
    list_select_related = ("account", "security")
    search_fields = ("account__name", "security__symbol")

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).select_related("account", "security")
