"""Forms of the people, invitation and operator pages. They validate input only; the
actions in this package write (and refuse what the forms cannot see, such as the last admin)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.password_validation import validate_password
from django_scopes.forms import SafeModelChoiceField

from ..models import STAFF_ROLES, Client, Role, User
from .invitations import invitable_clients


class InviteForm(forms.Form):
    email = forms.EmailField(
        label="E-mail address",
        required=False,
        help_text="For a client, leave empty to use the address on their client record.",
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.ADVISOR)
    client = SafeModelChoiceField(
        queryset=Client.objects.none(),
        required=False,
        label="Client record",
        empty_label="— for a client invitation —",
        help_text="Clients who cannot sign in yet. Accepting links the login to this record.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Scoped manager: only this firm's clients (the view runs in the firm scope).
        field = self.fields["client"]
        assert isinstance(field, SafeModelChoiceField)
        field.queryset = invitable_clients()
        field.label_from_instance = lambda c: f"{c} ({c.household.name})"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        role, client = data.get("role"), data.get("client")
        if role == Role.CLIENT and client is None:
            self.add_error("client", "Choose the client record this login is for.")
        elif role and role != Role.CLIENT and client is not None:
            self.add_error("client", "Only a client invitation names a client record.")
        if not data.get("email") and client is not None and client.email:
            data["email"] = client.email
        if not data.get("email") and "email" not in self.errors:
            self.add_error("email", "Enter the address to send the invitation to.")
        return data


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=[(r.value, r.label) for r in STAFF_ROLES])


class AcceptForm(forms.Form):
    """A new login for the invited address: a name and a password the project's validators
    accept (length and a blocklist, NIST SP 800-63B)."""

    full_name = forms.CharField(label="Your full name", max_length=150)
    password1 = forms.CharField(
        label="Choose a password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="The same password again",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ.")
        elif first:
            probe = User(email=self.email, full_name=data.get("full_name", ""))
            try:
                validate_password(first, user=probe)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class FirmForm(forms.Form):
    slug = forms.CharField(
        max_length=60, help_text="Lower-case letters, digits and hyphens: e.g. acme-wealth."
    )
    name = forms.CharField(max_length=200)
    admin_email = forms.EmailField(
        label="First admin's e-mail",
        required=False,
        help_text="They get an invitation to join as the firm's admin.",
    )
