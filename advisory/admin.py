from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest

from .admin_site import FirmInline, FirmModelAdmin
from .mfa.stepup import require_stepup
from .models import (
    ADVISING_ROLES,
    Account,
    AccountOwner,
    AuditEvent,
    Client,
    Household,
    HouseholdTeamMember,
    Membership,
    Role,
    User,
)

# These third-party admins list rows of every firm (and MFA secrets): a firm
# admin must never see them. Users manage their own emails and authenticators
# on their security page (and their sessions on the sessions page).
for _model in (Group, EmailAddress, Authenticator, UserSession):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


def _firm_users(*roles: str):
    """Users with a membership in the current firm (the scoped manager filters)."""
    members = Membership.objects.filter(role__in=roles, is_active=True).values("user")
    return User.objects.filter(pk__in=members)


class AdvisorChoicesMixin:
    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name in ("primary_advisor", "membership"):
            kwargs["queryset"] = Membership.objects.filter(
                role__in=ADVISING_ROLES, is_active=True
            ).select_related("user")
        if db_field.name == "user":
            kwargs["queryset"] = _firm_users(Role.CLIENT)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class TeamInline(AdvisorChoicesMixin, FirmInline):
    model = HouseholdTeamMember
    verbose_name = "team advisor"


@admin.register(Household)
class HouseholdAdmin(AdvisorChoicesMixin, FirmModelAdmin):
    list_display = ("name", "primary_advisor", "model")
    list_select_related = ("primary_advisor__user", "model")
    search_fields = ("name",)
    inlines = [TeamInline]


@admin.register(Client)
class ClientAdmin(AdvisorChoicesMixin, FirmModelAdmin):
    list_display = ("last_name", "first_name", "household", "email")
    list_select_related = ("household",)
    search_fields = ("last_name", "first_name", "email")


class OwnerFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        """The same client twice in one save would only fail in the database."""
        super().clean()
        clients = [
            form.cleaned_data["client"]
            for form in self.forms
            if form.cleaned_data.get("client") and not self._should_delete_form(form)
        ]
        if len(clients) != len(set(clients)):
            raise ValidationError("Each client can own an account once.")


class OwnerInline(FirmInline):
    """Who owns the account: clients of its household (AccountOwner.clean refuses others)."""

    model = AccountOwner
    formset = OwnerFormSet
    verbose_name = "owner"

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "client":
            kwargs["queryset"] = Client.objects.select_related("household")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Account)
class AccountAdmin(FirmModelAdmin):
    list_display = (
        "name",
        "household",
        "registration",
        "tax_status",
        "custodian",
        "masked_number",
        "model",
        "cash_balance",
        "held_away",
    )
    list_filter = ("registration", "tax_status", "custodian", "held_away")
    list_select_related = ("household", "model")
    search_fields = ("name", "household__name")
    inlines = [OwnerInline]


@admin.register(Membership)
class MembershipAdmin(FirmModelAdmin):
    """Roles can be changed here; people join a firm by invitation, not in the admin."""

    list_display = ("user", "role", "is_active")
    list_filter = ("role", "is_active")
    readonly_fields = ("user",)
    list_select_related = ("user",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        # Changing a role needs a fresh second factor; asked before the form, not after it
        # (and only for a membership of this firm: any other id stays a plain 404).
        ours = self.get_object(request, unquote(object_id)) is not None
        if (refusal := require_stepup(request, when=ours)) is not None:
            return refusal
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(AuditEvent)
class AuditEventAdmin(FirmModelAdmin):
    """The trail is read-only everywhere, here too."""

    list_display = ("seq", "created_at", "actor_label", "role", "action", "object_repr")
    list_filter = ("action", "role")
    search_fields = ("actor_label", "action", "object_repr", "object_id", "request_id")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [f.name for f in AuditEvent._meta.fields if f.name != "firm"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
