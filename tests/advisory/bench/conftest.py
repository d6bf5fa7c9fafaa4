"""Benchmarks are platform operators' commands: they run as the owner role, never as the
application role (docs/deploy.md, "Database roles")."""

import pytest


@pytest.fixture(autouse=True)
def _runs_as_owner(platform_operator):
    yield
