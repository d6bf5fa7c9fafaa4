"""What the database is told under each ORM scope (no database needed)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django_scopes import scope, scopes_disabled

from advisory.db_security.firm_setting import setting_sql, wanted_setting
from advisory.tenancy import firm_scope


def test_no_scope_tells_nothing():
    assert wanted_setting() == ("", "")


def test_a_firm_scope_tells_its_id_by_object_or_by_id():
    with firm_scope(SimpleNamespace(pk=7)):
        assert wanted_setting() == ("7", "")
    with firm_scope(12):
        assert wanted_setting() == ("12", "")


def test_scopes_disabled_is_the_explicit_all_firms_marker_even_inside_a_firm():
    with firm_scope(7), scopes_disabled():
        assert wanted_setting() == ("", "on")
    with scopes_disabled(), firm_scope(7):
        assert wanted_setting() == ("7", "")


def test_a_scope_without_a_firm_tells_nothing():
    with scope(firm=None):
        assert wanted_setting() == ("", "")


def test_the_sql_is_transaction_local_and_refuses_anything_but_an_id():
    sql = setting_sql(("7", ""))
    assert "set_config('ballast.firm_id', '7', true)" in sql
    assert "set_config('ballast.all_firms', '', true)" in sql
    with pytest.raises(ValueError, match="not a firm id"):
        setting_sql(("7'; DROP TABLE x; --", ""))
