"""A lumpy book for model-change previews: firm A's model goes from 60/20/20 (large cap,
small cap, bonds) to a draft of 45/25/10/20 (adding international), over households with
taxable, IRA, Roth and held-away accounts, lots with gains and losses of both terms and
unknown bases, restrictions at every level, a recent sale at a loss (wash sale), one
household with an unpriced holding and one following another model."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from types import SimpleNamespace

import pytest

from advisory.models import Account, Household
from advisory.tenancy import firm_scope
from portfolios import model_versions as mv
from portfolios.models import (
    Execution,
    Fill,
    ModelPortfolio,
    Proposal,
    Restriction,
    Target,
    TaxLot,
)
from tests import factories
from tests.portfolios.model_versions.conftest import line

AS_OF = factories.AS_OF
TAX = ("taxable", "tax_deferred", "tax_exempt")


def _sec(symbol: str, cls, close: str):
    sec = factories.security(symbol, cls)
    factories.price(sec, close, AS_OF)
    return sec


@pytest.fixture
def book(world_a, classes, voo):
    rng = random.Random(14)
    firm = world_a.firm
    with firm_scope(firm):
        s = SimpleNamespace(
            voo=voo,
            ivv=_sec("IVV", classes["us-large-cap"], "561.10"),
            iwm=_sec("IWM", classes["us-small-cap"], "250.00"),
            vb=_sec("VB", classes["us-small-cap"], "231.45"),
            vxus=_sec("VXUS", classes["international"], "61.27"),
            bnd=_sec("BND", classes["fixed-income"], "72.00"),
            agg=_sec("AGG", classes["fixed-income"], "98.13"),
        )
        unpriced = factories.security("ZZNP", classes["us-small-cap"])
        admin = world_a.admin.user
        live = [
            line(classes["us-large-cap"], weight="60", preferred=s.voo, eq=[s.ivv]),
            line(classes["us-small-cap"], weight="20", preferred=s.iwm),
            line(classes["fixed-income"], weight="20", preferred=s.bnd),
        ]
        model = world_a.model
        mv.publish_version(
            model=model, lines=live, summary="60/20/20", actor=admin, expected_version=None
        )
        draft_lines = [
            line(classes["us-large-cap"], weight="45", preferred=s.voo, eq=[s.ivv]),
            line(classes["us-small-cap"], weight="25", abs_band="3", preferred=s.iwm, eq=[s.vb]),
            line(classes["international"], weight="10", preferred=s.vxus),
            line(classes["fixed-income"], weight="20", preferred=s.bnd, eq=[s.agg]),
        ]
        draft = mv.save_draft(
            model=model,
            lines=draft_lines,
            summary="Small caps up after the large-cap run; add international",
            actor=admin,
            expected_version=None,
        )
        other_model = ModelPortfolio.objects.create(firm=firm, name="Alpha Income")
        Target.objects.create(
            firm=firm, model=other_model, asset_class=classes["fixed-income"], weight=100
        )
        # The factory's other and team households follow no model: give the team one the
        # other model, so it must not be previewed.
        Household.objects.filter(pk=world_a.team_household.pk).update(model=other_model)
        held = [s.voo, s.ivv, s.iwm, s.vb, s.bnd, s.agg, s.vxus]
        households = [world_a.household]
        for h in range(14):
            advisor = world_a.advisor if h % 3 else world_a.other_advisor
            households.append(
                Household.objects.create(
                    firm=firm, name=f"Preview {h:02d}", primary_advisor=advisor, model=model
                )
            )
        n = 0
        for hh in households[1:]:
            for a in range(rng.randint(1, 3)):
                n += 1
                account = Account.objects.create(
                    firm=firm,
                    household=hh,
                    name=f"{hh.name} acct {a}",
                    registration="individual",
                    tax_status=TAX[(a + n) % 3],
                    custodian="schwab",
                    account_number=f"PV-{n:04d}",
                    model=model,
                    cash_balance=Decimal(rng.randint(0, 900_000)) / 100,
                    fractional_allowed=n % 7 == 0,
                    held_away=n % 11 == 0,
                )
                for _ in range(rng.randint(1, 5)):
                    sec = rng.choice(held[:6] if rng.random() < 0.9 else held)
                    qty = Decimal(rng.randint(1, 400))
                    basis = (qty * Decimal(rng.randint(30, 700))).quantize(Decimal("0.01"))
                    TaxLot.objects.create(
                        firm=firm,
                        account=account,
                        security=sec,
                        quantity=qty,
                        cost_basis=None if rng.random() < 0.08 else basis,
                        acquired_on=AS_OF - dt.timedelta(days=rng.randint(20, 900)),
                    )
        broken = households[3]
        TaxLot.objects.create(
            firm=firm,
            account=Account.objects.filter(household=broken).first(),
            security=unpriced,
            quantity=Decimal(5),
            cost_basis=Decimal("500.00"),
            acquired_on=dt.date(2024, 1, 5),
        )
        restricted = households[5]
        first = Account.objects.filter(household=restricted).first()
        Restriction.objects.create(
            firm=firm, security=s.vb, side="buy", reason="Firm-wide: VB under review"
        )
        Restriction.objects.create(
            firm=firm, security=s.voo, side="sell", household=restricted, reason="Client: keep VOO"
        )
        Restriction.objects.create(
            firm=firm, security=s.vxus, side="buy", account=first, reason="Account: no foreign"
        )
        washed = households[7]
        _recent_loss_sale(world_a, washed, s.iwm)
    return SimpleNamespace(
        world=world_a,
        firm=firm,
        model=model,
        draft=draft,
        draft_lines=draft_lines,
        households=households,
        broken=broken,
        restricted=restricted,
        washed=washed,
        s=s,
    )


def _recent_loss_sale(world, household: Household, sec) -> None:
    """A sale of ``sec`` at a loss 10 days ago in the household (wash-sale look-back)."""
    account = Account.objects.filter(household=household, held_away=False).first()
    proposal = Proposal.objects.create(
        firm=world.firm,
        household=household,
        mode="to_target",
        author=world.advisor.user,
        inputs_fingerprint="0" * 64,
        as_of=AS_OF - dt.timedelta(days=10),
        state="executed",
    )
    execution = Execution.objects.create(firm=world.firm, proposal=proposal, source="manual")
    Fill.objects.create(
        firm=world.firm,
        execution=execution,
        account=account,
        security=sec,
        side="sell",
        quantity=Decimal(3),
        price=Decimal("240.00"),
        amount=Decimal("720.00"),
        trade_date=AS_OF - dt.timedelta(days=10),
        lots=[{"lot_id": 0, "quantity": "3", "gain": "-90.00"}],
    )
