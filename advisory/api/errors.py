"""Every API error as JSON: ``{"detail": "...", "errors": {"field": ["message", ...]}}``.

DRF's own exceptions keep their status; Django's ``ValidationError`` is a 400,
``PermissionDenied`` a 403, ``Http404`` / ``ObjectDoesNotExist`` a 404, a database
``IntegrityError`` (a unique rule no validator foresaw) a 409, and the domain errors the
workflows raise are mapped by ``settings.BALLAST_API_DOMAIN_ERRORS`` (a conflict with the
object's state is a 409, bad input a 400), so bad input is never a 500. ``errors`` is
``{}`` when no field is to blame; errors not tied to one field are under
``"non_field_errors"``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from django.utils.module_loading import import_string
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

NON_FIELD = "non_field_errors"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the object's current state."
    default_code = "conflict"


class Unprocessable(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "The request cannot be processed."
    default_code = "unprocessable"


def _classes(kind: str) -> tuple[type[BaseException], ...]:
    """The domain errors of one kind ("conflict" or "bad_input"), named by dotted path in
    ``settings.BALLAST_API_DOMAIN_ERRORS`` (the apps' errors are wired in the settings, so
    this core module imports no feature app)."""
    found = []
    for path in settings.BALLAST_API_DOMAIN_ERRORS.get(kind, ()):
        try:
            found.append(import_string(path))
        except ImportError:
            continue  # an app without that error: nothing to map
    return tuple(found)


def _field_errors(detail: Any) -> dict[str, list[str]]:
    """DRF's nested detail → ``{field: [messages]}`` (nested fields joined with dots)."""
    out: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), item)
        elif isinstance(value, list) and value and all(isinstance(v, (dict, list)) for v in value):
            for index, item in enumerate(value):
                walk(f"{prefix}.{index}" if prefix else str(index), item)
        elif isinstance(value, list):
            out.setdefault(prefix or NON_FIELD, []).extend(str(v) for v in value)
        else:
            out.setdefault(prefix or NON_FIELD, []).append(str(value))

    walk("", detail)
    return out


def _from_django_validation(exc: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(exc, "error_dict"):
        detail: Any = {
            (NON_FIELD if field == "__all__" else field): [str(m) for e in errs for m in e]
            for field, errs in exc.error_dict.items()
        }
    else:
        detail = {NON_FIELD: [str(m) for m in exc.messages]}
    return exceptions.ValidationError(detail)


def translate(exc: Exception) -> Exception:
    """Django and domain errors → the DRF exception with the right status."""
    if isinstance(exc, DjangoValidationError):
        return _from_django_validation(exc)
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, (Http404, ObjectDoesNotExist)):
        return exceptions.NotFound(str(exc) or None)
    if isinstance(exc, IntegrityError):  # a unique rule the validation did not foresee
        return Conflict("This conflicts with an existing record.")
    if isinstance(exc, _classes("conflict")):
        return Conflict(str(exc) or None)
    if isinstance(exc, _classes("bad_input")):
        return exceptions.ValidationError({NON_FIELD: [str(exc)]})
    return exc


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    exc = translate(exc)
    response = exception_handler(exc, context)
    if response is None:
        return None  # a real bug: a 500, logged by Django
    detail = getattr(exc, "detail", None)
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(detail)
        first = next(iter(errors.values()), ["Invalid input."])
        message = first[0] if len(errors) == 1 and NON_FIELD in errors else "Invalid input."
        response.data = {"detail": message, "errors": errors}
    else:
        response.data = {"detail": str(detail) if detail is not None else str(exc), "errors": {}}
    return response
