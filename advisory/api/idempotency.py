"""``Idempotency-Key`` on POSTs that create: a retried request gets the first answer.

The first request with a key inserts an :class:`~advisory.models.IdempotencyRecord` (unique
per firm, user and key) in the same transaction as the create, then stores the response's
status and body in it. A concurrent retry's insert waits on the unique index until the first
commits, then reads the stored answer, so two racing requests still make one object. A retry
with the same key but another method, path or body is refused with 422; a failed create
(an error response) rolls the record back with everything else, so it can be retried.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from advisory.models import IdempotencyRecord

from .errors import Conflict, Unprocessable

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def _canonical(value: Any) -> Any:
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file": value.name, "sha256": digest.hexdigest()}
    if hasattr(value, "lists"):  # a QueryDict: keep repeated keys
        return {k: [_canonical(v) for v in vs] for k, vs in sorted(value.lists())}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def request_digest(request: Request) -> str:
    """SHA-256 of the parsed body in a canonical form (key order and encoding do not count)."""
    body = {"data": _canonical(request.data), "files": _canonical(request.FILES)}
    encoded = json.dumps(body, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


class IdempotentCreateMixin:
    """Put before ``CreateModelMixin`` (or on any view with a ``create``)."""

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER, "").strip()
        if not key:
            return super().create(request, *args, **kwargs)  # type: ignore[misc]
        if len(key) > MAX_KEY_LENGTH:
            raise Unprocessable(f"{HEADER} is longer than {MAX_KEY_LENGTH} characters.")
        digest = request_digest(request)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(
                        firm=request.firm,
                        user=request.user,
                        key=key,
                        method=request.method,
                        path=request.path[:500],
                        request_digest=digest,
                    )
            except IntegrityError:
                return self._replay(request, key, digest)
            response = super().create(request, *args, **kwargs)  # type: ignore[misc]
            if response.status_code >= 400:
                transaction.set_rollback(True)
                return response
            record.status_code = response.status_code
            record.response = json.loads(JSONRenderer().render(response.data) or b"null")
            record.save(update_fields=["status_code", "response"])
        return response

    def _replay(self, request: Request, key: str, digest: str) -> Response:
        record = IdempotencyRecord.objects.get(user=request.user, key=key)
        if (
            record.method != request.method
            or record.path != request.path[:500]
            or record.request_digest != digest
        ):
            raise Unprocessable(f"This {HEADER} was used with a different request.")
        if record.status_code is None:
            raise Conflict(f"A request with this {HEADER} is still in progress.")
        return Response(
            record.response,
            status=record.status_code or status.HTTP_200_OK,
            headers={"Idempotent-Replayed": "true"},
        )
