"""A URLconf for the core tests: the real API plus a small create endpoint (households, as an
advisor would add one) built only on the core's base classes, to exercise idempotent
creates and the error handler the way the other resources use them."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.urls import include, path
from rest_framework import mixins, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from advisory.api.base import FirmAPIView, FirmViewSet
from advisory.api.idempotency import IdempotentCreateMixin
from advisory.audit import record
from advisory.models import Household
from advisory.people.errors import Refused

CREATED: list[int] = []  # how many times the create really ran


class NewHouseholdSerializer(serializers.ModelSerializer):
    class Meta:
        model = Household
        fields = ["id", "name"]

    def validate_name(self, value: str) -> str:
        if value == "domain-error":
            raise Refused("A domain rule refused it.")
        return value


class NewHouseholdViewSet(IdempotentCreateMixin, mixins.CreateModelMixin, FirmViewSet):
    serializer_class = NewHouseholdSerializer

    def get_queryset(self) -> Any:
        return Household.objects.all()

    @transaction.atomic
    def perform_create(self, serializer: NewHouseholdSerializer) -> None:
        if serializer.validated_data["name"] == "django-error":  # as a model's clean() would
            raise DjangoValidationError({"name": ["Refused by the model layer."]})
        household = serializer.save(firm=self.request.firm, primary_advisor=self.request.membership)
        record(firm=self.request.firm, action="household.created", obj=household)
        CREATED.append(household.pk)


class WhoAmI(FirmAPIView):
    """What the base view gives a view: the firm, the membership and the token."""

    def get(self, request: Request) -> Response:
        token = request.api_token
        return Response(
            {
                "firm": request.firm.slug,
                "role": request.membership.role,
                "token": token.pk if token else None,
                "scoped_households": Household.objects.count(),  # needs the firm scope
            }
        )


router = SimpleRouter()
router.register("new-households", NewHouseholdViewSet, basename="test-new-household")

urlpatterns = [
    path("api/v1/", include(router.urls)),
    path("api/v1/whoami/", WhoAmI.as_view()),
    path("", include("config.urls")),
]
