"""Query-string filters of the portfolio resources: parsed strictly, a bad value is a 400
naming the parameter (never a 500, never silently ignored)."""

from __future__ import annotations

import datetime as dt

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

MAX_ID = 2**63 - 1
# Ids in paths: at most 18 digits, so no id overflows a bigint (a 404, never a 500).
ID_PATTERN = r"[0-9]{1,18}"


def int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: [f"{name} must be a whole number."]}) from None
    if not 1 <= value <= MAX_ID:
        raise ValidationError({name: [f"{name} must be a positive id."]})
    return value


def date_param(request: Request, name: str) -> dt.date | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValidationError({name: [f"{name} must be a date, YYYY-MM-DD."]}) from None


def choice_param(request: Request, name: str, choices: list[str]) -> str | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    if raw not in choices:
        raise ValidationError({name: [f"{name} must be one of {', '.join(choices)}."]})
    return raw


def text_param(request: Request, name: str, max_length: int = 40) -> str | None:
    raw = (request.query_params.get(name) or "").strip()
    if not raw:
        return None
    if len(raw) > max_length or "\x00" in raw:
        raise ValidationError({name: [f"{name} is not a valid value."]})
    return raw


def id_filter(name: str, what: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.INT, description=f"Only {what}.")


def date_filter(name: str, what: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.DATE, description=what)


def choice_filter(name: str, choices: list[str], what: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.STR, enum=choices, description=what)
