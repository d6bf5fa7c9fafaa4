"""Row-level security, the second wall: raw SQL with the ORM's scope out of the way still sees
only the firm PostgreSQL was told about, and nothing at all when it was told nothing."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django_scopes import scopes_disabled

from advisory.db_security.row_security import POLICY_NAME, firm_tables
from advisory.models import Household
from advisory.tenancy import firm_owned_models, firm_scope

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's RLS")


def _firms_seen() -> dict[str, set[int]]:
    """Every firm-owned table's distinct firm ids, by raw SQL (no ORM scope involved)."""
    seen = {}
    with connection.cursor() as cursor:
        for ft in firm_tables():
            cursor.execute(f"SELECT DISTINCT {ft.firm_column} FROM {ft.table}")  # noqa: S608
            seen[ft.table] = {row[0] for row in cursor.fetchall()}
    return seen


def test_every_firm_owned_model_has_forced_row_security_and_the_policy(db):
    tables = {m._meta.db_table for m in firm_owned_models()}
    assert tables == {ft.table for ft in firm_tables()}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_policy p ON p.polrelid = c.oid "
            "WHERE c.relrowsecurity AND c.relforcerowsecurity AND p.polname = %s",
            [POLICY_NAME],
        )
        covered = {row[0] for row in cursor.fetchall()}
    assert tables <= covered


def test_the_suite_runs_as_the_application_role(db, settings):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
        assert cursor.fetchone() == (settings.BALLAST_DB_APP_ROLE, False, False)


def test_raw_sql_in_a_firm_a_transaction_sees_no_firm_b_row(world_a, world_b):
    a, b = world_a.firm.pk, world_b.firm.pk
    with scopes_disabled():
        everything = _firms_seen()
    assert {a, b} <= everything[Household._meta.db_table]  # both firms' rows are there
    with firm_scope(world_a.firm), transaction.atomic():
        seen = _firms_seen()
    assert seen[Household._meta.db_table] == {a}
    assert all(firms <= {a} for firms in seen.values()), seen


def test_with_no_firm_set_every_tenant_table_reads_empty(world_a, world_b):
    with scopes_disabled():
        assert sum(len(firms) for firms in _firms_seen().values()) > 10
    with connection.cursor() as cursor:
        for ft in firm_tables():
            cursor.execute(f"SELECT count(*) FROM {ft.table}")  # noqa: S608
            assert cursor.fetchone()[0] == 0, ft.table
    # The ORM's unscoped base manager (the first wall bypassed) fares no better.
    assert Household._base_manager.count() == 0


def test_a_write_into_another_firm_is_refused(world_a, world_b):
    household = world_a.household
    with (
        firm_scope(world_a.firm),
        pytest.raises(DatabaseError, match="row-level security"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE advisory_household SET firm_id = %s WHERE id = %s",
            [world_b.firm.pk, household.pk],
        )
    with firm_scope(world_b.firm):
        assert not Household.objects.filter(pk=household.pk).exists()


def test_a_scope_change_inside_one_transaction_is_followed(world_a, world_b):
    with transaction.atomic():
        with firm_scope(world_a.firm):
            assert set(Household._base_manager.values_list("firm_id", flat=True)) == {
                world_a.firm.pk
            }
        with firm_scope(world_b.firm):
            assert set(Household._base_manager.values_list("firm_id", flat=True)) == {
                world_b.firm.pk
            }
        assert Household._base_manager.count() == 0


def test_a_savepoint_rollback_does_not_leave_a_stale_firm_behind(world_a, world_b):
    """A savepoint rolled back undoes the setting made inside it; the next query must not
    trust what it sent before."""
    with firm_scope(world_a.firm), transaction.atomic():
        assert Household._base_manager.exists()
        with firm_scope(world_b.firm):
            with pytest.raises(ZeroDivisionError), transaction.atomic():
                assert Household._base_manager.filter(firm=world_b.firm).exists()
                1 / 0  # noqa: B018
            # Rolled back to firm A's setting in PostgreSQL; firm B's scope is still ours.
            assert set(Household._base_manager.values_list("firm_id", flat=True)) == {
                world_b.firm.pk
            }


@pytest.mark.django_db(transaction=True)
def test_nothing_outlives_the_transaction_on_a_pooled_connection(world_a):
    """Autocommit statements run in a transaction of their own with the firm set locally:
    afterwards the connection (as a pooler would hand it on) carries no firm."""
    with firm_scope(world_a.firm):
        assert Household.objects.count() == 3
    raw = connection.connection
    assert raw.info.transaction_status == 0  # idle: no transaction left open
    setting = raw.execute("SELECT current_setting('ballast.firm_id', true)").fetchone()[0]
    assert setting in ("", None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM advisory_household")
        assert cursor.fetchone()[0] == 0
