"""Model portfolios with versions: the service that writes them (:mod:`.service`), their
lines as values (:mod:`.lines`), the rules lines keep (:mod:`.validation`) and how a
proposal goes stale when its model moves on (:mod:`.staleness`)."""

from portfolios.model_versions.lines import (
    Line,
    LineChange,
    Names,
    compare,
    current_lines,
    lines_of,
    live_version,
    open_draft,
)
from portfolios.model_versions.retirement import followers, retire_model, unretire_model
from portfolios.model_versions.service import (
    create_model,
    discard_draft,
    ensure_live_version,
    make_draft_live,
    publish_version,
    save_draft,
)
from portfolios.model_versions.staleness import followed_version, model_staleness
from portfolios.model_versions.steps import ModelConflict, ModelError, ModelInUse
from portfolios.model_versions.validation import LinesInvalid, validate_lines

__all__ = [
    "Line",
    "LineChange",
    "LinesInvalid",
    "ModelConflict",
    "ModelError",
    "ModelInUse",
    "Names",
    "compare",
    "create_model",
    "current_lines",
    "discard_draft",
    "ensure_live_version",
    "followed_version",
    "followers",
    "lines_of",
    "live_version",
    "make_draft_live",
    "model_staleness",
    "open_draft",
    "publish_version",
    "retire_model",
    "save_draft",
    "unretire_model",
    "validate_lines",
]
