"""Firm-scoped base views of the API: the same membership, scope, roles and audit actor as a page.

After authentication, :class:`FirmScoped` finds the caller's active membership (a token: its
user's membership in the token's firm; a session: the one ``FirmScopeMiddleware`` resolved),
enters that firm's scope for the rest of the request, and sets the audit actor (with
``api_token_id`` for a token, so every event the request writes names it). Then it enforces
``read_roles`` / ``write_roles``: staff read and the advising roles write by default,
compliance never writes, clients only where a view lists them, and a read-only token never
uses an unsafe method. Querysets go through the scoped managers and the access helpers, so
another firm's id (or a household outside an advisor's book) is a 404, as on the pages.

Views get ``request.firm``, ``request.membership`` and ``request.api_token`` (None for a
session).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import ExitStack
from typing import Any

from django.http import HttpRequest, HttpResponseBase
from rest_framework import exceptions, permissions, viewsets
from rest_framework.request import Request
from rest_framework.views import APIView

from advisory.middleware import client_ip
from advisory.models import ADVISING_ROLES, STAFF_ROLES, ApiToken, Membership, Role, TokenScope
from advisory.request_context import acting_as, current_actor
from advisory.tenancy import firm_scope

from .authentication import touch_last_used

SAFE_METHODS = permissions.SAFE_METHODS


def token_membership(token: ApiToken) -> Membership | None:
    """The token user's active membership in the token's firm (read inside its scope)."""
    with firm_scope(token.firm):
        return (
            Membership.objects.select_related("firm", "user")
            .filter(user=token.user_id, is_active=True)
            .first()
        )


class RolePermission(permissions.BasePermission):
    """``read_roles`` for safe methods, ``write_roles`` (and a writing role and a read-write
    token) for the others."""

    message = "Your role cannot do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        membership: Membership | None = getattr(request, "membership", None)
        if membership is None:
            raise exceptions.PermissionDenied("You are not a member of any firm.")
        if request.method in SAFE_METHODS:
            if membership.role not in view.read_roles:
                raise exceptions.PermissionDenied("Your role cannot read this resource.")
            return True
        token: ApiToken | None = getattr(request, "api_token", None)
        if token is not None and token.scope != TokenScope.WRITE:
            raise exceptions.PermissionDenied("This token is read-only.")
        if membership.role not in view.write_roles or not membership.can_write:
            raise exceptions.PermissionDenied("Your role is read-only here.")
        return True


class FirmScoped:
    """The mixin behind :class:`FirmViewSet` and :class:`FirmAPIView`."""

    #: Roles that may use safe methods. Clients are never in it unless a view adds them.
    read_roles: Iterable[str] = STAFF_ROLES
    #: Roles that may use unsafe methods (compliance and clients can never write anyway).
    write_roles: Iterable[str] = ADVISING_ROLES

    permission_classes = [permissions.IsAuthenticated, RolePermission]
    # Ids are positive bigints: anything else never reaches the database (a JSON 404).
    lookup_value_regex = "[0-9]{1,18}"
    _scope_stack: ExitStack

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # The scope and actor entered after authentication last until the response is made.
        with ExitStack() as stack:
            self._scope_stack = stack
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    def perform_authentication(self, request: Request) -> None:
        user = request.user  # authenticates (a bad token raises here: 401)
        token = request.auth if isinstance(request.auth, ApiToken) else None
        request.api_token = token
        request.firm = None
        request.membership = None
        if not user or not user.is_authenticated:
            return
        if token is not None:
            membership = token_membership(token)
            if membership is None:
                raise exceptions.AuthenticationFailed("This token's user is no longer a member.")
        else:
            membership = getattr(request._request, "membership", None)
            if membership is None:
                return  # RolePermission answers 403
        request.firm = membership.firm
        request.membership = membership
        request._request.firm = membership.firm
        request._request.membership = membership
        ctx = current_actor()
        self._scope_stack.enter_context(firm_scope(membership.firm))
        self._scope_stack.enter_context(
            acting_as(
                actor=user,
                actor_label=user.email,
                role=membership.role,
                ip=ctx.ip or client_ip(request._request),
                request_id=ctx.request_id or getattr(request._request, "request_id", ""),
                api_token_id=token.pk if token else None,
            )
        )
        if token is not None:
            touch_last_used(token)

    @property
    def is_client(self) -> bool:
        membership = getattr(self.request, "membership", None)  # type: ignore[attr-defined]
        return membership is not None and membership.role == Role.CLIENT


class FirmViewSet(FirmScoped, viewsets.GenericViewSet):
    """A viewset over one firm's rows. Subclasses build ``get_queryset`` from the scoped
    managers or the access helpers (``households_for(request.membership)``)."""


class FirmAPIView(FirmScoped, APIView):
    """A single-purpose endpoint inside the caller's firm scope."""
