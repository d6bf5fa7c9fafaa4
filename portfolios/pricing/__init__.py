"""Prices: sources (CSV files, the bundled sample, manual entry) and the importer."""

from portfolios.imports.csv_rows import ImportResult, RowError
from portfolios.pricing.importer import import_prices
from portfolios.pricing.manual import enter_price
from portfolios.pricing.sources import (
    GENERIC,
    PRESETS,
    ColumnMapping,
    CsvPriceSource,
    ManualPriceSource,
    PriceSource,
    SamplePriceSource,
)

__all__ = [
    "GENERIC",
    "PRESETS",
    "ColumnMapping",
    "CsvPriceSource",
    "ImportResult",
    "ManualPriceSource",
    "PriceSource",
    "RowError",
    "SamplePriceSource",
    "enter_price",
    "import_prices",
]
