"""Tenancy by construction: no scope, no firm data."""

from __future__ import annotations

import pytest
from django.apps import apps
from django_scopes import ScopeError

from advisory.models import Household
from advisory.tenancy import FirmOwned, firm_owned_models, firm_scope

# Models that belong to no firm, on purpose: the tenant itself, people (who
# may belong to several firms through memberships) and shared market data.
SHARED = {
    "advisory.firm",
    "advisory.user",
    "portfolios.assetclass",
    "portfolios.security",
    "portfolios.price",
    # The platform's price feed runs: files and symbols, never a firm's holdings as such
    # (pages show a firm only the missing symbols it holds: portfolios/pricing/feed_status.py).
    "portfolios.pricefeedrun",
}
OUR_APPS = {"advisory", "portfolios", "reports"}

QUERIES = {
    "all": lambda m: list(m.objects.all()),
    "filter": lambda m: list(m.objects.filter(pk=1)),
    "get": lambda m: m.objects.get(pk=1),
    "count": lambda m: m.objects.count(),
    "exists": lambda m: m.objects.all().exists(),
    "values": lambda m: list(m.objects.values("pk")),
    "first": lambda m: m.objects.first(),
}


def test_every_model_of_ours_is_firm_owned_or_declared_shared():
    ours = [m for m in apps.get_models() if m._meta.app_label in OUR_APPS]
    undeclared = [
        m._meta.label_lower
        for m in ours
        if not issubclass(m, FirmOwned) and m._meta.label_lower not in SHARED
    ]
    assert undeclared == []
    assert len(firm_owned_models()) >= 10


def test_every_firm_owned_model_has_a_non_null_firm():
    for model in firm_owned_models():
        field = model._meta.get_field("firm")
        assert field.null is False, model
        assert field.related_model._meta.label_lower == "advisory.firm"


@pytest.mark.django_db
@pytest.mark.parametrize("query", sorted(QUERIES))
def test_querying_any_firm_owned_model_without_a_scope_raises(query):
    for model in firm_owned_models():
        with pytest.raises(ScopeError):
            QUERIES[query](model)


def test_related_managers_are_scoped_too(world_a):
    household = world_a.household
    with pytest.raises(ScopeError):
        list(household.accounts.all())


def test_a_scope_shows_only_its_firm(world_a, world_b):
    with firm_scope(world_a.firm):
        names = set(Household.objects.values_list("name", flat=True))
    assert names == {"Alpha Household", "Alpha Other Household", "Alpha Team Household"}
    with firm_scope(world_b.firm):
        assert not Household.objects.filter(pk=world_a.household.pk).exists()


def test_firm_scope_refuses_none():
    with pytest.raises(ValueError, match="needs a firm"), firm_scope(None):
        pass
