"""File imports: shared CSV validation (``csv_rows``) and custodian position files."""

from portfolios.imports.csv_rows import MAX_FILE_BYTES, ImportResult, RowError
from portfolios.imports.positions import POSITION_PRESETS, PositionMapping, import_positions

__all__ = [
    "MAX_FILE_BYTES",
    "POSITION_PRESETS",
    "ImportResult",
    "PositionMapping",
    "RowError",
    "import_positions",
]
