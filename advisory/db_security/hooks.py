"""Wiring: the firm setting on every PostgreSQL connection, and row-level security (plus the
app role's grants) brought up to date after every ``migrate``."""

from __future__ import annotations

import logging
from typing import Any

from django.db import connections
from django.db.models.signals import post_migrate

from . import firm_setting, roles, row_security

log = logging.getLogger("ballast.db_security")


def after_migrate(sender: Any, using: str = "default", verbosity: int = 1, **kwargs: Any) -> None:
    """Cover every firm-owned table with row-level security; grant the app role (if it exists
    yet: ``manage.py dbroles`` creates it) its privileges on the new tables."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    done = row_security.install(connection)
    app = roles.configured_roles().app
    if roles.role_exists(connection, app) and not roles.is_current_role(connection, app):
        roles.grant_app_privileges(connection, app)
    if verbosity >= 1:
        for line in done:
            log.info("row-level security: %s", line)


def connect(app_config: Any) -> None:
    firm_setting.connect()
    post_migrate.connect(after_migrate, sender=app_config, dispatch_uid="ballast-row-security")
