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
    # Shown on the page in these groups, in this order.
    SECTIONS = {
        "Firm": ("name", "client_service_phone"),
        "Approvals": ("self_approval_below",),
        "Security": ("require_staff_mfa", "mfa_grace_days"),
        "Client portal": ("portal_shares_household", "portal_shows_cost_basis"),
    }

    class Meta:
        model = Firm
        fields = [
            "name",
            "client_service_phone",
            "self_approval_below",
            "require_staff_mfa",
            "mfa_grace_days",
            "portal_shares_household",
            "portal_shows_cost_basis",
        ]

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(title, [self[name] for name in names]) for title, names in self.SECTIONS.items()]
