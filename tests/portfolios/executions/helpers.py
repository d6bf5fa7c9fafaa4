"""Shared steps of the execution tests: an exported proposal, a file, the books' state."""

from __future__ import annotations

from decimal import Decimal

from advisory.models import Account
from advisory.tenancy import firm_scope
from portfolios.executions.apply import record_execution
from portfolios.executions.parse import parse_file
from portfolios.models import Execution, Fill, Proposal, TaxLot
from portfolios.proposals import workflow
from portfolios.proposals.order_files import export_order_file
from tests.factories import fake_proposal, reload_proposal

HEADER = "account_number,symbol,side,quantity,price,trade_date,fill_id,net_amount"
DAY = "2025-12-31"  # the proposals' as-of date: inside the wash-sale window of the next one


def exported(desk) -> Proposal:
    """A fake-engine proposal taken through submit, approve and export (version 4)."""
    p = fake_proposal(desk)
    p = workflow.submit(proposal=p, actor=desk.w.advisor.user, expected_version=p.version)
    p = workflow.approve(proposal=p, approver=desk.w.admin.user, expected_version=p.version)
    export_order_file(proposal=p, actor=desk.w.advisor.user, expected_version=p.version)
    return reload_proposal(p)


def csv_file(*rows: str, header: str = HEADER) -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode()


def execute(desk, p: Proposal, content: bytes, actor=None) -> Execution:
    return record_execution(
        proposal=p,
        actor=actor or desk.w.advisor.user,
        expected_version=p.version,
        rows=parse_file(content),
        file_name="fills.csv",
        content=content,
    )


def books(desk) -> dict:
    """Everything an execution may change, to compare before and after a refusal."""
    with firm_scope(desk.firm):
        return {
            "lots": sorted(
                TaxLot.objects.values_list(
                    "pk", "account_id", "security__symbol", "quantity", "cost_basis", "acquired_on"
                )
            ),
            "cash": sorted(Account.objects.values_list("pk", "cash_balance")),
            "proposals": sorted(Proposal.objects.values_list("pk", "state", "version")),
            "executions": Execution.objects.count(),
            "fills": Fill.objects.count(),
        }


def cash(account) -> Decimal:
    with firm_scope(account.firm_id):
        return Account.objects.get(pk=account.pk).cash_balance
