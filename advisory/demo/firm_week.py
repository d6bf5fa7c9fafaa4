"""A firm's week in the demo (issue 12): a model with two versions, restrictions, the four-eyes
proposals, an executed proposal, invited people, a saved column mapping and a price feed run.

The order matters: the model's second version and the restrictions come before the
proposals (so those are built on them and are not stale), the execution after them (it
executes the approved one). Every step is idempotent, so a second run creates nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from advisory.demo.executions import seed_executed_proposal
from advisory.demo.model_versions import seed_model_versions
from advisory.demo.people import seed_invited_people
from advisory.demo.price_feed import seed_column_mapping, seed_price_feed_run
from advisory.demo.proposals import seed_four_eyes_proposals
from advisory.demo.restrictions import seed_restrictions
from advisory.models import Firm


@dataclass
class FirmWeek:
    price_feed_runs: int = 0
    model_versions: int = 0
    restrictions: int = 0
    proposals: int = 0
    executions: int = 0
    invitations: int = 0
    column_mappings: int = 0

    @property
    def created_anything(self) -> bool:
        return any(vars(self).values())


def seed_firm_week() -> FirmWeek:
    week = FirmWeek(price_feed_runs=int(seed_price_feed_run() is not None))
    for firm in Firm.objects.order_by("pk"):
        week.model_versions += seed_model_versions(firm)
        week.restrictions += seed_restrictions(firm)
        week.proposals += seed_four_eyes_proposals(firm)
        week.executions += int(seed_executed_proposal(firm) is not None)
        week.invitations += seed_invited_people(firm)
        week.column_mappings += seed_column_mapping(firm)
    return week
