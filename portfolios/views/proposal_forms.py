"""The forms of the proposal pages: propose, decide, export, add a trade, filter the list."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from advisory.models import Account, Membership
from portfolios.models import ProposalMode, ProposalState, ProposedTrade, Security
from portfolios.proposals.order_files import FORMATS
from portfolios.rebalance.types import Options

S = ProposalState


class ProposeForm(forms.Form):
    mode = forms.ChoiceField(label="Mode", choices=ProposalMode.choices, initial="to_band")
    raise_amount = forms.DecimalField(
        label="Cash to raise ($)", min_value=0, decimal_places=2, max_digits=14, required=False
    )
    cash_reserve_pct = forms.DecimalField(
        label="Cash reserve (%)", min_value=0, max_value=100, decimal_places=2, required=False
    )
    min_trade_value = forms.DecimalField(
        label="Minimum trade ($)", min_value=0, decimal_places=2, max_digits=14, required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("mode") == "raise_cash" and not data.get("raise_amount"):
            self.add_error("raise_amount", "Say how much cash to raise.")
        return data

    def options(self, as_of: dt.date) -> Options:
        """The engine options of a valid form, priced at ``as_of``."""
        data = self.cleaned_data
        return Options(
            mode=data["mode"],
            as_of=as_of,
            raise_amount=data.get("raise_amount") or Decimal(0),
            cash_reserve_pct=data.get("cash_reserve_pct") or Decimal(0),
            min_trade_value=data.get("min_trade_value") or Decimal(0),
        )


class DecideForm(forms.Form):
    comment = forms.CharField(
        label="Comment", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    confirm = forms.BooleanField(
        label="I reviewed these trades",
        error_messages={"required": "Tick the box to confirm you reviewed the trades."},
    )


class ExportForm(forms.Form):
    custodian = forms.ChoiceField(
        label="Order file layout", choices=[(k, f.label) for k, f in FORMATS.items()]
    )


class AddTradeForm(forms.Form):
    """A trade the advisor adds by hand; the workflow checks it against the holdings."""

    prefix = "add"
    account = forms.TypedChoiceField(label="Account", coerce=int)
    side = forms.ChoiceField(label="Side", choices=ProposedTrade.Side.choices)
    symbol = forms.CharField(
        label="Symbol", max_length=20, widget=forms.TextInput(attrs={"list": "known-symbols"})
    )
    quantity = forms.CharField(
        label="Quantity", max_length=24, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )

    def __init__(self, *args: Any, accounts: list[Account], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [(a.pk, f"{a.name} {a.masked_number}") for a in accounts]

    def clean_symbol(self) -> Security:
        symbol = self.cleaned_data["symbol"].strip().upper()
        security = Security.objects.filter(symbol=symbol).first()
        if security is None:
            raise ValidationError(f"No security with the symbol {symbol}.")
        return security


class ListFilter(forms.Form):
    state = forms.ChoiceField(
        label="State", choices=[("", "Any state"), *S.choices], required=False
    )
    advisor = forms.ChoiceField(label="Advisor", required=False)

    def __init__(self, *args: Any, advisors: list[Membership], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["advisor"].choices = [("", "Any advisor")] + [
            (str(m.pk), str(m.user)) for m in advisors
        ]
