"""A preview's per-household trades and gains are those of propose() run one household at a
time: on the draft's targets before the commit, and on the live model after it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from advisory.models import Account
from advisory.tenancy import firm_scope
from portfolios.model_previews.commit import commit_preview
from portfolios.model_previews.compute import trade_json
from portfolios.model_previews.runs import process_inline, start_preview
from portfolios.model_previews.targets import version_targets
from portfolios.models import ModelPreviewHousehold, PreviewOutcome, PreviewState
from portfolios.proposals.inputs import ProposalInputError, build_input
from portfolios.rebalance.engine import propose
from portfolios.rebalance.types import Options
from tests.portfolios.model_previews.conftest import AS_OF

pytestmark = pytest.mark.django_db


def _run(book, mode: str, chunk: int = 4):
    preview, created = start_preview(
        firm=book.firm,
        version=book.draft,
        user=book.world.admin.user,
        options=Options(mode=mode, as_of=AS_OF),
        chunk_households=chunk,
    )
    assert created
    preview = process_inline(preview)
    assert preview.state == PreviewState.COMPLETE, preview.errors
    with firm_scope(book.firm):
        rows = {r.household_id: r for r in ModelPreviewHousehold.objects.filter(preview=preview)}
    return preview, rows


def _single(book, household, mode: str, model=None):
    """propose() for one household, its input read by build_input alone."""
    data, _ = build_input(
        firm=book.firm, household=household, options=Options(mode=mode, as_of=AS_OF), model=model
    )
    return propose(data)


def _assert_same(row, result) -> None:
    assert row.trades == [trade_json(t) for t in result.trades]
    assert row.realized_short_term == result.realized_short_term.quantize(Decimal("0.01"))
    assert row.realized_long_term == result.realized_long_term.quantize(Decimal("0.01"))
    assert row.trade_count == len(result.trades)
    assert row.breached_after == any(p.breached_after for p in result.projection)


@pytest.mark.parametrize("mode", ["to_target", "to_band"])
def test_every_household_matches_a_single_proposal_on_the_draft(book, mode):
    preview, rows = _run(book, mode)
    assert set(rows) == {h.pk for h in book.households}  # followers only, each once
    assert preview.households == len(book.households)
    with firm_scope(book.firm):
        draft = version_targets(book.model, book.draft_lines)
    for household in book.households:
        row = rows[household.pk]
        if household == book.broken:
            with pytest.raises(ProposalInputError) as exc:
                _single(book, household, mode, draft)
            assert row.outcome == PreviewOutcome.FAILED
            assert row.detail == str(exc.value)
            assert "ZZNP" in row.detail
            continue
        _assert_same(row, _single(book, household, mode, draft))


def test_after_the_commit_live_proposals_trade_exactly_as_previewed(book):
    preview, rows = _run(book, "to_target", chunk=100)
    with firm_scope(book.firm):
        book.model.refresh_from_db()
        expected = book.model.version
    commit_preview(preview=preview, actor=book.world.admin.user, expected_version=expected)
    for household in book.households:
        if household != book.broken:
            _assert_same(rows[household.pk], _single(book, household, "to_target"))


def test_the_book_exercises_the_tax_and_restriction_rules(book):
    """Guard the parity tests' reach: the sample has both terms, losses, unknown bases,
    restrictions, a wash sale and held-away accounts in its trades."""
    _, rows = _run(book, "to_target")
    lots = [lot for r in rows.values() for t in r.trades for lot in t["lots"]]
    assert {lot["term"] for lot in lots} >= {"short", "long"}
    assert any(lot["gain"] is not None and Decimal(lot["gain"]) < 0 for lot in lots)
    assert any(lot["gain"] is None for lot in lots)
    trading = [r for r in rows.values() if r.outcome == PreviewOutcome.TRADES]
    assert len(trading) >= 8
    restricted = rows[book.restricted.pk]
    assert not any(t["symbol"] == "VOO" and t["side"] == "sell" for t in restricted.trades)
    assert not any(t["symbol"] == "VB" and t["side"] == "buy" for r in trading for t in r.trades)
    assert any(n["rule"] is not None for n in restricted.notes)
    washed = rows[book.washed.pk]
    assert not any(t["symbol"] == "IWM" and t["side"] == "buy" for t in washed.trades)
    with firm_scope(book.firm):
        away = set(Account.objects.filter(held_away=True).values_list("pk", flat=True))
        kinds = set(Account.objects.values_list("tax_status", flat=True))
    assert away and kinds == {"taxable", "tax_deferred", "tax_exempt"}
    traded = {t["account_id"] for r in trading for t in r.trades}
    assert not traded & away  # held-away accounts count toward weights, never trade
