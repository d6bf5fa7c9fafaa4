"""Presets for Schwab-, Fidelity- and Pershing-style position files.

ILLUSTRATIVE: these layouts are modelled on the kind of export each custodian
offers (title lines, money written ``$1,234.56``, cost per share or in total, a
trailing total row), not on their published file specifications, which have
not been checked. Until someone checks each against its custodian's current
specification, a firm should confirm the preview of its first file with
care, or save its own column mapping (:mod:`portfolios.imports.mappings`).
The sample files in ``tests/portfolios/custodian_files/data/`` show what each
preset reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from portfolios.imports.layout import (
    COST_PER_SHARE,
    COST_TOTAL,
    NUMBERS_FORMATTED,
    PositionMapping,
)

ILLUSTRATIVE = "illustrative until checked against the custodian's specification"


@dataclass(frozen=True)
class Preset:
    """A named layout with the words the import form and the docs show."""

    key: str
    label: str
    mapping: PositionMapping
    custodian: str = ""  # advisory.models.Custodian value; "" for the generic layouts
    illustrative: bool = False
    notes: str = ""


CUSTODIAN_PRESETS: dict[str, Preset] = {
    "schwab": Preset(
        key="schwab",
        label="Schwab-style",
        custodian="schwab",
        illustrative=True,
        notes=(
            "Title line before the header; money as $1,234.56; total cost per lot; "
            "“Cash & Cash Investments” and “Account Total” rows skipped; dates MM/DD/YYYY."
        ),
        mapping=PositionMapping(
            account_number="Account Number",
            symbol="Symbol",
            quantity="Quantity",
            cost_basis="Cost Basis",
            acquired_date="Date Acquired",
            custodian="",
            owners="",
            date_format="%m/%d/%Y",
            cost=COST_TOTAL,
            numbers=NUMBERS_FORMATTED,
            header_search=True,
            extra_columns=True,
            summary_markers=("account total", "cash & cash investments", "total"),
        ),
    ),
    "fidelity": Preset(
        key="fidelity",
        label="Fidelity-style",
        custodian="fidelity",
        illustrative=True,
        notes=(
            "Cost per share (the lot's cost is quantity × it, rounded to the cent); money as "
            "$1,234.56; disclaimer lines after the table skipped; dates like Mar-01-2024."
        ),
        mapping=PositionMapping(
            account_number="Account Number",
            symbol="Symbol",
            quantity="Quantity",
            cost_basis="Average Cost Basis",
            acquired_date="Date Acquired",
            custodian="",
            owners="",
            date_format="%b-%d-%Y",
            cost=COST_PER_SHARE,
            numbers=NUMBERS_FORMATTED,
            extra_columns=True,
            summary_markers=("total", "pending activity"),
        ),
    ),
    "pershing": Preset(
        key="pershing",
        label="Pershing-style",
        custodian="pershing",
        illustrative=True,
        notes=(
            "Capitalised headers; numbers with thousands separators and (parentheses) for "
            "negatives; a trailing TOTAL row skipped; dates YYYYMMDD."
        ),
        mapping=PositionMapping(
            account_number="ACCOUNT NO",
            symbol="SYMBOL",
            quantity="QUANTITY",
            cost_basis="TOTAL COST",
            acquired_date="TRADE DATE",
            custodian="",
            owners="",
            date_format="%Y%m%d",
            cost=COST_TOTAL,
            numbers=NUMBERS_FORMATTED,
            extra_columns=True,
            summary_markers=("total",),
        ),
    ),
}
