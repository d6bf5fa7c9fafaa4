"""Applying execution files: lots, cash, the proposal's state and the audit trail, exactly;
every refusal leaves the books as they were."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django_scopes import scopes_disabled

from advisory.audit import verify_chain
from advisory.models import AuditEvent
from advisory.tenancy import firm_scope
from portfolios.executions.apply import ExecutionRefused, record_execution
from portfolios.executions.parse import ExecutionFileError, parse_file
from portfolios.models import Execution, Fill, TaxLot
from portfolios.proposals import workflow
from portfolios.proposals.workflow import ProposalConflict, ProposalStateError
from tests.factories import fake_proposal, proposal_events, reload_proposal, trades_of
from tests.portfolios.executions.helpers import DAY, books, cash, csv_file, execute, exported

A = "ALPHA-1001"


def lots_of(desk, symbol):
    with firm_scope(desk.firm):
        return list(
            TaxLot.objects.filter(security__symbol=symbol)
            .order_by("acquired_on", "pk")
            .values_list("quantity", "cost_basis", "acquired_on")
        )


def test_a_full_fill_moves_lots_and_cash_exactly_and_marks_it_executed(desk):
    p = exported(desk)
    content = csv_file(
        f"{A},VOO,sell,2,512.34,{DAY},F-1,",
        f"{A},IWM,buy,8,250,{DAY},F-2,2001.00",  # a 1.00 commission in the net amount
    )
    execution = execute(desk, p, content)
    assert lots_of(desk, "VOO") == [(Decimal("8"), Decimal("3200.00"), dt.date(2024, 3, 1))]
    assert lots_of(desk, "IWM") == [(Decimal("8"), Decimal("2001.00"), dt.date(2025, 12, 31))]
    assert cash(desk.w.account) == Decimal("1000.00") + Decimal("1024.68") - Decimal("2001.00")
    p = reload_proposal(p)
    assert (p.state, p.version) == ("executed", 5) and p.executed_at is not None
    sell, buy = trades_of(p)
    with firm_scope(desk.firm):
        fills = {f.side: f for f in Fill.objects.filter(execution=execution)}
        assert fills["sell"].trade_id == sell.pk and fills["buy"].trade_id == buy.pk
        assert fills["sell"].lots == [
            {"lot": desk.w.lot.pk, "quantity": "2", "cost_basis": "800.00", "gain": "224.68",
             "acquired_on": "2024-03-01"}
        ]  # fmt: skip
        assert fills["buy"].created_lot.cost_basis == Decimal("2001.00")
        assert (fills["sell"].amount, fills["buy"].amount) == (Decimal("1024.68"), Decimal("2001"))
    assert execution.summary["counts"] == {
        "fills": 2, "unmatched": 0, "filled": 2, "partial": 0, "not_done": 0, "over": 0
    }  # fmt: skip
    assert execution.file_sha256 == hashlib.sha256(content).hexdigest()
    executed = proposal_events(p, "proposal.executed")[0]
    assert executed.changes["execution"] == execution.pk
    assert executed.changes["state"] == {"before": "exported", "after": "executed"}
    with firm_scope(desk.firm):
        [recorded] = AuditEvent.objects.filter(action="execution.recorded")
    assert recorded.changes["file_sha256"] == execution.file_sha256
    assert (recorded.changes["fills"], recorded.changes["proposal"]) == (2, p.pk)
    assert (recorded.changes["bought"], recorded.changes["sold"]) == ("2001.00", "1024.68")
    assert recorded.actor_id == desk.w.advisor.user_id
    assert verify_chain(desk.firm).ok


def test_a_partial_fill_reports_the_rest_not_done(desk):
    p = exported(desk)
    execution = execute(desk, p, csv_file(f"{A},IWM,buy,5,250.10,{DAY},,"))
    rows = {r["symbol"]: r for r in execution.summary["trades"]}
    assert (rows["IWM"]["status"], rows["IWM"]["filled"], rows["IWM"]["not_done"]) == (
        "partial", "5", "3",
    )  # fmt: skip
    assert (rows["VOO"]["status"], rows["VOO"]["filled"], rows["VOO"]["not_done"]) == (
        "not_done", "0", "2",
    )  # fmt: skip
    assert execution.summary["counts"]["partial"] == 1
    assert execution.summary["counts"]["not_done"] == 1
    assert lots_of(desk, "VOO") == [(Decimal("10"), Decimal("4000.00"), dt.date(2024, 3, 1))]
    assert lots_of(desk, "IWM") == [(Decimal("5"), Decimal("1250.50"), dt.date(2025, 12, 31))]
    assert cash(desk.w.account) == Decimal("-250.50") + Decimal("1000.00") - Decimal("1000.00")
    assert reload_proposal(p).state == "executed"


def test_unmatched_and_over_fills_are_applied_and_reported(desk, classes):
    p = exported(desk)
    execution = execute(
        desk, p,
        csv_file(f"{A},IWM,buy,10,250,{DAY},,", f"{A},VOO,buy,1,512,{DAY},,"),
    )  # fmt: skip
    summary = execution.summary
    assert [(u["symbol"], u["quantity"], u["reason"]) for u in summary["unmatched"]] == [
        ("IWM", "2", "more than proposed"),
        ("VOO", "1", "nothing proposed"),
    ]
    iwm = next(r for r in summary["trades"] if r["symbol"] == "IWM")
    assert (iwm["status"], iwm["filled"], iwm["not_done"]) == ("over", "10", "0")
    with firm_scope(desk.firm):
        unmatched = Fill.objects.get(security__symbol="VOO")
        assert unmatched.trade_id is None
    assert lots_of(desk, "VOO")[-1] == (Decimal("1"), Decimal("512.00"), dt.date(2025, 12, 31))
    assert cash(desk.w.account) == Decimal("1000.00") - Decimal("2500.00") - Decimal("512.00")
    assert summary["cash"] == [
        {"account": desk.w.account.name, "before": "1000.00", "after": "-2012.00"}
    ]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("ALPHA-1002,VOO,sell,1,500,2025-12-31,,", "not part of this proposal"),
        ("NOPE-1,VOO,sell,1,500,2025-12-31,,", "no account 'NOPE-1' here"),
        ("ZETA-1001,VOO,sell,1,500,2025-12-31,,", "no account 'ZETA-1001' here"),
        ("ALPHA-1001,XYZ,buy,1,500,2025-12-31,,", "unknown symbol 'XYZ'"),
        ("ALPHA-1001,VOO,sell,11,500,2025-12-31,,", "holds only 10 then: refusing to oversell"),
        ("ALPHA-1001,VOO,sell,1,500,2025-12-30,,", "before the proposal's date 2025-12-31"),
    ],
)
def test_a_refused_row_leaves_everything_as_it_was(desk, world_b, row, message):
    p = exported(desk)
    before = books(desk)
    good = f"{A},IWM,buy,8,250,{DAY},,"
    with pytest.raises(ExecutionRefused) as refused:
        execute(desk, p, csv_file(good, row))
    [error] = refused.value.errors
    assert error.row == 3 and message in error.message
    assert books(desk) == before
    with firm_scope(desk.firm):
        assert not AuditEvent.objects.filter(action="execution.recorded").exists()


def test_an_oversell_counts_the_earlier_sales_of_the_same_file(desk):
    p = exported(desk)
    before = books(desk)
    with pytest.raises(ExecutionRefused, match=r"row 3, quantity: sells 4 VOO but .* holds only 3"):
        execute(desk, p, csv_file(f"{A},VOO,sell,7,512,{DAY},,", f"{A},VOO,sell,4,512,{DAY},,"))
    assert books(desk) == before


def test_bad_rows_are_all_reported_by_line_before_anything_is_matched(desk):
    content = csv_file(
        f"{A},VOO,sell,two,512,{DAY},,",
        f"{A},VOO,short,2,512,2099-01-01,,",
        f"=HYPERLINK(1),VOO,sell,2,0,{DAY},,",
        f"{A},VOO,sell,2,512,{DAY},F-1,",
        f"{A},IWM,buy,2,250,{DAY},F-1,",
    )
    with pytest.raises(ExecutionFileError) as bad:
        parse_file(content)
    found = [(e.row, e.column) for e in bad.value.errors]
    assert found == [
        (2, "quantity"),
        (3, "side"),
        (3, "trade_date"),
        (4, "account_number"),
        (4, "price"),
        (6, "fill_id"),
    ]
    assert "repeats row 5" in bad.value.errors[-1].message


def test_a_file_that_is_not_an_execution_file_is_refused_whole():
    with pytest.raises(ExecutionFileError, match="missing column"):
        parse_file(b"account_number,symbol,side,quantity\r\nA,VOO,buy,1\r\n")
    with pytest.raises(ExecutionFileError, match="PDF"):
        parse_file(b"%PDF-1.7 ...")
    with pytest.raises(ExecutionFileError, match="at most 1024 KB"):
        parse_file(b"x" * (1024 * 1024 + 1))


def test_a_fill_id_is_imported_once(desk):
    p = exported(desk)
    execute(desk, p, csv_file(f"{A},VOO,sell,2,512.34,{DAY},F-1,", f"{A},IWM,buy,1,250,{DAY},,"))
    q = exported(desk)
    before = books(desk)
    with pytest.raises(
        ExecutionRefused, match=rf"fill id 'F-1' was already imported \(proposal #{p.pk}\)"
    ):
        execute(desk, q, csv_file(f"{A},VOO,sell,2,512.34,{DAY},F-1,"))
    assert books(desk) == before


def test_only_an_exported_proposal_and_only_once(desk):
    p = fake_proposal(desk)
    p = workflow.submit(proposal=p, actor=desk.w.advisor.user, expected_version=1)
    p = workflow.approve(proposal=p, approver=desk.w.admin.user, expected_version=2)
    content = csv_file(f"{A},IWM,buy,8,250,{DAY},,")
    before = books(desk)
    with pytest.raises(
        ProposalStateError, match=r"Only an exported proposal .* this one is approved"
    ):
        execute(desk, p, content)
    assert books(desk) == before
    p = exported(desk)
    execute(desk, p, content)
    p = reload_proposal(p)
    before = books(desk)
    with pytest.raises(ProposalStateError, match="this one is executed"):
        execute(desk, p, content)  # the same file twice: the second is refused
    assert books(desk) == before


def test_a_stale_version_is_a_conflict_and_others_cannot_execute(desk):
    p = exported(desk)
    content = csv_file(f"{A},IWM,buy,8,250,{DAY},,")
    before = books(desk)
    with pytest.raises(ProposalConflict):
        record_execution(
            proposal=p, actor=desk.w.advisor.user, expected_version=3,
            rows=parse_file(content), content=content,
        )  # fmt: skip
    for membership in (desk.w.compliance, desk.w.client):
        with pytest.raises(PermissionDenied):
            execute(desk, p, content, actor=membership.user)
    assert books(desk) == before


def test_sells_relieve_the_lots_the_proposal_chose_then_the_tax_order(desk):
    with scopes_disabled():  # an older, cheaper lot: the fake engine sells from it first
        old = TaxLot.objects.create(
            firm=desk.firm, account=desk.w.account, security=desk.voo, quantity=Decimal("10"),
            cost_basis=Decimal("1000.00"), acquired_on=dt.date(2023, 1, 5),
        )  # fmt: skip
    p = exported(desk)
    [chosen] = trades_of(p)[0].lots
    assert chosen["lot_id"] == old.pk  # what the proposal chose, against the tax order
    execution = execute(desk, p, csv_file(f"{A},VOO,sell,12,500,{DAY},,"))
    with firm_scope(desk.firm):
        fill = Fill.objects.get(execution=execution)
    assert fill.lots == [
        {"lot": old.pk, "quantity": "10", "cost_basis": "1000.00", "gain": "4000.00",
         "acquired_on": "2023-01-05"},
        {"lot": desk.w.lot.pk, "quantity": "2", "cost_basis": "800.00", "gain": "200.00",
         "acquired_on": "2024-03-01"},
    ]  # fmt: skip
    assert lots_of(desk, "VOO") == [
        (Decimal("0"), Decimal("0.00"), dt.date(2023, 1, 5)),
        (Decimal("8"), Decimal("3200.00"), dt.date(2024, 3, 1)),
    ]
    assert cash(desk.w.account) == Decimal("7000.00")


def test_net_proceeds_set_the_gain_split_over_the_lots(desk):
    p = exported(desk)
    execution = execute(desk, p, csv_file(f"{A},VOO,sell,2,512.34,{DAY},,1019.99"))
    with firm_scope(desk.firm):
        fill = Fill.objects.get(execution=execution)
    assert (fill.amount, fill.lots[0]["gain"]) == (Decimal("1019.99"), "219.99")
    assert cash(desk.w.account) == Decimal("2019.99")


def test_a_manual_execution_needs_at_least_one_fill(desk):
    p = exported(desk)
    before = books(desk)
    with pytest.raises(ExecutionRefused, match="no fills"):
        record_execution(
            proposal=p, actor=desk.w.advisor.user, expected_version=p.version, rows=[],
            source="manual",
        )  # fmt: skip
    assert books(desk) == before
    with firm_scope(desk.firm):
        assert not Execution.objects.exists()


def test_an_execution_file_is_bounded_in_rows_and_cells():
    row = f"{A},VOO,buy,1,1,{DAY},,"
    with pytest.raises(ExecutionFileError, match="at most 5,000 rows"):
        parse_file(csv_file(*[row] * 5001))
    assert len(parse_file(csv_file(*[row] * 5000))) == 5000
    with pytest.raises(ExecutionFileError, match="row 2: row has 3 cells, the header has 8"):
        parse_file(csv_file(f"{A},VOO,buy"))
