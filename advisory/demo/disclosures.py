"""The demo's disclosures: the four a household report requires, each with version 1
written by the firm admin and approved by the compliance officer (through the workflow,
so every step is audited like a real one). Idempotent: only what is missing is created."""

from __future__ import annotations

from collections import Counter

from reports import disclosures as workflow
from reports.models import Disclosure

from ..models import Firm, Membership, Role

# (key, title, text): plain English, the way a client reads it.
DISCLOSURES: tuple[tuple[str, str, str], ...] = (
    (
        "not-advice",
        "Not investment advice",
        "This report is for general and educational purposes only and is not investment "
        "advice, an offer or a solicitation to buy or sell any security. Your advisor's "
        "recommendations are made to you personally, taking into account your goals, your "
        "circumstances and your tolerance for risk. Please talk to your advisor before acting "
        "on anything in this report.",
    ),
    (
        "methodology",
        "How we measure your mix",
        "Your holdings are valued at the most recent closing price we hold for each security, "
        "taken from the price source named next to it. A price older than a few business days "
        "is marked as stale, and a holding without a usable price is left out of the totals "
        "and named.\n\n"
        "We compare the share of each asset class in your accounts with the target of the "
        "model your advisor chose for you. The gap between the two is called drift. A class "
        "is reviewed when it is more than 5 percentage points, or more than 25% of its own "
        "target, away from that target, whichever is smaller. Drift is a prompt for a "
        "conversation with your advisor, not an automatic instruction to trade.",
    ),
    (
        "asset-class-risks",
        "Risks of the asset classes you hold",
        "Every investment can lose value. Stocks of large companies rise and fall with the "
        "market. Stocks of small companies (small caps) tend to move more sharply than those "
        "of large companies and are more sensitive to the state of the economy and to changes "
        "in interest rates. International stocks add the risk of currency moves and of "
        "events abroad. Bonds lose value when interest rates rise and carry the risk that an "
        "issuer does not pay. Cash is stable but may not keep up with inflation.",
    ),
    (
        "past-performance",
        "Past performance",
        "Past performance does not guarantee future results. The value of your investments "
        "and the income from them can go down as well as up, and you may get back less than "
        "you invested.",
    ),
)


def ensure_disclosures(firm: Firm, members: dict[str, Membership], created: Counter[str]) -> None:
    """Create the firm's missing demo disclosures, version 1 approved by compliance."""
    author = next(m.user for m in members.values() if m.role == Role.ADMIN)
    approver = next(m.user for m in members.values() if m.role == Role.COMPLIANCE)
    for key, title, text in DISCLOSURES:
        disclosure = Disclosure.objects.filter(key=key).first()
        if disclosure is None:
            disclosure = workflow.create_disclosure(firm=firm, key=key, title=title, author=author)
            created["disclosures"] += 1
        latest = workflow.latest_version(disclosure)
        if latest is None:
            latest = workflow.propose_version(disclosure=disclosure, text=text, author=author)
            created["disclosure_versions"] += 1
        if workflow.current_approved(disclosure) is None and latest.author_id != approver.pk:
            workflow.approve_version(version=latest, approver=approver)
            created["disclosure_approvals"] += 1
