from django import forms
from django_scopes.forms import SafeModelChoiceField

from portfolios import queries as portfolio

from .models import ADVISING_ROLES, Account, Firm, Household, Membership


class HouseholdForm(forms.ModelForm):
    class Meta:
        model = Household
        fields = ["name", "primary_advisor", "model"]
        # Safe fields start empty; __init__ fills them from the scoped managers.
        field_classes = {"primary_advisor": SafeModelChoiceField, "model": SafeModelChoiceField}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Querysets go through the scoped managers: only this firm's rows.
        self.fields["primary_advisor"].queryset = Membership.objects.filter(
            role__in=ADVISING_ROLES, is_active=True
        ).select_related("user")
        self.fields["model"].queryset = portfolio.model_portfolios()


class AccountForm(forms.ModelForm):
    class Meta:
        model = Account
        fields = ["name", "model", "fractional_allowed", "held_away"]
        field_classes = {"model": SafeModelChoiceField}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["model"].queryset = portfolio.model_portfolios()


class FirmSettingsForm(forms.ModelForm):
    class Meta:
        model = Firm
        fields = [
            "name",
            "require_staff_mfa",
            "portal_shares_household",
            "portal_shows_cost_basis",
            "client_service_phone",
        ]
