"""The form that starts a model-change preview (on the model page and its own view)."""

from __future__ import annotations

from django import forms


class PreviewForm(forms.Form):
    mode = forms.ChoiceField(
        label="Trade",
        choices=[("to_target", "All the way to target"), ("to_band", "Back inside the bands")],
        initial="to_target",
    )
    cash_reserve_pct = forms.DecimalField(
        label="Cash reserve (%)", min_value=0, max_value=100, decimal_places=2, required=False
    )
    min_trade_value = forms.DecimalField(
        label="Minimum trade ($)", min_value=0, decimal_places=2, max_digits=14, required=False
    )
