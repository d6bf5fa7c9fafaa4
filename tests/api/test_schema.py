"""The OpenAPI schema: generated without a warning, valid, and covering every /api/v1/ route
with words or an example for each operation (a route added later is checked as it lands)."""

from __future__ import annotations

import json
import re

import pytest
from django.core.management import call_command
from django.test import Client

from tests.api.harness import API_PREFIX, METHODS, api_schema
from tests.urlwalk import build_path, walk


def api_routes() -> list[str]:
    """Every /api/v1/ route of the URLconf as a path template with ``{}`` for parameters."""
    found = set()
    for route in walk():
        if "format" in route.params:  # DRF's ``.json`` suffix twins of the same views
            continue
        path = build_path(route, {p: "{" + p + "}" for p in route.params})
        if not path.startswith(API_PREFIX) or path == API_PREFIX:  # the router's index page
            continue
        if path.endswith(".*"):  # the JSON 404 for any other /api/v1/ address
            continue
        found.add(template(path))
    return sorted(found)


def template(path: str) -> str:
    return re.sub(r"{\w+}", "{}", path)


def test_schema_generates_valid_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    # --fail-on-warn turns any warning drf-spectacular emits (an unresolvable serializer,
    # a path parameter of unknown type, a missing extension) into a failure.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "title: Ballast API" in text
    assert "bearerAuth" in text


def test_there_is_an_api():
    assert len(api_routes()) >= 5


def test_every_api_route_is_in_the_schema():
    documented = {template(p) for p in api_schema()["paths"]}
    missing = [p for p in api_routes() if p not in documented]
    assert not missing, "routes missing from the schema:\n" + "\n".join(missing)


def _has_example(spec: dict) -> bool:
    bodies = [spec.get("requestBody", {}), *spec.get("responses", {}).values()]
    for body in bodies:
        for media in body.get("content", {}).values():
            if media.get("examples") or media.get("example") is not None:
                return True
    return False


def test_every_operation_is_described_or_has_an_example():
    bare = []
    operations = 0
    for path, item in api_schema()["paths"].items():
        for method in METHODS:
            spec = item.get(method)
            if spec is None:
                continue
            operations += 1
            if not (spec.get("description", "").strip() or _has_example(spec)):
                bare.append(f"{method.upper()} {path}")
            if not spec.get("summary") and not spec.get("description"):
                bare.append(f"{method.upper()} {path} (no summary)")
    assert operations >= 5
    assert not bare, "operations with neither a description nor an example:\n" + "\n".join(bare)


def test_every_operation_documents_its_errors():
    """The JSON error shape (config/api_schema.py) is on every operation: a client (and the
    schemathesis run) knows each status it can get."""
    for path, item in api_schema()["paths"].items():
        for method in METHODS:
            if method in item:
                for code in ("400", "401", "403", "404"):
                    assert code in item[method]["responses"], f"{method} {path} lacks {code}"


@pytest.mark.django_db
def test_schema_and_docs_are_served(client: Client):
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    assert schema["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert json.loads(schema.content)["info"]["title"] == "Ballast API"
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    body = docs.content.decode()
    # Vendored assets from our own static files, started by our own script: no CDN, nothing
    # inline for the Content-Security-Policy to refuse.
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in body
    assert "/static/js/api-docs.js" in body
    assert "<style" not in body
    assert not re.search(r"<script(?![^>]*\bsrc=)", body)
    assert "https://" not in body
    assert "script-src 'self'" in docs["Content-Security-Policy"]
