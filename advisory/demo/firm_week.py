"""A firm's week in the demo (issue 12): a model with two versions, restrictions, the four-eyes
proposals, an executed proposal, invited people, a saved column mapping and a price feed run;
and (issue 13) a webhook endpoint with sample deliveries and API tokens with published
secrets (like the demo password) for the README's examples; and (issue 14) a draft of the
Balanced model previewed across the firm.

The order matters: the model's second version and the restrictions come before the
proposals (so those are built on them and are not stale), the execution after them (it
executes the approved one). Every step is idempotent, so a second run creates nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from advisory.demo.api_tokens import seed_api_tokens
from advisory.demo.executions import seed_executed_proposal
from advisory.demo.model_previews import seed_model_preview
from advisory.demo.model_versions import seed_model_versions
from advisory.demo.people import seed_invited_people
from advisory.demo.price_feed import seed_column_mapping, seed_price_feed_run
from advisory.demo.proposals import seed_four_eyes_proposals
from advisory.demo.restrictions import seed_restrictions
from advisory.demo.webhooks import seed_webhooks
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
    webhook_deliveries: int = 0
    model_previews: int = 0
    api_tokens: list[tuple[str, str, str]] = field(default_factory=list)  # (email, scope, secret)

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
        week.webhook_deliveries += seed_webhooks(firm)
        week.api_tokens += seed_api_tokens(firm)
        week.model_previews += seed_model_preview(firm)
    return week
