"""An executed proposal in the demo: the firm's approved proposal is exported, and the
custodian's execution file comes back with every trade filled at the proposed price except
the last buy, one share short (a partial fill). Recording it moves lots and cash, so the
next drift run and the household's next proposal see the trades.

Call after :func:`advisory.demo.proposals.seed_four_eyes_proposals` (it makes the approved
proposal). Idempotent: a firm with any execution gets none.
"""

from __future__ import annotations

from decimal import Decimal

from advisory.models import Firm, Membership
from advisory.request_context import acting_as
from advisory.tenancy import firm_scope
from portfolios.executions.apply import record_execution
from portfolios.executions.parse import parse_file, render_cells
from portfolios.models import Execution, Proposal, ProposalState
from portfolios.proposals.arithmetic import plain
from portfolios.proposals.order_files import export_order_file


def seed_executed_proposal(firm: Firm) -> Execution | None:
    """Export the firm's approved proposal and record its execution; None if nothing to do."""
    with firm_scope(firm):
        if Execution.objects.exists():
            return None
        proposal = (
            Proposal.objects.filter(state=ProposalState.APPROVED)
            .select_related("author")
            .order_by("pk")
            .first()
        )
        if proposal is None:
            return None
        author = proposal.author
        role = Membership.objects.filter(user=author).values_list("role", flat=True).first()
        with acting_as(actor=author, actor_label=author.email, role=role):
            export_order_file(proposal=proposal, actor=author, expected_version=proposal.version)
            proposal.refresh_from_db()
            content = render_cells(_fills(proposal))
            return record_execution(
                proposal=proposal,
                actor=author,
                expected_version=proposal.version,
                rows=parse_file(content),
                file_name=f"demo-executions-{proposal.pk}.csv",
                content=content,
            )


def _fills(proposal: Proposal) -> list[dict[str, str]]:
    trades = list(proposal.trades.select_related("account", "security").order_by("position"))
    last_buy = max((t.pk for t in trades if t.side == "buy" and t.quantity > 1), default=None)
    return [
        {
            "account_number": t.account.account_number,
            "symbol": t.security.symbol,
            "side": t.side,
            "quantity": plain(t.quantity - Decimal(1) if t.pk == last_buy else t.quantity) or "",
            "price": plain(t.price) or "",
            "trade_date": proposal.as_of.isoformat(),
            "fill_id": f"DEMO-{proposal.pk}-{n}",
            "amount": "",
        }
        for n, t in enumerate(trades, start=1)
    ]
