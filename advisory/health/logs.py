"""Structured logs: every record carries the request id, and production writes one JSON
object per line.

The request id is the one advisory's ``RequestContextMiddleware`` already gives each request
(generated there, echoed in the ``X-Request-ID`` response header, kept in a context
variable for the audit trail). A caller's own ``X-Request-ID``, when sane, is logged beside
it as ``client_request_id``, so a proxy's id finds our lines without anyone outside choosing
the ids the audit trail carries.
"""

from __future__ import annotations

import logging
import re

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from advisory.request_context import current_actor

# advisory.middleware's rule for a sane client id (that module cannot be imported here:
# logging is configured before the apps, and it imports models).
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
JSON_FIELDS = "{asctime}{levelname}{name}{message}{request_id}{client_request_id}"


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` and ``client_request_id`` ("-" outside a request).

    Django logs a 4xx or 5xx response after the middleware has returned, outside the
    request's context: such a record carries the request itself, whose id is used instead.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        actor = current_actor()
        request_id, client_id = actor.request_id, actor.client_request_id
        request = getattr(record, "request", None)
        if not request_id and request is not None:
            request_id = getattr(request, "request_id", "")
            supplied = getattr(request, "META", {}).get("HTTP_X_REQUEST_ID", "")
            client_id = supplied if REQUEST_ID_RE.match(supplied) else ""
        record.request_id = request_id or "-"
        record.client_request_id = client_id or "-"
        return True


def json_formatter() -> logging.Formatter:
    """The JSON formatter LOGGING names (``"()"``): time, level, logger, message, ids, and
    any ``extra`` fields a caller passes."""
    return JsonFormatter(
        JSON_FIELDS,
        style="{",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        timestamp=False,
        # Django's request records carry the request object: its id is logged, not its repr.
        reserved_attrs=[*RESERVED_ATTRS, "request"],
    )
