"""Four eyes in the demo: per firm, one proposal below the firm's self-approval threshold,
approved by the advisor who wrote it, and one above it, submitted and waiting for a second
approver (the admin or another advisor, after a step-up).

The engine is run first as a preview to pick an account and a household on either side of
the threshold, so no stray draft is left; then both go through the real workflow, audited.
Idempotent: a firm that has any proposal gets none.
"""

from __future__ import annotations

from decimal import Decimal

from advisory.models import Account, Firm, Household, Membership, Role
from advisory.money import to_cents
from advisory.request_context import acting_as
from advisory.tenancy import firm_scope
from portfolios.models import Proposal
from portfolios.proposals import workflow
from portfolios.proposals.core import run_engine
from portfolios.proposals.inputs import ProposalInputError, build_input
from portfolios.rebalance.types import Options
from portfolios.valuation import pricing_date

# The demo firms' threshold (a firm admin changes it on the firm settings page).
DEMO_SELF_APPROVAL_BELOW = Decimal("25000.00")
# How many of the author's households to preview at most: keeps `make run` quick.
_CANDIDATES = 12

Target = tuple[Household, Account | None]


def seed_four_eyes_proposals(firm: Firm) -> int:
    """Create the two proposals if the firm has none; returns how many were created."""
    with firm_scope(firm):
        below = Firm.objects.get(pk=firm.pk).self_approval_below
        as_of = pricing_date(firm_id=firm.pk)
        author = (
            Membership.objects.filter(role=Role.ADVISOR, is_active=True)
            .select_related("user")
            .order_by("user__email")
            .first()
        )
        if Proposal.objects.exists() or below is None or as_of is None or author is None:
            return 0
        options = Options(mode="to_target", as_of=as_of)
        small, large = _pick(firm, author, options, below)
        created = 0
        with acting_as(actor=author.user, actor_label=author.user.email, role=author.role):
            if small is not None:
                proposal = _submitted(firm, small, options, author)
                workflow.approve(
                    proposal=proposal,
                    approver=author.user,
                    expected_version=proposal.version,
                    comment="Small rebalance: self-approved below the firm's threshold.",
                )
                created += 1
            if large is not None:
                _submitted(firm, large, options, author)
                created += 1
        return created


def _pick(
    firm: Firm, author: Membership, options: Options, below: Decimal
) -> tuple[Target | None, Target | None]:
    """An account whose trades stay below the threshold, a household's that do not."""
    small: Target | None = None
    large: Target | None = None
    households = Household.objects.filter(primary_advisor=author, model__isnull=False)
    for household in households.order_by("name")[:_CANDIDATES]:
        if large is None and below <= _trade_value(firm, household, None, options):
            large = (household, None)
            continue
        if small is None:
            for account in household.accounts.filter(held_away=False).order_by("pk"):
                if Decimal(0) < _trade_value(firm, household, account, options) < below:
                    small = (household, account)
                    break
        if small is not None and large is not None:
            break
    return small, large


def _trade_value(
    firm: Firm, household: Household, account: Account | None, options: Options
) -> Decimal:
    """What the proposal's trade value would be (as apply_result sums it); 0 when none."""
    try:
        data, _ = build_input(firm=firm.pk, household=household, account=account, options=options)
    except ProposalInputError:
        return Decimal(0)
    return sum((to_cents(t.value) for t in run_engine(None, data).trades), Decimal(0))


def _submitted(firm: Firm, target: Target, options: Options, author: Membership) -> Proposal:
    household, account = target
    proposal = workflow.create_proposal(
        firm=firm, household=household, account=account, options=options, author=author.user
    )
    return workflow.submit(proposal=proposal, actor=author.user, expected_version=proposal.version)
