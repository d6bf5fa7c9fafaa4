"""What the advisory resources show: plain fields, money as strings, related rows by id (with a
label where a person needs one). Account numbers are masked, as on every page but order files.
The views load every related row these read with ``select_related``/``prefetch_related``, so a
page costs the same number of queries at 5 rows as at 200."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from advisory.models import Account, AuditEvent, Client, Firm, Household, Membership


class FirmSerializer(serializers.ModelSerializer):
    class Meta:
        model = Firm
        fields = [
            "id", "name", "slug", "require_staff_mfa", "self_approval_below",
            "portal_shares_household", "portal_shows_cost_basis", "client_service_phone",
            "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class PersonSerializer(serializers.ModelSerializer):
    """A staff member named on a record: their membership id, name and e-mail."""

    name = serializers.CharField(source="user.full_name", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "name", "email", "role"]
        read_only_fields = fields


class HouseholdSerializer(serializers.ModelSerializer):
    primary_advisor = PersonSerializer(read_only=True)
    model = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Household
        fields = ["id", "name", "primary_advisor", "model", "created_at", "updated_at"]
        read_only_fields = fields


class ClientSerializer(serializers.ModelSerializer):
    household = serializers.PrimaryKeyRelatedField(read_only=True)
    # Empty when the firm has no address for the client: a plain string, not format "email".
    email = serializers.CharField(read_only=True, help_text="Empty when not on file.")
    has_portal_login = serializers.SerializerMethodField()

    class Meta:
        model = Client
        fields = ["id", "household", "first_name", "last_name", "email", "has_portal_login"]
        read_only_fields = fields

    def get_has_portal_login(self, client: Client) -> bool:
        return client.user_id is not None


class OwnerSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = Client
        fields = ["id", "name"]
        read_only_fields = fields

    def get_name(self, client: Client) -> str:
        return str(client)


class AccountSerializer(serializers.ModelSerializer):
    household = serializers.PrimaryKeyRelatedField(read_only=True)
    household_name = serializers.CharField(source="household.name", read_only=True)
    model = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    account_number = serializers.CharField(source="masked_number", read_only=True)
    owners = serializers.SerializerMethodField()

    class Meta:
        model = Account
        fields = [
            "id", "household", "household_name", "name", "registration", "tax_status",
            "custodian", "account_number", "model", "cash_balance", "fractional_allowed",
            "held_away", "owners", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(OwnerSerializer(many=True))
    def get_owners(self, account: Account) -> list[dict[str, Any]]:
        # ``ownerships`` is prefetched with its clients (one query per page).
        clients = [o.client for o in account.ownerships.all()]
        clients.sort(key=lambda c: (c.last_name, c.first_name, c.pk))
        return OwnerSerializer(clients, many=True).data


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.IntegerField(source="actor_id", read_only=True, allow_null=True)
    api_token = serializers.IntegerField(source="api_token_id", read_only=True, allow_null=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id", "seq", "created_at", "actor", "actor_label", "role", "action",
            "object_type", "object_id", "object_repr", "changes", "ip", "user_agent",
            "request_id", "api_token", "prev_hash", "hash", "key_id",
        ]  # fmt: skip
        read_only_fields = fields
