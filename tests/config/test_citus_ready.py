"""Ready for a distributed PostgreSQL (Citus, ``firm_id`` as the distribution column;
docs/deploy.md, "Growing past one database").

A distributed table can only enforce a unique constraint that includes its distribution
column. This lists every unique constraint of every tenant table (``FirmOwned`` models:
``unique=True`` fields, one-to-one fields, ``unique_together``, ``UniqueConstraint``; the
primary key aside) that lacks ``firm_id``, from the models and from the migrated database's
own unique indexes, and fails on any not in ``WITHOUT_FIRM`` below, each with its reason and
what the move would change. An entry that no longer applies fails too, so the list stays true.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection, models

from advisory.tenancy import firm_owned_models

# The one column a Citus move keys every tenant table on.
FIRM = "firm_id"

# (table, columns) -> why it lacks firm_id today, and what the move does about it.
_SAME_FIRM = (
    "the parent row already belongs to one firm, so adding firm_id changes no outcome; "
    "at the move the constraint becomes (firm_id, …)"
)
_LOOKED_UP_BEFORE_THE_FIRM_IS_KNOWN = (
    "looked up before the firm is known (the secret is all the caller brings), so it must be "
    "unique across firms; at the move it goes to a small lookup table kept out of "
    "distribution (digest -> firm_id, id), or the firm id is carried in the secret's prefix"
)
WITHOUT_FIRM: dict[tuple[str, frozenset[str]], str] = {
    ("advisory_apitoken", frozenset({"prefix"})): _LOOKED_UP_BEFORE_THE_FIRM_IS_KNOWN,
    ("advisory_apitoken", frozenset({"digest"})): _LOOKED_UP_BEFORE_THE_FIRM_IS_KNOWN,
    ("advisory_invitation", frozenset({"token_digest"})): _LOOKED_UP_BEFORE_THE_FIRM_IS_KNOWN,
    ("portfolios_proposalbatchitem", frozenset({"batch_id", "household_id"})): _SAME_FIRM,
    ("portfolios_target", frozenset({"model_id", "asset_class_id"})): _SAME_FIRM,
    ("portfolios_target", frozenset({"model_id", "security_id"})): _SAME_FIRM,
    ("portfolios_targetequivalent", frozenset({"target_id", "security_id"})): _SAME_FIRM,
    ("reports_reportrelease", frozenset({"report_id"})): _SAME_FIRM,  # one-to-one
    ("reports_reportbatchitem", frozenset({"batch_id", "household_id"})): _SAME_FIRM,
}

EXPRESSION = "<expression>"  # a unique constraint on an expression: no column to name


def _columns(model: type[models.Model], names: tuple[str, ...] | list[str]) -> frozenset[str]:
    return frozenset(model._meta.get_field(name).column for name in names)


def unique_sets(model: type[models.Model]) -> list[frozenset[str]]:
    """Every column set the model declares unique, its primary key aside."""
    found = [
        frozenset({f.column})
        for f in model._meta.local_concrete_fields
        if f.unique and not f.primary_key
    ]
    found += [_columns(model, names) for names in model._meta.unique_together]
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint):
            if constraint.fields:
                found.append(_columns(model, constraint.fields))
            else:
                found.append(frozenset({EXPRESSION}))
    return found


def tenant_tables() -> dict[str, type[models.Model]]:
    return {m._meta.db_table: m for m in firm_owned_models()}


def lacking_firm_in_models() -> set[tuple[str, frozenset[str]]]:
    return {
        (table, columns)
        for table, model in tenant_tables().items()
        for columns in unique_sets(model)
        if FIRM not in columns
    }


def test_every_unique_constraint_of_a_tenant_table_has_firm_id_or_a_reason():
    lacking = lacking_firm_in_models()
    new = sorted((t, sorted(c)) for t, c in lacking - WITHOUT_FIRM.keys())
    assert new == [], (
        "tenant tables with unique constraints that lack firm_id (Citus could not enforce "
        "them): add firm_id to the constraint, or explain it in WITHOUT_FIRM and docs/deploy.md"
    )
    stale = sorted((t, sorted(c)) for t, c in WITHOUT_FIRM.keys() - lacking)
    assert stale == [], "no longer lacking firm_id: drop from WITHOUT_FIRM and docs/deploy.md"


def test_the_scan_sees_every_kind_of_unique_declaration():
    # One of each, so a scan that silently found nothing could not pass the test above.
    from advisory.models import ApiToken
    from portfolios.models import ProposalBatchItem, Target
    from reports.models import ReportRelease

    assert frozenset({"digest"}) in unique_sets(ApiToken)  # unique=True
    assert frozenset({"report_id"}) in unique_sets(ReportRelease)  # one-to-one
    assert frozenset({"batch_id", "household_id"}) in unique_sets(ProposalBatchItem)
    assert frozenset({"model_id", "security_id"}) in unique_sets(Target)  # conditional
    assert len(tenant_tables()) >= 30


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's catalog")
def test_the_database_has_no_other_unique_index_without_firm_id():
    """The migrated schema's own unique indexes: a unique index made in raw SQL, which no
    model declares, is caught here."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, i.relname, "
            "  array_agg(coalesce(a.attname, %s) ORDER BY k.ord) "
            "FROM pg_index x "
            "JOIN pg_class c ON c.oid = x.indrelid "
            "JOIN pg_class i ON i.oid = x.indexrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) "
            "LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum "
            "WHERE x.indisunique AND NOT x.indisprimary AND n.nspname = current_schema() "
            "  AND c.relname = ANY(%s) AND k.ord <= x.indnkeyatts "
            "GROUP BY c.relname, i.relname",
            [EXPRESSION, list(tenant_tables())],
        )
        rows = cursor.fetchall()
    lacking = {(table, frozenset(cols)) for table, _index, cols in rows if FIRM not in cols}
    assert lacking, "the catalog query found no unique index at all: the query is wrong"
    unexplained = sorted(
        (table, index, cols)
        for table, index, cols in rows
        if FIRM not in cols and (table, frozenset(cols)) not in WITHOUT_FIRM
    )
    assert unexplained == []
    assert lacking == lacking_firm_in_models()


def test_no_shared_table_points_at_a_tenant_table():
    """Shared tables (users, securities, prices, asset classes, firms) become Citus reference
    tables, copied to every node; a reference table may not reference a distributed one."""
    owned = set(firm_owned_models())
    pointing = sorted(
        f"{model._meta.db_table}.{field.column}"
        for model in apps.get_models(include_auto_created=True)
        if model not in owned
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model in owned
    )
    assert pointing == []


def test_every_many_to_many_between_tenant_tables_goes_through_a_tenant_table():
    # An auto-created join table would have no firm_id: nothing to distribute it by.
    auto = sorted(
        f"{model._meta.db_table}.{field.name}"
        for model in firm_owned_models()
        for field in model._meta.many_to_many
        if field.remote_field.through._meta.auto_created
    )
    assert auto == []
