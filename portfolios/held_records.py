"""What a household legal hold keeps of this app's records: events about its proposals."""

from __future__ import annotations

from collections.abc import Iterable

from advisory.retention.holds import HeldObjects

from .models import Proposal


def held_proposals(household_ids: frozenset[int]) -> Iterable[HeldObjects]:
    """Every proposal written for a held household (account-level ones name it too)."""
    ids = Proposal.objects.filter(household_id__in=household_ids).values_list("pk", flat=True)
    yield ("portfolios.proposal",), ids
