"""Steps every model write shares: the firm scope and transaction, who may write, the row
lock, the audit event, and the errors the service raises."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from advisory import audit_actions as actions
from advisory.audit import record
from advisory.models import Membership, User
from advisory.tenancy import active_firm_id, firm_scope
from portfolios.models import ModelPortfolio


class ModelError(Exception):
    """The model cannot do what was asked; the message says why."""


class ModelConflict(ModelError):
    def __init__(self, message: str = "Someone else changed this model meanwhile; reload it."):
        super().__init__(message)


class ModelInUse(ModelError):
    """A model that households or accounts follow cannot be retired."""


@contextmanager
def in_firm(firm_id: int) -> Iterator[None]:
    """The firm's scope (the active one, if any: another firm's model is then not found)
    and one transaction."""
    active = active_firm_id()
    with firm_scope(active if active is not None else firm_id), transaction.atomic():
        yield


def writer(actor: User) -> Membership:
    membership = Membership.objects.filter(user=actor, is_active=True).first()
    if not getattr(actor, "is_active", False) or membership is None or not membership.can_write:
        raise PermissionDenied("Only the firm's admins and advisors can change model portfolios.")
    return membership


def locked(model: ModelPortfolio | int) -> ModelPortfolio:
    """The model's row, locked until commit: edits of one model run one after another."""
    return ModelPortfolio.objects.select_for_update().get(pk=getattr(model, "pk", model))


def audit(
    model: ModelPortfolio,
    action: actions.ActionType,
    actor: User,
    membership: Membership,
    changes: dict[str, Any],
) -> None:
    record(
        firm=model.firm_id,
        action=action,
        obj=model,
        changes=changes,
        actor=actor,
        actor_label=getattr(actor, "email", str(actor)),
        role=membership.role,
    )


def firm_of(model: ModelPortfolio | int) -> int:
    if isinstance(model, ModelPortfolio):
        return model.firm_id
    active = active_firm_id()
    if active is None:
        raise ModelError("Pass the model itself, or call this inside the firm's scope.")
    return active
