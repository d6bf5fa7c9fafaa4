"""Retiring a model portfolio (it then takes no new households) and returning it to use.
Only a model no household or account follows can be retired."""

from __future__ import annotations

from django.utils import timezone

from advisory import audit_actions as actions
from advisory.models import Account, Household, User
from portfolios.model_versions.steps import (
    ModelError,
    ModelInUse,
    audit,
    firm_of,
    in_firm,
    locked,
    writer,
)
from portfolios.models import ModelPortfolio


def followers(model: ModelPortfolio | int) -> tuple[int, int]:
    """How many households and accounts follow the model."""
    model_id = getattr(model, "pk", model)
    return (
        Household.objects.filter(model_id=model_id).count(),
        Account.objects.filter(model_id=model_id).count(),
    )


def retire_model(*, model: ModelPortfolio | int, actor: User) -> ModelPortfolio:
    """Retire a model no household or account follows (it then takes no new ones)."""
    firm_id = firm_of(model)
    with in_firm(firm_id):
        membership = writer(actor)
        current = locked(model)
        if current.retired_at is not None:
            raise ModelError(f"{current.name} is already retired.")
        households, accounts = followers(current)
        if households or accounts:
            raise ModelInUse(
                f"{current.name} cannot be retired: {_count(households, 'household')} and "
                f"{_count(accounts, 'account')} follow it. Move them to another model first."
            )
        current.retired_at = timezone.now()
        current.save(update_fields=["retired_at", "updated_at"])
        changes = {"retired_at": {"before": None, "after": current.retired_at.isoformat()}}
        audit(current, actions.MODEL_RETIRED, actor, membership, changes)
        return current


def unretire_model(*, model: ModelPortfolio | int, actor: User) -> ModelPortfolio:
    """Return a retired model to use."""
    firm_id = firm_of(model)
    with in_firm(firm_id):
        membership = writer(actor)
        current = locked(model)
        if current.retired_at is None:
            raise ModelError(f"{current.name} is not retired.")
        was = current.retired_at
        current.retired_at = None
        current.save(update_fields=["retired_at", "updated_at"])
        changes = {"retired_at": {"before": was.isoformat(), "after": None}}
        audit(current, actions.MODEL_UNRETIRED, actor, membership, changes)
        return current


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
