from django import forms
from django_scopes.forms import SafeModelChoiceField, SafeModelMultipleChoiceField

from portfolios import queries as portfolio

from .models import ADVISING_ROLES, Account, Client, Firm, Household, Membership


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
        self.fields["model"].queryset = portfolio.model_portfolios(keep=self.instance.model_id)


class AccountForm(forms.ModelForm):
    # Account owners (issue 12): clients of the account's household, saved by
    # advisory.people.owners (not a model field, so never in save_audited's fields).
    owners = SafeModelMultipleChoiceField(
        queryset=Client.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Who owns this account: one client, or two or more for a joint account.",
        error_messages={
            "invalid_choice": "%(value)s is not a client of this account's household: an "
            "account's owners must be clients of its household."
        },
    )

    class Meta:
        model = Account
        fields = ["name", "model", "fractional_allowed", "held_away"]
        field_classes = {"model": SafeModelChoiceField}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["model"].queryset = portfolio.model_portfolios(keep=self.instance.model_id)
        owners = self.fields["owners"]
        owners.queryset = Client.objects.filter(household=self.instance.household_id)
        owners.initial = list(self.instance.ownerships.values_list("client_id", flat=True))
        # One or more owners, once the household has a client to name.
        owners.required = owners.queryset.exists()
        owners.error_messages["required"] = "Choose at least one owner."

    def account_fields_changed(self) -> list[str]:
        """The changed fields that are the account's own columns."""
        return [name for name in self.changed_data if name != "owners"]


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
