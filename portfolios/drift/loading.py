"""Loading one drift chunk from the database into :class:`portfolios.drift.engine.DriftInputs`.

On PostgreSQL a chunk's lots come out as one text value (``string_agg`` of
CSV lines: one protocol message, where ``COPY … TO STDOUT`` sends one per row
and psycopg spends a Python call on each) and are parsed by pyarrow's CSV
reader straight into exact decimal columns: no Python object per row. The
latest price, symbol and class of each security the chunk holds come from a
second, small query and are attached by a vectorised take. Elsewhere (the
SQLite demo) the same frames are built through the ORM, which is plenty for
a few hundred accounts.

Raw SQL bypasses the scoped managers, so every statement here filters on
``firm_id`` explicitly.
"""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from django.conf import settings
from django.db import connection

from advisory.db_security.firm_setting import raw_access
from advisory.models import Account, Firm, Household
from advisory.tenancy import firm_scope
from portfolios.drift.engine import CLOSE_TYPE, MONEY_TYPE, PERCENT_TYPE, QUANTITY_TYPE, DriftInputs
from portfolios.models import AssetClass, Security, Target, TargetEquivalent, TaxLot
from portfolios.pricing.sources import manual_source
from portfolios.valuation import latest_prices

CASH_CLASS_SLUG = "cash"

# Latest prices are looked up once per security (one index probe each),
# not once per lot. Manual prices count only for their own firm
# (``manual_source`` is "manual:<firm slug>"), as in valuation.visible_prices.
# POSITIONS_SQL is the same join over lots in one statement: the benchmark's
# raw-COPY baseline streams it.
_LATEST_PRICE = """
    SELECT p.close, p.date FROM portfolios_price p
    WHERE p.security_id = sec.id AND p.date <= %(as_of)s
      AND (p.source NOT LIKE 'manual%%' OR p.source = %(manual_source)s)
    ORDER BY p.date DESC, p.id DESC LIMIT 1
"""
POSITIONS_SQL = f"""
WITH px AS (
    SELECT sec.id AS security_id, p.close, p.date
    FROM portfolios_security sec CROSS JOIN LATERAL ({_LATEST_PRICE}) p
)
SELECT l.account_id, l.security_id, s.symbol, s.asset_class_id, l.quantity, px.close, px.date
FROM portfolios_taxlot l
JOIN advisory_account a ON a.id = l.account_id AND a.firm_id = l.firm_id
JOIN portfolios_security s ON s.id = l.security_id
LEFT JOIN px ON px.security_id = l.security_id
WHERE l.firm_id = %(firm)s AND l.quantity > 0
  AND a.household_id BETWEEN %(first)s AND %(last)s
"""  # noqa: S608  (constants only)
# A chunk's lots as CSV lines in one value (ids and decimals only: nothing to quote).
LOTS_SQL = """
SELECT string_agg(concat(l.account_id, ',', l.security_id, ',', l.quantity), E'\\n')
FROM portfolios_taxlot l
JOIN advisory_account a ON a.id = l.account_id AND a.firm_id = l.firm_id
WHERE l.firm_id = %(firm)s AND l.quantity > 0
  AND a.household_id BETWEEN %(first)s AND %(last)s
"""
SECURITIES_SQL = f"""
SELECT sec.id, sec.symbol, sec.asset_class_id, p.close, p.date
FROM portfolios_security sec LEFT JOIN LATERAL ({_LATEST_PRICE}) p ON true
WHERE sec.id = ANY(%(securities)s)
ORDER BY sec.id
"""  # noqa: S608  (constants only)
ACCOUNTS_SQL = """
SELECT a.id, a.household_id, a.model_id, a.cash_balance
FROM advisory_account a
WHERE a.firm_id = %(firm)s AND a.household_id BETWEEN %(first)s AND %(last)s
"""

_POSITION_SCHEMA = {
    "account_id": pa.int64(),
    "security_id": pa.int64(),
    "symbol": pa.string(),
    "asset_class_id": pa.int64(),
    "quantity": QUANTITY_TYPE,
    "close": CLOSE_TYPE,
    "price_date": pa.date32(),
}
_LOT_SCHEMA = {
    "account_id": pa.int64(),
    "security_id": pa.int64(),
    "quantity": QUANTITY_TYPE,
}
_SECURITY_SCHEMA = {
    "security_id": pa.int64(),
    "symbol": pa.string(),
    "asset_class_id": pa.int64(),
    "close": CLOSE_TYPE,
    "price_date": pa.date32(),
}
_ACCOUNT_SCHEMA = {
    "account_id": pa.int64(),
    "household_id": pa.int64(),
    "model_id": pa.int64(),
    "cash": MONEY_TYPE,
}


def cash_class_id() -> int:
    return AssetClass.objects.only("pk").get(slug=CASH_CLASS_SLUG).pk


