"""A synthetic book written in two INSERT … SELECT statements per shape: households with
alternating advisors, and the same accounts for each. Shared by the benchmarks that need
many households fast (batch proposals, report batches); lots are each benchmark's own."""

from __future__ import annotations

from django.db.backends.utils import CursorWrapper


def insert_households_and_accounts(
    cursor: CursorWrapper,
    *,
    firm_id: int,
    advisors: list[int],
    model_id: int,
    households: int,
    accounts: tuple[tuple[str, str], ...],
    label: str,
) -> None:
    """``households`` households named "<label> household <n>", each with one account per
    (name, tax status) of ``accounts``, numbered "<two letters of label><household id>-<n>"."""
    cursor.execute(
        """
        INSERT INTO advisory_household (firm_id, name, primary_advisor_id, model_id,
                                        created_at, updated_at)
        SELECT %(firm)s, %(label)s || ' household ' || g,
               (%(advisors)s::bigint[])[1 + (g - 1) %% %(n)s], %(model)s, now(), now()
        FROM generate_series(1, %(households)s) g
        """,
        {
            "firm": firm_id,
            "label": label,
            "advisors": advisors,
            "n": len(advisors),
            "model": model_id,
            "households": households,
        },
    )
    prefix = label[:2].upper()
    for n, (name, tax_status) in enumerate(accounts):
        cursor.execute(
            """
            INSERT INTO advisory_account (firm_id, household_id, name, registration,
                tax_status, custodian, account_number, model_id, cash_balance,
                fractional_allowed, held_away, created_at, updated_at)
            SELECT %(firm)s, h.id, %(name)s, 'individual', %(tax)s, 'schwab',
                   %(prefix)s || h.id || '-' || %(n)s, %(model)s,
                   round((random() * 3000)::numeric, 2), false, false, now(), now()
            FROM advisory_household h WHERE h.firm_id = %(firm)s
            """,
            {
                "firm": firm_id,
                "name": name,
                "tax": tax_status,
                "prefix": prefix,
                "n": n,
                "model": model_id,
            },
        )
