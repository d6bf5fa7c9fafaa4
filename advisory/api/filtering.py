"""Small filter backends: each view names its query parameters and how each is parsed.

``filter_params = {"household": Param("household_id", int)}``: ``?household=12`` filters
``household_id=12``; a value that does not parse is a 400 naming the parameter, never a 500
and never silently ignored. Ordering is DRF's ``OrderingFilter`` on ``ordering_fields``
(the cursor keeps ``pk`` as tie-breaker).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from rest_framework import filters
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

MAX_ID = 2**63 - 1


def positive_id(raw: str) -> int:
    value = int(raw)
    if not 1 <= value <= MAX_ID:
        raise ValueError("not an id")
    return value


def iso_date(raw: str) -> dt.date:
    return dt.date.fromisoformat(raw)


def boolean(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise ValueError("not a boolean")


def text(raw: str) -> str:
    if len(raw) > 200 or "\x00" in raw:
        raise ValueError("too long")
    return raw


@dataclass(frozen=True)
class Param:
    lookup: str
    parse: Callable[[str], Any] = text
    help: str = ""
    schema_type: str = "string"  # for the OpenAPI document: string, integer, boolean, date

    def message(self, name: str) -> str:
        kinds = {"integer": "a positive whole number", "boolean": "true or false",
                 "date": "a date, YYYY-MM-DD"}  # fmt: skip
        return f"{name} must be {kinds.get(self.schema_type, 'at most 200 characters')}."


def id_param(lookup: str, help: str = "") -> Param:
    return Param(lookup, positive_id, help, "integer")


class ParamFilter(filters.BaseFilterBackend):
    def filter_queryset(self, request: Request, queryset: QuerySet, view: Any) -> QuerySet:
        params: dict[str, Param] = getattr(view, "filter_params", {})
        errors: dict[str, list[str]] = {}
        for name, param in params.items():
            raw = request.query_params.get(name, "").strip()
            if not raw:
                continue
            try:
                value = param.parse(raw)
            except (ValueError, OverflowError):
                errors[name] = [param.message(name)]
                continue
            queryset = queryset.filter(**{param.lookup: value})
        if errors:
            raise ValidationError(errors)
        return queryset

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        out = []
        for name, param in getattr(view, "filter_params", {}).items():
            schema: dict[str, Any] = {"type": param.schema_type}
            if param.schema_type == "date":
                schema = {"type": "string", "format": "date"}
            out.append(
                {
                    "name": name,
                    "required": False,
                    "in": "query",
                    "description": param.help or f"Filter on {param.lookup}.",
                    "schema": schema,
                }
            )
        return out


class Ordering(filters.OrderingFilter):
    """``?ordering=name`` / ``-name``; an unknown field is ignored (DRF's rule), so the
    default order stays."""
