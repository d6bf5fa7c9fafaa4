"""Plain builders for test data: the one module test modules share helpers from (a test module
never imports another). Callers are fixtures (scopes disabled) or tests inside ``firm_scope``;
every firm-owned row gets its firm explicitly. The drift inputs and the fake engine at the end
are pure: plain data, no database."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import socket
import time
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace

import pandas as pd
import pyarrow as pa
import time_machine
from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from advisory.audit import record
from advisory.models import (
    Account,
    AccountOwner,
    AuditEvent,
    Client,
    Firm,
    Household,
    HouseholdTeamMember,
    Membership,
    Role,
    User,
)
from advisory.money import to_cents
from advisory.tenancy import firm_scope
from portfolios.drift.engine import (
    CLOSE_TYPE,
    MONEY_TYPE,
    PERCENT_TYPE,
    QUANTITY_TYPE,
    DriftInputs,
    decimal_series,
)
from portfolios.models import (
    AssetClass,
    ModelPortfolio,
    Price,
    Proposal,
    ProposedTrade,
    Security,
    Target,
    TaxLot,
)
from portfolios.proposals import workflow as proposals
from portfolios.rebalance.types import ClassProjection, LotSale, Options, ProposalInput, Trade
from portfolios.rebalance.types import Proposal as EngineResult
from reports.models import ArchivedReport, Disclosure, DisclosureVersion, ReportRelease

# --- Shared constants: the market date, the password, a position file, class ids -------------

AS_OF = dt.date(2025, 12, 31)  # conftest's VOO closes on it; drift and proposals run as of it
PASSWORD = "correct-horse-battery-staple"
POSITIONS_HEADER = "account_number,symbol,quantity,cost_basis,acquired_date\n"
# Asset class ids of the pure engines' inputs (drift and rebalance, no database).
LARGE, SMALL, INTL, BONDS, CASH = 1, 2, 3, 4, 5


# --- People and sessions --------------------------------------------------------------------
def user(email: str, name: str = "") -> User:
    return User.objects.create_user(email, PASSWORD, full_name=name or email.split("@")[0])


def member(firm: Firm, email: str, role: str) -> Membership:
    made_user = user(email)
    with firm_scope(firm):  # tests call it outside fixtures too: row-level security
        return Membership.objects.create(firm=firm, user=made_user, role=role)


def log_in(client, user: User):
    """Sign a Django test client in as ``user`` without the login form; returns the client."""
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def totp_secret(user: User) -> str:
    """A fixed TOTP secret per user (base32), so tests and browser tests can make codes."""
    return base64.b32encode(hashlib.sha256(user.email.encode()).digest()[:20]).decode()


def enrol_totp(user: User) -> str:
    """Give ``user`` an authenticator app (stored encrypted, as allauth's set-up does) unless
    they have one; returns its secret."""
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, totp_secret(user))
    return totp_secret(user)


def totp_code(user: User, at: float | None = None) -> str:
    counter = int(time.time() if at is None else at) // 30
    return format_hotp_value(hotp_value(totp_secret(user), counter))


def stepped_up(client, user: User, seconds_ago: float = 0):
    """Sign the client in as ``user`` with an enrolled authenticator and a second factor
    entered ``seconds_ago``: the session record allauth's MFA sign-in and reauthenticate
    pages write (tests/advisory/mfa drives the real reauthenticate page). Returns the client."""
    enrol_totp(user)
    log_in(client, user)
    auth = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "mfa", "at": time.time() - seconds_ago, "id": auth.pk, "type": "totp"}
    ]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()
    return client


# --- Market data, shared by every firm ------------------------------------------------------
def asset_classes() -> dict[str, AssetClass]:
    equity = AssetClass.objects.create(name="Equity", slug="equity", sort_order=1)
    specs = [
        ("US large cap", "us-large-cap", equity, 2),
        ("US small cap", "us-small-cap", equity, 3),
        ("International", "international", equity, 4),
        ("Fixed income", "fixed-income", None, 5),
        ("Cash", "cash", None, 6),
    ]
    out = {"equity": equity}
    for name, slug, parent, order in specs:
        out[slug] = AssetClass.objects.create(
            name=name,
            slug=slug,
            parent=parent,
            sort_order=order,
            prefers_tax_deferred=slug == "fixed-income",
        )
    return out


def security(symbol: str, asset_class: AssetClass, kind: str = "etf") -> Security:
    return Security.objects.create(
        symbol=symbol, name=f"{symbol} fund", security_type=kind, asset_class=asset_class
    )


def price(sec: Security, close: str, on: dt.date, source: str = "test") -> Price:
    return Price.objects.create(security=sec, date=on, close=Decimal(close), source=source)


# --- A firm with a persona per role (world_a / world_b in conftest) --------------------------
@dataclass
class FirmWorld:
    """One firm with a persona per role and a small book."""

    firm: Firm
    admin: Membership
    advisor: Membership
    other_advisor: Membership
    compliance: Membership
    client: Membership
    household: Household  # advisor's
    other_household: Household  # other_advisor's, advisor not on the team
    team_household: Household  # other_advisor's, advisor on the team
    account: Account
    other_account: Account
    model: ModelPortfolio
    target: Target
    lot: TaxLot
    client_person: Client


def firm_world(slug: str, label: str, classes: dict[str, AssetClass], sec: Security) -> FirmWorld:
    """Build a firm whose every name carries ``label`` so tests can look for leaks."""
    firm = Firm.objects.create(name=f"{label} Firm", slug=slug)
    domain = f"{slug}.example"
    admin = member(firm, f"admin@{domain}", Role.ADMIN)
    advisor = member(firm, f"advisor@{domain}", Role.ADVISOR)
    other_advisor = member(firm, f"other@{domain}", Role.ADVISOR)
    compliance = member(firm, f"compliance@{domain}", Role.COMPLIANCE)
    client = member(firm, f"client@{domain}", Role.CLIENT)
    model = ModelPortfolio.objects.create(firm=firm, name=f"{label} Growth Model")
    target = Target.objects.create(
        firm=firm, model=model, asset_class=classes["us-large-cap"], weight=Decimal("100")
    )
    household = Household.objects.create(
        firm=firm, name=f"{label} Household", primary_advisor=advisor, model=model
    )
    other = Household.objects.create(
        firm=firm, name=f"{label} Other Household", primary_advisor=other_advisor
    )
    team = Household.objects.create(
        firm=firm, name=f"{label} Team Household", primary_advisor=other_advisor
    )
    HouseholdTeamMember.objects.create(firm=firm, household=team, membership=advisor)
    person = Client.objects.create(
        firm=firm, household=household, first_name=label, last_name="Client", user=client.user
    )
    account = Account.objects.create(
        firm=firm,
        household=household,
        name=f"{label} Brokerage",
        registration="individual",
        tax_status="taxable",
        custodian="schwab",
        account_number=f"{slug.upper()}-1001",
        model=model,
        cash_balance=Decimal("1000.00"),
    )
    other_account = Account.objects.create(
        firm=firm,
        household=other,
        name=f"{label} Other IRA",
        registration="traditional_ira",
        tax_status="tax_deferred",
        custodian="fidelity",
        account_number=f"{slug.upper()}-1002",
        cash_balance=Decimal("50.00"),
    )
    AccountOwner.objects.create(firm=firm, account=account, client=person)
    lot = TaxLot.objects.create(
        firm=firm,
        account=account,
        security=sec,
        quantity=Decimal("10"),
        cost_basis=Decimal("4000.00"),
        acquired_on=dt.date(2024, 3, 1),
    )
    return FirmWorld(
        firm=firm,
        admin=admin,
        advisor=advisor,
        other_advisor=other_advisor,
        compliance=compliance,
        client=client,
        household=household,
        other_household=other,
        team_household=team,
        account=account,
        other_account=other_account,
        model=model,
        target=target,
        lot=lot,
        client_person=person,
    )


@dataclass(frozen=True)
class Spouse:
    membership: Membership  # a client login
    client: Client
    ira: Account  # owned by this client alone


def spouse(world: FirmWorld, *, email: str = "sam@alpha.example") -> Spouse:
    """A second client of ``world``'s household, Sam, who signs in to the portal and owns a
    Roth IRA alone ($777.00 cash): the other household member the portal must respect."""
    with firm_scope(world.firm):
        login = member(world.firm, email, Role.CLIENT)
        person = Client.objects.create(
            firm=world.firm,
            household=world.household,
            first_name="Sam",
            last_name="Client",
            user=login.user,
        )
        ira = Account.objects.create(
            firm=world.firm,
            household=world.household,
            name="Sam Roth IRA",
            registration="roth_ira",
            tax_status="tax_exempt",
            custodian="schwab",
            account_number=f"{world.firm.slug.upper()}-2001",
            cash_balance=Decimal("777.00"),
        )
        AccountOwner.objects.create(firm=world.firm, account=ira, client=person)
    return Spouse(login, person, ira)


# --- Disclosures (reports) -------------------------------------------------------------------
def disclosure(
    firm: Firm, key: str, title: str = "", *texts: str, author: User, approver: User | None = None
) -> Disclosure:
    """A disclosure with one version per text (numbered 1, 2, …), written directly, not
    audited; every version is approved by ``approver`` if given. In the firm's scope: tests
    call it outside fixtures too, and row-level security admits only the firm's own rows."""
    with firm_scope(firm):
        made = Disclosure.objects.create(firm=firm, key=key, title=title or key.replace("-", " "))
        for number, text in enumerate(texts, start=1):
            DisclosureVersion.objects.create(
                firm=firm,
                disclosure=made,
                number=number,
                text=text,
                author=author,
                approved_by=approver,
                approved_at=dt.datetime(2025, 12, number, tzinfo=dt.UTC) if approver else None,
            )
    return made


REPORT_DISCLOSURES = {
    "not-advice": "Not investment advice",
    "methodology": "How we measure your mix",
    "asset-class-risks": "Risks of the asset classes you hold",
    "past-performance": "Past performance",
}


def approved_disclosures(
    firm: Firm, *, author: User, approver: User, skip: tuple[str, ...] = ()
) -> dict[str, Disclosure]:
    """The household report's required disclosures, each with one approved version (those in
    ``skip`` are left out)."""
    return {
        key: disclosure(firm, key, title, f"{title}: the text.", author=author, approver=approver)
        for key, title in REPORT_DISCLOSURES.items()
        if key not in skip
    }


def stored_report(
    household: Household,
    *,
    month: int = 12,
    released: bool = True,
    content: bytes | None = None,
    supersedes: ArchivedReport | None = None,
) -> ArchivedReport:
    """An archived report of ``household`` for ``month`` of 2025 whose file (not a rendered
    PDF: ``content``) is in storage, released unless told otherwise. Written directly, not
    audited: for pages that list and serve reports, not for the archive's own tests."""
    start = dt.date(2025, month, 1)
    end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    body = content or f"%PDF-1.7 report of {household.name} for {start:%B %Y}".encode()
    name = default_storage.save(
        f"reports/{household.firm_id}/test-{household.pk}.pdf", ContentFile(body)
    )
    with firm_scope(household.firm_id):
        report = ArchivedReport.objects.create(
            firm_id=household.firm_id,
            household=household,
            report_type="household",
            period_start=start,
            period_end=end,
            as_of=end,
            file=name,
            sha256=hashlib.sha256(body).hexdigest(),
            size=len(body),
            data={},
            template_version="test",
            weasyprint_version="test",
            generated_at=dt.datetime(2026, 1, 2, tzinfo=dt.UTC),
            supersedes=supersedes,
        )
        if released:
            ReportRelease.objects.create(
                firm_id=household.firm_id,
                report=report,
                released_at=dt.datetime(2026, 1, 3, month, tzinfo=dt.UTC),
            )
    return report


# --- Old records (retention and disposal) ------------------------------------------------------
def event_at(when: dt.datetime, firm: Firm, **fields) -> AuditEvent:
    """An audit event recorded at ``when`` (the clock travelled there: its hash covers it)."""
    fields.setdefault("action", "household.viewed")
    with time_machine.travel(when, tick=False):
        return record(firm=firm, **fields)


def report_at(
    world: FirmWorld, when: dt.datetime, *, household=None, released_at=None, supersedes=None
):
    """An archived report generated at ``when`` with a stored PDF, optionally released."""
    household = household or world.household
    name = default_storage.save(
        f"reports/{world.firm.pk}/retention-{household.pk}.pdf", ContentFile(b"%PDF-1.7 old")
    )
    with firm_scope(world.firm):
        report = ArchivedReport.objects.create(
            firm=world.firm,
            household=household,
            report_type="household",
            period_start=when.date().replace(day=1),
            period_end=when.date(),
            as_of=when.date(),
            file=name,
            sha256="0" * 64,
            size=12,
            data={},
            template_version="household-2",
            weasyprint_version="0",
            generated_at=when,
            supersedes=supersedes,
        )
        if released_at is not None:
            ReportRelease.objects.create(firm=world.firm, report=report, released_at=released_at)
    return report


# --- Reading the audit trail ----------------------------------------------------------------
def firm_events(firm: Firm, action: str | None = None) -> list[AuditEvent]:
    """A firm's audit events in chain order, only those of ``action`` if given."""
    with firm_scope(firm):
        rows = AuditEvent.objects.order_by("seq")
        return list(rows.filter(action=action) if action else rows)


def proposal_events(proposal: Proposal, action: str | None = None) -> list[AuditEvent]:
    """A proposal's audit events in chain order, only those of ``action`` if given."""
    with firm_scope(proposal.firm_id):
        rows = AuditEvent.objects.filter(object_type="portfolios.proposal", object_id=proposal.pk)
        return list((rows.filter(action=action) if action else rows).order_by("seq"))


# --- A drifted 60/40 desk for the real rebalance engine (proposal pages, batches) ----------
def two_class_desk(world: FirmWorld, classes: dict[str, AssetClass], as_of: dt.date) -> FirmWorld:
    """Make a world's household a drifted 60/40 large/small-cap book for proposals.

    VOO (its only holding) is preferred for large cap, IWM for small cap, and
    the other advisor joins the team as the second pair of eyes.
    """
    iwm = security("IWM", classes["us-small-cap"])
    price(iwm, "250.00", as_of)
    Target.objects.filter(pk=world.target.pk).update(
        weight=Decimal("60"), preferred_security=world.lot.security
    )
    Target.objects.create(
        firm=world.firm,
        model=world.model,
        asset_class=classes["us-small-cap"],
        weight=Decimal("40"),
        preferred_security=iwm,
    )
    HouseholdTeamMember.objects.create(
        firm=world.firm, household=world.household, membership=world.other_advisor
    )
    return world


# --- The fake rebalance engine and its 80/20 desk (proposal workflow, order files) ----------
OPTIONS = Options(mode="to_target", as_of=AS_OF)


def fake_engine(data: ProposalInput) -> EngineResult:
    """Sell 2 of the first lot's security, buy 8 of the preferred security of the second target."""
    account = data.accounts[0]
    lot = account.lots[0]
    held = data.securities[lot.security_id]
    buy = data.securities[data.targets[1].preferred_security_id]
    sell_q, buy_q = Decimal(2), Decimal(8)
    basis = to_cents(lot.cost_basis * sell_q / lot.quantity)
    sell_value, buy_value = to_cents(sell_q * held.price), to_cents(buy_q * buy.price)
    sale = LotSale(lot.lot_id, sell_q, basis, sell_value - basis, "long")
    trades = (
        Trade(
            account_id=account.account_id,
            security_id=held.security_id,
            symbol=held.symbol,
            side="sell",
            quantity=sell_q,
            price=held.price,
            value=sell_value,
            reason=f"sell 2 {held.symbol}",
            lots=(sale,),
        ),
        Trade(
            account_id=account.account_id,
            security_id=buy.security_id,
            symbol=buy.symbol,
            side="buy",
            quantity=buy_q,
            price=buy.price,
            value=buy_value,
            reason=f"buy 8 {buy.symbol}",
        ),
    )
    total = account.cash + sum(
        (lt.quantity * data.securities[lt.security_id].price for lt in account.lots), Decimal(0)
    )
    projection = ClassProjection(
        target_id=data.targets[0].target_id,
        label="US large cap",
        current_weight=Decimal("100"),
        projected_weight=Decimal("66"),
        target=Decimal("80"),
        low=Decimal("75"),
        high=Decimal("85"),
        breached_before=True,
        breached_after=True,
    )
    return EngineResult(
        trades=trades,
        projection=(projection,),
        realized_short_term=Decimal("0"),
        realized_long_term=sell_value - basis,
        cash_after={account.account_id: account.cash + sell_value - buy_value},
        notes=("fake engine",),
        total_value=total,
    )


def make_desk(world: FirmWorld, classes: dict[str, AssetClass]) -> SimpleNamespace:
    """world's household on an 80/20 model: VOO (10 held) and IWM (preferred small cap)."""
    iwm = security("IWM", classes["us-small-cap"])
    price(iwm, "250.00", AS_OF)
    Target.objects.filter(pk=world.target.pk).update(weight=Decimal("80"))
    Target.objects.create(
        firm=world.firm,
        model=world.model,
        asset_class=classes["us-small-cap"],
        weight=Decimal("20"),
        preferred_security=iwm,
    )
    return SimpleNamespace(w=world, firm=world.firm, iwm=iwm, voo=world.lot.security)


def fake_proposal(desk: SimpleNamespace, author=None, **kwargs) -> Proposal:
    """A draft for a make_desk() household, proposed by the fake engine."""
    return proposals.create_proposal(
        firm=desk.firm,
        household=desk.w.household,
        options=OPTIONS,
        author=author or desk.w.advisor.user,
        engine=fake_engine,
        **kwargs,
    )


def reload_proposal(proposal: Proposal) -> Proposal:
    with firm_scope(proposal.firm_id):
        return Proposal.objects.get(pk=proposal.pk)


def trades_of(proposal: Proposal) -> list[ProposedTrade]:
    with firm_scope(proposal.firm_id):
        return list(ProposedTrade.objects.filter(proposal=proposal).order_by("position"))


# --- Drift engine inputs: plain DataFrames, no database -------------------------------------
def target(model_id, target_id, weight, cls=None, sec=None, abs_band="5", rel_band="25"):
    return (model_id, target_id, cls, sec, weight, abs_band, rel_band)


def make_inputs(
    positions,
    accounts,
    households,
    targets,
    equivalents=(),
    stale_days=5,
) -> DriftInputs:
    """positions: (account_id, security_id, symbol, class_id, quantity, close, price_date);
    accounts: (account_id, household_id, model_id, cash); households: (household_id, model_id);
    targets: target(); equivalents: (target_id, sec)."""
    p = list(zip(*positions, strict=True)) if positions else [()] * 7
    t = list(zip(*targets, strict=True)) if targets else [()] * 7
    return DriftInputs(
        positions=pd.DataFrame(
            {
                "account_id": pd.Series(p[0], dtype="int64"),
                "security_id": pd.Series(p[1], dtype="int64"),
                "symbol": pd.Series(p[2], dtype="str"),
                "asset_class_id": pd.Series(p[3], dtype="int64"),
                "quantity": decimal_series(p[4], QUANTITY_TYPE),
                "close": decimal_series(p[5], CLOSE_TYPE),
                "price_date": pd.Series(p[6], dtype=pd.ArrowDtype(pa.date32())),
            }
        ),
        accounts=pd.DataFrame(
            {
                "account_id": pd.Series([a[0] for a in accounts], dtype="int64"),
                "household_id": pd.Series([a[1] for a in accounts], dtype="int64"),
                "model_id": pd.Series([a[2] for a in accounts], dtype="Int64"),
                "cash": decimal_series([a[3] for a in accounts], MONEY_TYPE),
            }
        ),
        households=pd.DataFrame(
            {
                "household_id": pd.Series([h[0] for h in households], dtype="int64"),
                "model_id": pd.Series([h[1] for h in households], dtype="Int64"),
            }
        ),
        targets=pd.DataFrame(
            {
                "model_id": pd.Series(t[0], dtype="int64"),
                "target_id": pd.Series(t[1], dtype="int64"),
                "asset_class_id": pd.Series(t[2], dtype="Int64"),
                "security_id": pd.Series(t[3], dtype="Int64"),
                "weight": decimal_series(t[4], PERCENT_TYPE),
                "abs_band": decimal_series(t[5], PERCENT_TYPE),
                "rel_band": decimal_series(t[6], PERCENT_TYPE),
            }
        ),
        equivalents=pd.DataFrame(
            {
                "target_id": pd.Series([e[0] for e in equivalents], dtype="int64"),
                "security_id": pd.Series([e[1] for e in equivalents], dtype="int64"),
            }
        ),
        cash_class_id=CASH,
        as_of=AS_OF,
        stale_days=stale_days,
    )


def row(frame: pd.DataFrame, id_: int) -> dict:
    """One output row as cells read back from the frame (a null cell reads as pd.NA; here
    None, as in to_records)."""
    i = frame.index[frame["id"] == id_][0]
    cells = {column: frame[column].iloc[i] for column in frame.columns}
    return {column: None if value is pd.NA else value for column, value in cells.items()}


# --- Servers a test starts (Redis, runserver) -----------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- A book for integration tests: N households on one all-large-cap model ----------------


def large_cap_book(
    firm: Firm,
    advisor: Membership,
    classes: dict[str, AssetClass],
    sec: Security,
    *,
    households: int,
    accounts_each: int = 1,
    prefix: str = "IH",
) -> ModelPortfolio:
    """Households ``{prefix}0…`` of ``advisor``, each with ``accounts_each`` taxable accounts
    holding h + 1 shares of ``sec`` and $100 cash; the model is 100% US large cap."""
    model = ModelPortfolio.objects.create(firm=firm, name="All large cap")
    Target.objects.create(
        firm=firm, model=model, asset_class=classes["us-large-cap"], weight=Decimal(100)
    )
    for h in range(households):
        household = Household.objects.create(
            firm=firm, name=f"{prefix}{h}", primary_advisor=advisor, model=model
        )
        for a in range(accounts_each):
            account = Account.objects.create(
                firm=firm,
                household=household,
                name=f"{prefix}{h} A{a}",
                registration="individual",
                tax_status="taxable",
                custodian="schwab",
                account_number=f"{prefix}-{h}-{a}",
                model=model,
                cash_balance=Decimal("100.00"),
            )
            TaxLot.objects.create(
                firm=firm,
                account=account,
                security=sec,
                quantity=Decimal(h + 1),
                cost_basis=Decimal("100.00"),
                acquired_on=dt.date(2024, 5, 1),
            )
    return model
