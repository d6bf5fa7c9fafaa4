"""A retired model takes no new followers: the household and account forms leave it out,
except where it is already the one chosen."""

from __future__ import annotations

from django.utils import timezone

from advisory.forms import AccountForm, HouseholdForm
from advisory.tenancy import firm_scope
from portfolios.models import ModelPortfolio


def test_retired_models_are_offered_only_where_already_chosen(world_a):
    with firm_scope(world_a.firm):
        spare = ModelPortfolio.objects.create(firm=world_a.firm, name="Spare")
        ModelPortfolio.objects.filter(pk=spare.pk).update(retired_at=timezone.now())
        offered = set(HouseholdForm(instance=world_a.household).fields["model"].queryset)
        assert world_a.model in offered
        assert spare not in offered
        assert spare not in set(AccountForm(instance=world_a.account).fields["model"].queryset)
        # The model in use stays selectable after it is retired: saving the form keeps it.
        ModelPortfolio.objects.filter(pk=world_a.model.pk).update(retired_at=timezone.now())
        assert world_a.model in set(
            HouseholdForm(instance=world_a.household).fields["model"].queryset
        )
