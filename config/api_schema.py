"""How the API's authentication appears in the OpenAPI schema (drf-spectacular extensions).

drf-spectacular documents an authentication class only through an extension naming it; the
classes live in advisory/api/authentication.py. Imported by config/api_docs_urls.py, so the
extensions are registered before any schema is generated.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "advisory.api.authentication.TokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "blt_…",
            "description": (
                "A personal API token made on /auth/api-tokens/ (shown once). It acts with its "
                "user's role in its firm; a read-only token cannot write."
            ),
        }


class BrowserSessionScheme(OpenApiAuthenticationExtension):
    target_class = "advisory.api.authentication.SessionAuthentication"
    name = "cookieAuth"
    priority = 1  # before drf-spectacular's own (a parent class of this one)

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "The browser's login session; unsafe methods need the CSRF header.",
        }


# --- The error responses every operation can give (advisory/api/errors.py's shape) ----------

ERROR_COMPONENT = "ApiError"
ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error: a message, and the messages per field (empty when no field is "
    "to blame; errors of the whole request under `non_field_errors`).",
    "properties": {
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["detail", "errors"],
    "example": {"detail": "Invalid input.", "errors": {"mode": ['"x" is not a valid choice.']}},
}
# Status → what it means; added to an operation that does not describe that status itself.
COMMON_ERRORS = {
    "400": "Bad input (a bad filter, cursor or body): the messages per field.",
    "401": "No credentials, or a wrong, expired or revoked token.",
    "403": "Your role (or a read-only token) cannot do this.",
    "404": "No such object in your firm (another firm's ids are never found).",
    "429": "Too many requests for this token or user: retry after the Retry-After header.",
}
UNSAFE_ERRORS = {
    "409": "The request conflicts with the object's current state (e.g. a workflow step "
    "that is no longer possible).",
    "415": "The body's content type is not accepted.",
}
UNSAFE_METHODS = {"post", "put", "patch", "delete"}


def add_error_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: document the JSON errors of advisory/api/errors.py
    on every operation, so clients (and the schemathesis run) know every status they can get."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault(ERROR_COMPONENT, ERROR_SCHEMA)
    ref = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            wanted = dict(COMMON_ERRORS)
            if method in UNSAFE_METHODS:
                wanted.update(UNSAFE_ERRORS)
            for code, description in wanted.items():
                operation["responses"].setdefault(
                    code,
                    {"description": description, "content": {"application/json": {"schema": ref}}},
                )
    return result
