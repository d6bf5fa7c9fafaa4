"""Enumerate every route in the URLconf, with its parameter names."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Route:
    pattern: str
    name: str | None
    params: tuple[str, ...]
    regex_parts: tuple[object, ...]  # the pattern objects, outermost first


def _params(pattern: object) -> list[str]:
    return list(pattern.regex.groupindex)  # works for path() and re_path()


def walk(
    patterns: list | None = None,
    prefix: str = "",
    namespace: str | None = None,
    parts: tuple = (),
) -> Iterator[Route]:
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace
            full_ns = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from walk(
                entry.url_patterns, prefix + str(entry.pattern), full_ns, (*parts, entry.pattern)
            )
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            all_parts = (*parts, entry.pattern)
            params = tuple(p for part in all_parts for p in _params(part))
            yield Route(prefix + str(entry.pattern), name, params, all_parts)


def build_path(route: Route, kwargs: dict[str, str]) -> str:
    """Fill a route's parameters without reverse() (some routes have no name)."""
    import re

    path = ""
    for part in route.regex_parts:
        text = str(part)
        if hasattr(part, "converters") and part.converters:
            for param in part.converters:
                text = re.sub(rf"<(?:\w+:)?{param}>", str(kwargs[param]), text)
        elif getattr(part, "regex", None) is not None and part.regex.groupindex:
            for param in part.regex.groupindex:
                text = re.sub(rf"\(\?P<{param}>[^)]*\)[*+?]?", str(kwargs[param]), text)
        text = text.lstrip("^").rstrip("$")
        path += text
    return "/" + path
