"""The forms of the model pages: the model's name and the "what changed and why" summary,
and a formset of lines (asset class or security symbol, weight, bands, preferred security,
equivalents). Forms turn text into :class:`Line` values; the rules lines keep live in
:mod:`portfolios.model_versions.validation`, whose per-line errors go back on the rows."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from advisory.money import PERCENT
from portfolios.bands import DEFAULT_ABS_BAND, DEFAULT_REL_BAND
from portfolios.model_versions.lines import Line, Names, plain
from portfolios.models import AssetClass, Security


def _percent(label: str, **kwargs: Any) -> forms.DecimalField:
    """A weight or band in percent, as precise as the database keeps it. Text, not
    type=number: no locale surprises, and narrow screens keep their width."""
    return forms.DecimalField(
        label=label,
        min_value=0,
        max_digits=PERCENT["max_digits"],
        decimal_places=PERCENT["decimal_places"],
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        **kwargs,
    )


class ModelInfoForm(forms.Form):
    """Name and description (new models only) and the summary every save records."""

    name = forms.CharField(label="Name", max_length=120)
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    summary = forms.CharField(
        label="What changed and why",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept in the model's history and the audit trail.",
        error_messages={"required": "Say what changed and why: it goes into the history."},
    )

    def __init__(self, *args: Any, creating: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not creating:
            del self.fields["name"], self.fields["description"]
        else:
            self.fields["summary"].required = False
            self.fields["summary"].label = "Notes for version 1"


class LineForm(forms.Form):
    asset_class = forms.ModelChoiceField(
        label="Asset class", queryset=AssetClass.objects.all(), required=False
    )
    security = forms.CharField(label="or security", max_length=20, required=False)
    weight = _percent("Weight %", max_value=100)
    # Left empty, a band is the 5/25 default.
    abs_band = _percent("Band ± pts", initial=DEFAULT_ABS_BAND, required=False)
    rel_band = _percent("Band ± %", initial=DEFAULT_REL_BAND, required=False)
    preferred = forms.CharField(label="Preferred security", max_length=20, required=False)
    equivalents = forms.CharField(label="Equivalents", max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("security", "preferred", "equivalents"):
            self.fields[name].widget.attrs.update(autocomplete="off", spellcheck="false")
        self.fields["security"].widget.attrs["placeholder"] = "e.g. VOO"
        self.fields["equivalents"].widget.attrs["placeholder"] = "e.g. IVV, SPY"
        self.fields["weight"].widget.attrs["class"] = "model-weight model-total-input"

    def clean_security(self) -> Security | None:
        return _security(self.cleaned_data.get("security", ""))

    def clean_preferred(self) -> Security | None:
        return _security(self.cleaned_data.get("preferred", ""))

    def clean_equivalents(self) -> list[Security]:
        text = self.cleaned_data.get("equivalents", "")
        symbols = [s for s in (p.strip() for p in text.replace(";", ",").split(",")) if s]
        found = {
            s.symbol.upper(): s for s in Security.objects.filter(symbol__in=_variants(symbols))
        }
        missing = [s for s in symbols if s.upper() not in found]
        if missing:
            raise ValidationError(f"No security with the symbol {', '.join(missing)}.")
        return [found[s.upper()] for s in symbols]

    def to_line(self) -> Line:
        data = self.cleaned_data
        cls, sec, preferred = data.get("asset_class"), data.get("security"), data.get("preferred")
        return Line(
            asset_class_id=cls.pk if cls else None,
            security_id=sec.pk if sec else None,
            weight=data["weight"],
            abs_band=DEFAULT_ABS_BAND if data.get("abs_band") is None else data["abs_band"],
            rel_band=DEFAULT_REL_BAND if data.get("rel_band") is None else data["rel_band"],
            preferred_security_id=preferred.pk if preferred else None,
            equivalent_ids=tuple(s.pk for s in data.get("equivalents") or ()),
        )


def _variants(symbols: Iterable[str]) -> set[str]:
    return {v for s in symbols for v in (s, s.upper())}


def _security(symbol: str) -> Security | None:
    symbol = (symbol or "").strip()
    if not symbol:
        return None
    sec = Security.objects.filter(symbol__in=_variants([symbol])).first()
    if sec is None:
        raise ValidationError(f"No security with the symbol {symbol}.")
    return sec


class BaseLineFormSet(forms.BaseFormSet):
    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:  # removing a line changes the running total too
            form.fields["DELETE"].widget.attrs["class"] = "model-total-input"


LineFormSet = forms.formset_factory(
    LineForm, formset=BaseLineFormSet, extra=0, can_delete=True, max_num=60
)


def initial_rows(lines: Iterable[Line]) -> list[dict[str, Any]]:
    """Lines as the formset's initial rows (symbols, not ids)."""
    lines = list(lines)
    names = Names.for_lines(lines)
    return [
        {
            "asset_class": x.asset_class_id,
            "security": names.symbol(x.security_id),
            "weight": plain(x.weight),
            "abs_band": plain(x.abs_band),
            "rel_band": plain(x.rel_band),
            "preferred": names.symbol(x.preferred_security_id),
            "equivalents": ", ".join(names.symbol(s) for s in x.equivalent_ids),
        }
        for x in lines
    ]


def kept_forms(formset: Any) -> list[LineForm]:
    """The rows that count: not marked for removal, and not an added row left blank."""
    return [
        f
        for f in formset.forms
        if f.has_changed() or f in formset.initial_forms
        if not (f.is_bound and f.cleaned_data.get("DELETE"))
    ]


def running_total(formset: Any) -> Decimal | None:
    """The sum of the kept rows' weights as typed (None while one is not a number)."""
    total = Decimal(0)
    prefix = formset.prefix
    data = formset.data
    for i in range(len(formset.forms)):
        if data.get(f"{prefix}-{i}-DELETE"):
            continue
        raw = (data.get(f"{prefix}-{i}-weight") or "").strip()
        if not raw:
            continue
        try:
            total += Decimal(raw)
        except ArithmeticError:
            return None
    return total if total.is_finite() else None
