"""import_executions FILE --firm SLUG [--proposal ID] [--user EMAIL]."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from advisory.models import AuditEvent
from advisory.tenancy import firm_scope
from portfolios.models import Execution
from tests.factories import proposal_events, reload_proposal
from tests.portfolios.executions.helpers import DAY, books, cash, csv_file, exported

A = "ALPHA-1001"


def write(tmp_path, content: bytes, name: str = "fills.csv"):
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def test_a_good_file_executes_the_one_exported_proposal(desk, tmp_path, capsys):
    p = exported(desk)
    path = write(
        tmp_path, csv_file(f"{A},VOO,sell,2,512.34,{DAY},C-1,", f"{A},IWM,buy,6,250,{DAY},C-2,")
    )
    call_command("import_executions", path, "--firm", "alpha")
    out = capsys.readouterr().out
    assert f"Proposal #{p.pk} executed" in out
    assert "1 trades filled, 1 partial, 0 not done" in out
    assert reload_proposal(p).state == "executed"
    assert cash(desk.w.account) == Decimal("1000.00") + Decimal("1024.68") - Decimal("1500.00")
    [event] = proposal_events(p, "proposal.executed")
    assert (event.actor_id, event.actor_label, event.role) == (
        None, "import_executions command", "system",
    )  # fmt: skip
    with firm_scope(desk.firm):
        execution = Execution.objects.get()
        assert (execution.file_name, execution.created_by) == ("fills.csv", None)
        assert AuditEvent.objects.filter(action="execution.recorded").count() == 1


def test_a_named_user_is_checked_like_on_the_page(desk, tmp_path):
    p = exported(desk)
    path = write(tmp_path, csv_file(f"{A},IWM,buy,8,250,{DAY},,"))
    before = books(desk)
    with pytest.raises(CommandError, match="advisors and admins"):
        call_command(
            "import_executions", path, "--firm", "alpha", "--proposal", str(p.pk),
            "--user", desk.w.compliance.user.email,
        )  # fmt: skip
    assert books(desk) == before
    call_command(
        "import_executions", path, "--firm", "alpha", "--proposal", str(p.pk),
        "--user", desk.w.advisor.user.email,
    )  # fmt: skip
    assert proposal_events(p, "proposal.executed")[0].actor_id == desk.w.advisor.user_id


def test_a_bad_file_writes_nothing_and_names_every_row(desk, tmp_path, capsys):
    exported(desk)
    before = books(desk)
    path = write(tmp_path, csv_file(f"{A},VOO,sell,x,512,{DAY},,", f"{A},VOO,sell,2,512,{DAY},,"))
    with pytest.raises(CommandError, match="1 error"):
        call_command("import_executions", path, "--firm", "alpha")
    assert "row 2, quantity: quantity is not a number" in capsys.readouterr().err
    path = write(tmp_path, csv_file(f"{A},VOO,sell,20,512,{DAY},,"), "over.csv")
    with pytest.raises(CommandError, match="nothing written"):
        call_command("import_executions", path, "--firm", "alpha")
    assert "refusing to oversell" in capsys.readouterr().err
    assert books(desk) == before


def test_the_proposal_must_be_this_firms_and_findable(desk, world_b, tmp_path):
    p = exported(desk)
    path = write(tmp_path, csv_file(f"{A},IWM,buy,8,250,{DAY},,"))
    with pytest.raises(CommandError, match="No firm"):
        call_command("import_executions", path, "--firm", "nope")
    with pytest.raises(CommandError, match=f"No proposal #{p.pk} in this firm"):
        call_command("import_executions", path, "--firm", "zeta", "--proposal", str(p.pk))
    with pytest.raises(CommandError, match="exported proposals for these accounts: none"):
        call_command("import_executions", path, "--firm", "zeta")
    assert reload_proposal(p).state == "exported"


def test_the_demo_executes_the_approved_proposal_with_one_partial_fill(desk):
    from advisory.demo.executions import seed_executed_proposal
    from portfolios.proposals import workflow
    from tests.factories import fake_proposal

    p = fake_proposal(desk)
    p = workflow.submit(proposal=p, actor=desk.w.advisor.user, expected_version=1)
    workflow.approve(proposal=p, approver=desk.w.admin.user, expected_version=2)
    execution = seed_executed_proposal(desk.firm)
    assert reload_proposal(p).state == "executed"
    assert [(t["symbol"], t["status"], t["filled"]) for t in execution.summary["trades"]] == [
        ("VOO", "filled", "2"),
        ("IWM", "partial", "7"),
    ]
    assert cash(desk.w.account) == Decimal("1000.00") + Decimal("1024.68") - Decimal("1750.00")
    assert seed_executed_proposal(desk.firm) is None  # idempotent
