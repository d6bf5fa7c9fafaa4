"""System checks of the audit chain's configuration."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Tags, register

from .chain.keys import configuration_errors


@register(Tags.security)
def audit_keys_configured(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return [Error(msg, id="ballast.E010") for msg in configuration_errors(deploy=False)]


@register(Tags.security, deploy=True)
def audit_keys_explicit(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``check --deploy`` refuses the development key (and anything the plain check does)."""
    errors = configuration_errors(deploy=True)
    return [Error(msg, id="ballast.E011") for msg in errors if "development key" in msg]
