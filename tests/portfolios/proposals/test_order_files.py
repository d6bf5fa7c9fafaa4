"""Order files: only approved proposals, custodian layouts, exact quantities, no formulas."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from decimal import Decimal

import pytest
from django_scopes import scopes_disabled

from advisory.models import Account
from advisory.tenancy import firm_scope
from portfolios.models import TaxLot
from portfolios.proposals import workflow as proposals
from portfolios.proposals.order_files import (
    FORMATS,
    OrderFileError,
    export_order_file,
    format_quantity,
    neutralise,
    render,
)
from portfolios.proposals.workflow import ProposalStateError
from tests import factories
from tests.factories import OPTIONS, fake_proposal, proposal_events, reload_proposal, trades_of


def approve(desk, p):
    actor = desk.w.advisor.user
    p = proposals.submit(proposal=p, actor=actor, expected_version=p.version)
    return proposals.approve(proposal=p, approver=desk.w.admin.user, expected_version=p.version)


def rows_of(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"))))


def test_only_an_approved_proposal_can_be_exported(desk):
    p = fake_proposal(desk)
    with pytest.raises(ProposalStateError, match="draft proposal cannot be exported"):
        export_order_file(proposal=p, actor=desk.w.advisor.user, expected_version=1)
    p = proposals.submit(proposal=p, actor=desk.w.advisor.user, expected_version=1)
    with pytest.raises(ProposalStateError, match="submitted proposal cannot be exported"):
        export_order_file(proposal=p, actor=desk.w.advisor.user, expected_version=2)
    p = reload_proposal(p)
    assert (p.state, p.version, p.order_file_sha256, p.exported_at) == ("submitted", 2, "", None)
    assert [e.action for e in proposal_events(p)] == ["proposal.created", "proposal.submitted"]


def test_generic_export_marks_it_exported_and_stores_the_hash(desk):
    p = approve(desk, fake_proposal(desk))
    sell, buy = trades_of(p)
    name, content = export_order_file(proposal=p, actor=desk.w.advisor.user, expected_version=3)
    assert name == f"ballast-proposal-{p.pk}-generic-20251231.csv"
    assert content.endswith(b"\r\n")
    assert rows_of(content) == [
        ["account_number", "symbol", "side", "quantity", "order_type", "time_in_force",
         "proposal_id", "trade_id"],
        ["ALPHA-1001", "VOO", "sell", "2", "market", "day", str(p.pk), str(sell.pk)],
        ["ALPHA-1001", "IWM", "buy", "8", "market", "day", str(p.pk), str(buy.pk)],
    ]  # fmt: skip
    p = reload_proposal(p)
    digest = hashlib.sha256(content).hexdigest()
    assert (p.state, p.version, p.order_file_sha256) == ("exported", 4, digest)
    assert p.exported_at is not None
    [event] = proposal_events(p, "proposal.exported")
    assert event.changes["order_file_sha256"] == {"before": "", "after": digest}
    assert (event.changes["format"], event.changes["filename"], event.changes["rows"]) == (
        "generic",
        name,
        2,
    )
    assert "ALPHA-1001" not in str(event.changes)  # the full number stays out of the trail
    with pytest.raises(ProposalStateError, match="exported proposal cannot be exported"):
        export_order_file(proposal=p, actor=desk.w.advisor.user, expected_version=4)


def test_custodian_layouts_rename_columns_and_code_sides(desk):
    p = approve(desk, fake_proposal(desk))
    sell, _ = trades_of(p)
    _, content = export_order_file(
        proposal=p, custodian_format="schwab", actor=desk.w.advisor.user, expected_version=3
    )
    header, first, second = rows_of(content)
    assert header == [
        "Account Number", "Action", "Quantity", "Symbol", "Order Type", "Duration", "Reference",
    ]  # fmt: skip
    assert first == ["ALPHA-1001", "S", "2", "VOO", "Market", "Day", f"P{p.pk}-T{sell.pk}"]
    assert second[1:4] == ["B", "8", "IWM"]
    assert [h for h, _ in FORMATS["fidelity"].columns] == [
        "Acct", "Side", "Symbol", "Qty", "Type", "TIF", "Client Ref",
    ]  # fmt: skip


def test_an_unknown_layout_is_refused(desk):
    p = approve(desk, fake_proposal(desk))
    with pytest.raises(OrderFileError, match="use fidelity, generic, schwab"):
        export_order_file(
            proposal=p, custodian_format="pershing", actor=desk.w.advisor.user, expected_version=3
        )
    assert reload_proposal(p).state == "approved"


@pytest.mark.parametrize(
    ("quantity", "places", "text"),
    [
        (Decimal("10.000000000"), 9, "10"),
        (Decimal("2.500000000"), 9, "2.5"),
        (Decimal("0.000000001"), 9, "0.000000001"),
        (Decimal("1E+2"), 0, "100"),
        (Decimal("12.3400"), 4, "12.34"),
    ],
)
def test_quantities_are_plain_decimals(quantity, places, text):
    assert format_quantity(quantity, places) == text


def test_a_quantity_finer_than_the_layout_is_refused_not_rounded(desk):
    with scopes_disabled():
        Account.objects.filter(pk=desk.w.account.pk).update(fractional_allowed=True)
    p = fake_proposal(desk)
    buy = trades_of(p)[1]
    p = proposals.edit_trade(
        proposal=p, trade_id=buy.pk, quantity="2.1234", expected_version=1,
        actor=desk.w.advisor.user,
    )  # fmt: skip
    p = approve(desk, p)
    with pytest.raises(OrderFileError, match=r"2\.1234 has 4 decimals; this layout allows 3"):
        export_order_file(
            proposal=p, custodian_format="fidelity", actor=desk.w.advisor.user, expected_version=4
        )
    assert reload_proposal(p).state == "approved"
    _, content = export_order_file(
        proposal=p, custodian_format="schwab", actor=desk.w.advisor.user, expected_version=4
    )
    assert rows_of(content)[2][2] == "2.1234"


@pytest.mark.parametrize(
    "cell", ['=HYPERLINK("http://x")', "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx"]
)
def test_neutralise_prefixes_formula_starts(cell):
    assert neutralise(cell) == "'" + cell


def test_neutralise_leaves_ordinary_cells_alone():
    assert [neutralise(c) for c in ("VOO", "12.5", "", None, "A=B")] == [
        "VOO",
        "12.5",
        "",
        "",
        "A=B",
    ]


def test_cells_from_the_database_are_neutralised_in_the_file(desk, classes):
    # The symbol constraint allows a leading "-" (not "="); the account number's
    # form validator is bypassed here on purpose, as a bad import might.
    evil = factories.security("-EVIL", classes["us-large-cap"])
    factories.price(evil, "10.00", OPTIONS.as_of)
    with scopes_disabled():
        Account.objects.filter(pk=desk.w.account.pk).update(
            account_number='=HYPERLINK("http://x","y")'
        )
        TaxLot.objects.create(
            firm=desk.firm, account=desk.w.account, security=evil, quantity=Decimal(5),
            cost_basis=Decimal("40.00"), acquired_on=dt.date(2025, 1, 2),
        )  # fmt: skip
    p = fake_proposal(desk)
    p = proposals.add_trade(
        proposal=p, account=desk.w.account, security=evil, side="sell", quantity=5,
        expected_version=1, actor=desk.w.advisor.user,
    )  # fmt: skip
    p = approve(desk, p)
    _, content = export_order_file(proposal=p, actor=desk.w.advisor.user, expected_version=4)
    rows = rows_of(content)[1:]
    assert {r[0] for r in rows} == {'\'=HYPERLINK("http://x","y")'}
    assert [r[1] for r in rows] == ["VOO", "'-EVIL", "IWM"]  # sells first, then buys
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for cell in r)


def test_the_same_trades_give_the_same_bytes(desk):
    """No timestamps in the file: the stored hash can be checked by rendering again."""
    p = approve(desk, fake_proposal(desk))
    _, content = export_order_file(proposal=p, actor=desk.w.advisor.user, expected_version=3)
    with firm_scope(desk.firm):
        p = reload_proposal(p)
        again = render(p, list(p.trades.select_related("account", "security")), FORMATS["generic"])
    assert again == content
    assert hashlib.sha256(again).hexdigest() == p.order_file_sha256
