from decimal import Decimal
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest

from advisory.admin_site import FirmInline, FirmModelAdmin, ReferenceDataAdmin
from portfolios.models import (
    AssetClass,
    ModelPortfolio,
    Price,
    Security,
    Target,
    TargetEquivalent,
    TaxLot,
    validate_target_weights,
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


class TargetFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        weights: list[Decimal] = []
        for form in self.forms:
            if not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            weights.append(form.cleaned_data.get("weight") or Decimal("0"))
        validate_target_weights(weights)


class TargetInline(FirmInline):
    model = Target
    formset = TargetFormSet
    fields = ("asset_class", "security", "weight", "abs_band", "rel_band", "preferred_security")
    extra = 1


@admin.register(ModelPortfolio)
class ModelPortfolioAdmin(FirmModelAdmin):
    list_display = ("name", "description")
    inlines = [TargetInline]


@admin.register(TargetEquivalent)
class TargetEquivalentAdmin(FirmModelAdmin):
    list_display = ("target", "security")
    list_select_related = ("target__model", "target__asset_class", "security")


@admin.register(TaxLot)
class TaxLotAdmin(FirmModelAdmin):
    list_display = ("account", "security", "quantity", "cost_basis", "acquired_on")
    list_select_related = ("account", "security")
    search_fields = ("account__name", "security__symbol")

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).select_related("account", "security")