def load_chunk(firm_id: int, as_of: dt.date, first: int, last: int) -> DriftInputs:
    """Everything the drift engine needs for households ``first``..``last`` of a firm."""
    with firm_scope(firm_id):
        if connection.vendor == "postgresql":
            slug = Firm.objects.values_list("slug", flat=True).get(pk=firm_id)
            params = {
                "firm": firm_id,
                "first": first,
                "last": last,
                "as_of": as_of,
                "manual_source": manual_source(slug),
            }
            positions = _positions_frame(params)
            accounts = _copy_frame(ACCOUNTS_SQL, params, _ACCOUNT_SCHEMA)
        else:
            positions, accounts = _orm_frames(firm_id, as_of, first, last)
        households = _households_frame(first, last)
        targets, equivalents = _target_frames()
    return DriftInputs(
        positions=positions,
        accounts=accounts,
        households=households,
        targets=targets,
        equivalents=equivalents,
        cash_class_id=cash_class_id(),
        as_of=as_of,
        stale_days=settings.BALLAST_PRICE_STALE_DAYS,
    )


def _positions_frame(params: dict) -> pd.DataFrame:
    """Lots × (symbol, class, latest price) of a chunk, in the columns of _POSITION_SCHEMA."""
    with raw_access(), connection.cursor() as cursor:
        cursor.execute(LOTS_SQL, params)
        text = cursor.fetchone()[0]
        if text is None:  # no lots: pyarrow refuses an empty file
            return _arrow_frame([], _POSITION_SCHEMA)
        lots = pacsv.read_csv(
            io.BytesIO(text.encode()),
            read_options=pacsv.ReadOptions(column_names=list(_LOT_SCHEMA)),
            convert_options=pacsv.ConvertOptions(column_types=_LOT_SCHEMA),
        )
        held = pc.unique(lots["security_id"]).to_pylist()  # thousands at most
        cursor.execute(SECURITIES_SQL, {**params, "securities": held})
        securities = _arrow_table(cursor.fetchall(), _SECURITY_SCHEMA)
    at = pc.index_in(lots["security_id"], value_set=securities["security_id"])
    columns = {name: lots[name] for name in _LOT_SCHEMA}
    columns |= {name: securities[name].take(at) for name in _SECURITY_SCHEMA}
    table = pa.table({name: columns[name] for name in _POSITION_SCHEMA})
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def _copy_frame(sql: str, params: dict, schema: dict[str, pa.DataType]) -> pd.DataFrame:
    """Stream a query out with COPY and parse it with pyarrow (exact decimals).

    Chunks go into a BytesIO as they arrive: collecting them in a list and
    joining was several times slower (docs/benchmarks.md).
    """
    buffer = io.BytesIO()
    # raw_access: psycopg's COPY passes Django's execute wrappers, so the firm setting that
    # row-level security reads must be in place in this transaction first.
    with raw_access(), connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)", params) as copy:
            for block in copy:
                buffer.write(block)
    if not buffer.tell():  # no rows: pyarrow refuses an empty file
        return _arrow_frame([], schema)
    buffer.seek(0)
    table = pacsv.read_csv(
        buffer,
        read_options=pacsv.ReadOptions(column_names=list(schema)),
        convert_options=pacsv.ConvertOptions(column_types=schema, strings_can_be_null=False),
    )
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def _arrow_table(rows: list[tuple], schema: dict[str, pa.DataType]) -> pa.Table:
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in schema]
    return pa.table(
        {
            name: pa.array(list(col), type=kind)
            for (name, kind), col in zip(schema.items(), columns, strict=True)
        }
    )


def _arrow_frame(rows: list[tuple], schema: dict[str, pa.DataType]) -> pd.DataFrame:
    return _arrow_table(rows, schema).to_pandas(types_mapper=pd.ArrowDtype)


def _orm_frames(
    firm_id: int, as_of: dt.date, first: int, last: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    lots = list(
        TaxLot.objects.filter(
            account__household_id__gte=first, account__household_id__lte=last, quantity__gt=0
        ).values_list("account_id", "security_id", "quantity")
    )
    securities = Security.objects.in_bulk({s for _, s, _ in lots})
    prices = latest_prices(securities, as_of, firm_id)
    rows = []
    for account_id, security_id, quantity in lots:
        price = prices.get(security_id)
        sec = securities[security_id]
        rows.append(
            (
                account_id,
                security_id,
                sec.symbol,
                sec.asset_class_id,
                quantity,
                price.close if price else None,
                price.date if price else None,
            )
        )
    accounts = list(
        Account.objects.filter(household_id__gte=first, household_id__lte=last).values_list(
            "pk", "household_id", "model_id", "cash_balance"
        )
    )
    return _arrow_frame(rows, _POSITION_SCHEMA), _arrow_frame(accounts, _ACCOUNT_SCHEMA)


def _households_frame(first: int, last: int) -> pd.DataFrame:
    rows = list(Household.objects.filter(pk__gte=first, pk__lte=last).values_list("pk", "model_id"))
    return _arrow_frame(rows, {"household_id": pa.int64(), "model_id": pa.int64()})


def _target_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    targets = list(
        Target.objects.values_list(
            "model_id", "pk", "asset_class_id", "security_id", "weight", "abs_band", "rel_band"
        )
    )
    equivalents = list(TargetEquivalent.objects.values_list("target_id", "security_id"))
    target_schema = {
        "model_id": pa.int64(),
        "target_id": pa.int64(),
        "asset_class_id": pa.int64(),
        "security_id": pa.int64(),
        "weight": PERCENT_TYPE,
        "abs_band": PERCENT_TYPE,
        "rel_band": PERCENT_TYPE,
    }
    return (
        _arrow_frame(targets, target_schema),
        _arrow_frame(equivalents, {"target_id": pa.int64(), "security_id": pa.int64()}),
    )
