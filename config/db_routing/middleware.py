"""Mark read-only requests for the replica router, with read-your-writes (issue 15).

A GET or HEAD request reads from the replica (:mod:`.router` decides, per query, whether the
replica is usable) unless its browser wrote within ``BALLAST_READ_YOUR_WRITES_S`` seconds. A
request with any other method sets a signed cookie with the time, so the pages that follow show
what the user just did even while the replica is still replaying it. (A GET's own writes, the
audit trail's "viewed" events, are not read back and set nothing.) A cookie rather than the
session: the session is a database row, and reading it to decide where to read would cost a
primary query on every page anyway.

Placed last in ``MIDDLEWARE``: the session, the user and the firm scope are read before it, from
the primary (the router keeps authentication and session state there in any case). A streamed
body (the audit trail's exports) is read after the middleware returns: it is marked again while
it streams.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse

from . import router

COOKIE = "ballast_wrote"
SALT = "config.db_routing.read-your-writes"
READ_METHODS = frozenset({"GET", "HEAD"})


def wrote_recently(request: HttpRequest) -> bool:
    """Whether this browser wrote within the read-your-writes window (a valid signed cookie)."""
    window = settings.BALLAST_READ_YOUR_WRITES_S
    value = request.get_signed_cookie(COOKIE, default=None, salt=SALT, max_age=window)
    if value is None:
        return False
    try:
        return time.time() - float(value) < window
    except ValueError:
        return False


def remember_write(response: HttpResponse) -> None:
    window = settings.BALLAST_READ_YOUR_WRITES_S
    response.set_signed_cookie(
        COOKIE,
        f"{time.time():.3f}",
        salt=SALT,
        max_age=max(int(window) + 1, 1),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


class ReplicaReadsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not router.replica_configured():
            return self.get_response(request)
        if request.method not in READ_METHODS:
            response = self.get_response(request)
            remember_write(response)
            return response
        if wrote_recently(request):
            return self.get_response(request)
        with router.page_reads():
            response = self.get_response(request)
        # A streamed body (an export) is read after this returns. A file (a report's PDF)
        # reads no rows, and keeps the server's sendfile path.
        if response.streaming and not isinstance(response, FileResponse):
            response.streaming_content = _page_reads(response.streaming_content)
        return response


def _page_reads(chunks: Iterable[bytes]) -> Iterator[bytes]:
    with router.page_reads():
        yield from chunks
