"""The request body limit of import uploads, enforced before Django spools the file.

Two walls. First the declared ``Content-Length`` is checked before anything
reads the body: a larger request is answered 413 without reading a byte.
Then :class:`BoundedUploadHandler` counts the file bytes as they arrive and
stops the upload past the limit, for bodies whose length was not declared
(chunked) or lied about. Django's own ``DATA_UPLOAD_MAX_MEMORY_SIZE`` already
bounds the non-file fields.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from portfolios.imports.csv_rows import MAX_FILE_BYTES

# Room for the multipart boundaries, part headers and the small form fields.
MULTIPART_OVERHEAD = 64 * 1024
MAX_FILE_UPLOAD = MAX_FILE_BYTES
MAX_REQUEST_BYTES = MAX_FILE_BYTES + MULTIPART_OVERHEAD

View = Callable[..., HttpResponse]


def declared_length(request: HttpRequest) -> int:
    """The request's Content-Length (0 when missing or malformed: Django then reads nothing)."""
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


class BoundedUploadHandler(FileUploadHandler):
    """Counts a request's file bytes and stops the upload once they pass ``limit``."""

    def __init__(self, request: HttpRequest | None = None, limit: int | None = None) -> None:
        super().__init__(request)
        self.limit = MAX_FILE_UPLOAD if limit is None else limit
        self.received = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            # connection_reset: Django stops reading the body instead of draining it.
            raise StopUpload(connection_reset=True)
        return raw_data  # the next handler (memory or temporary file) keeps it

    def file_complete(self, file_size: int) -> None:
        return None


def too_large(request: HttpRequest) -> HttpResponse:
    limit_mb = MAX_FILE_BYTES // (1024 * 1024)
    context = {"limit_mb": limit_mb}
    return render(request, "portfolios/import_too_large.html", context, status=413)


def bounded_upload(view: View) -> View:
    """Refuse an oversized import upload (413) before Django parses or spools it.

    CSRF is checked after the size (the CSRF middleware would otherwise parse the
    whole body to find the token), by ``csrf_protect`` around ``view``.
    """
    protected = csrf_protect(view)

    @csrf_exempt
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST":
            if declared_length(request) > MAX_REQUEST_BYTES:
                return too_large(request)
            handler = BoundedUploadHandler(request, limit=MAX_FILE_UPLOAD)
            request.upload_handlers.insert(0, handler)
            request.POST  # noqa: B018 (parse now, under the handler's limit)
            if handler.exceeded:
                return too_large(request)
        return protected(request, *args, **kwargs)

    return wrapped
