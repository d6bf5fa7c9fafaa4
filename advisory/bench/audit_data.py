"""The firm of the audit benchmark (PostgreSQL): ``bench-audit-1m`` (``bench-audit-<n>`` for
another size).

A firm admin, a compliance officer, :data:`ADVISORS` advisors and :data:`CLIENTS` portal clients
(client ``k`` belongs to household ``k``), :data:`HOUSEHOLDS` households of two accounts, and
``events`` audit events spread evenly over the two years up to :data:`END` (seq order is time
order): three quarters sensitive reads (household, account, proposal and portal views, report
downloads, household lists), sign-ins, sign-outs and failed sign-ins, changes and approvals, in
the mix of :data:`MIX`. Actors, objects, IPs, user agents and request ids are drawn by hashing
the event's seq, so a build is reproducible.

The rows are generated in SQL (``SELECT … FROM generate_series``), :data:`BATCH` at a time;
the keyed chain is computed here with the product's own :func:`advisory.audit.event_content`
and :func:`advisory.chain.keys.compute_hash` under the current key (HMAC-SHA256 in SQL would
need the canonical JSON of Python's ``json.dumps`` reproduced exactly, and a recursive query
over a million rows), and the rows are written by ``COPY``. The whole build is one transaction:
the audit table refuses DELETE, so a half-built firm must never exist. Built once and reused.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.db import connection, transaction

from advisory import audit_actions as actions
from advisory.audit import event_content
from advisory.chain.keys import GENESIS_HASH, compute_hash, current_key
from advisory.models import Account, AuditEvent, Client, Firm, Household, Membership, Role, User
from advisory.tenancy import firm_scope
from portfolios.bench import BenchError
from portfolios.bench.drift_data import vacuum
from portfolios.bench.sql_book import insert_households_and_accounts

END = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)  # the other benchmarks' as-of date is 2025-12-31
SPAN = dt.timedelta(days=730)
ADVISORS = 20
CLIENTS = 200
HOUSEHOLDS = 2_000
ACCOUNTS = (("Joint brokerage", "taxable"), ("IRA", "tax_deferred"))
BATCH = 50_000
PROPOSALS = 20_000  # ids that proposal events point at (no rows: events name them)
REPORTS = 30_000  # likewise archived reports
AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 Version/18.1 Safari/605",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
)

# Actor pools (people are stored compliance, admin, advisors…, clients…).
ADVISING, CLIENT, ANYONE, OFFICER, FAILED = 1, 2, 3, 4, 5
# Object kinds.
NONE, HOUSEHOLD, ACCOUNT, PROPOSAL, REPORT, USER, LIST = range(7)
# Change templates.
NO_CHANGE, NOTES, QUANTITY, HOUSEHOLD_IDS, STATUS, ROLE_CHANGE = range(6)

# (action, per mille of events, actor pool, object kind, changes)
MIX: tuple[tuple[actions.ActionType, int, int, int, int], ...] = (
    (actions.HOUSEHOLD_VIEWED, 362, ADVISING, HOUSEHOLD, NO_CHANGE),
    (actions.ACCOUNT_VIEWED, 90, ADVISING, ACCOUNT, NO_CHANGE),
    (actions.PROPOSAL_VIEWED, 60, ADVISING, PROPOSAL, NO_CHANGE),
    (actions.HOUSEHOLDS_LISTED, 40, ADVISING, LIST, HOUSEHOLD_IDS),
    (actions.PORTAL_VIEWED, 90, CLIENT, HOUSEHOLD, NO_CHANGE),
    (actions.PORTAL_ACCOUNT_VIEWED, 50, CLIENT, ACCOUNT, NO_CHANGE),
    (actions.PORTAL_DOCUMENTS_VIEWED, 20, CLIENT, HOUSEHOLD, NO_CHANGE),
    (actions.REPORT_DOWNLOADED, 25, ADVISING, REPORT, NO_CHANGE),
    (actions.REPORT_DOWNLOADED, 15, CLIENT, REPORT, NO_CHANGE),
    (actions.LOGIN, 70, ANYONE, USER, NO_CHANGE),
    (actions.LOGOUT, 40, ANYONE, USER, NO_CHANGE),
    (actions.LOGIN_FAILED, 15, FAILED, USER, NO_CHANGE),
    (actions.HOUSEHOLD_UPDATED, 25, ADVISING, HOUSEHOLD, NOTES),
    (actions.ACCOUNT_UPDATED, 15, ADVISING, ACCOUNT, NOTES),
    (actions.PROPOSAL_CREATED, 20, ADVISING, PROPOSAL, NO_CHANGE),
    (actions.PROPOSAL_TRADE_EDITED, 15, ADVISING, PROPOSAL, QUANTITY),
    (actions.PROPOSAL_SUBMITTED, 10, ADVISING, PROPOSAL, STATUS),
    (actions.PROPOSAL_APPROVED, 10, ADVISING, PROPOSAL, STATUS),
    (actions.REPORT_GENERATED, 15, ADVISING, REPORT, NO_CHANGE),
    (actions.REPORT_RELEASED, 10, ADVISING, REPORT, NO_CHANGE),
    (actions.AUDIT_EXPORTED, 2, OFFICER, NONE, NO_CHANGE),
    (actions.MEMBERSHIP_UPDATED, 1, OFFICER, USER, ROLE_CHANGE),
)
assert sum(m[1] for m in MIX) == 1000

COLUMNS = (
    "firm_id", "seq", "created_at", "actor_id", "actor_label", "role", "action", "object_type",
    "object_id", "object_repr", "changes", "ip", "user_agent", "request_id", "prev_hash", "hash",
    "key_id",
)  # fmt: skip
GENERATED = COLUMNS[1:14]  # what EVENTS_SQL selects, in its order (seq … request_id)


def audit_slug(events: int) -> str:
    """Named by its size, so a firm of another size is never reused by mistake."""
    return "bench-audit-1m" if events == 1_000_000 else f"bench-audit-{events}"


@dataclass(frozen=True)
class AuditFirm:
    firm: Firm
    officer: User  # the compliance officer who opens the pages
    advisors: list[User]
    events: int
    build_s: float | None  # None: reused


def ensure_audit_firm(events: int) -> AuditFirm:
    """The audit firm with ``events`` events, built if missing."""
    if connection.vendor != "postgresql":
        raise BenchError("bench_audit needs PostgreSQL: set DATABASE_URL.")
    if events < 1000:
        raise BenchError("--events must be at least 1000.")
    slug = audit_slug(events)
    firm = Firm.objects.filter(slug=slug).first()
    build_s = None
    if firm is None:
        started = time.perf_counter()
        firm = _build(slug, events)
        build_s = time.perf_counter() - started
    with firm_scope(firm):
        count = AuditEvent.objects.count()
        if count != events:
            raise BenchError(f"firm {slug} has {count} audit events, not {events}")
        members = list(Membership.objects.select_related("user").order_by("pk"))
    officer = next(m.user for m in members if m.role == Role.COMPLIANCE)
    advisors = [m.user for m in members if m.role == Role.ADVISOR]
    return AuditFirm(firm, officer, advisors, count, build_s)


def _build(slug: str, events: int) -> Firm:
    with transaction.atomic():
        firm = Firm.objects.create(name=f"Audit benchmark {events:,}", slug=slug)
        people = _people(firm, slug)
        with connection.cursor() as cursor:
            insert_households_and_accounts(
                cursor,
                firm_id=firm.pk,
                advisors=[m.pk for m in people if m.role == Role.ADVISOR],
                model_id=None,
                households=HOUSEHOLDS,
                accounts=ACCOUNTS,
                label="Audit",
            )
        with firm_scope(firm):
            households = list(Household.objects.order_by("pk").values_list("pk", "name"))
            accounts = list(
                Account.objects.order_by("household_id", "pk").values_list(
                    "pk", "name", "account_number"
                )
            )
            clients = [m for m in people if m.role == Role.CLIENT]
            Client.objects.bulk_create(
                Client(
                    firm=firm,
                    household_id=households[k][0],
                    first_name="Client",
                    last_name=f"{k + 1:03d}",
                    email=m.user.email,
                    user=m.user,
                )
                for k, m in enumerate(clients)
            )
        _events(firm.pk, events, people, households, accounts)
    vacuum("advisory_auditevent", "advisory_household", "advisory_account")
    return firm


def _people(firm: Firm, slug: str) -> list[Membership]:
    """Compliance, admin, advisors, clients: the order the SQL's actor pools rely on."""
    specs = [("compliance", Role.COMPLIANCE), ("admin", Role.ADMIN)]
    specs += [(f"advisor{n:02d}", Role.ADVISOR) for n in range(1, ADVISORS + 1)]
    specs += [(f"client{n:03d}", Role.CLIENT) for n in range(1, CLIENTS + 1)]
    users = User.objects.bulk_create(
        User(email=f"{slug}-{name}@ballast.invalid", full_name=f"Bench {name}") for name, _ in specs
    )
    with firm_scope(firm):
        return Membership.objects.bulk_create(
            Membership(firm=firm, user=user, role=role)
            for user, (_, role) in zip(users, specs, strict=True)
        )


# One batch of events, generated from their seqs. r1…r5 are independent hashes of the seq;
# ``m`` picks the row of MIX (expanded to 1000 per-mille slots), ``p`` the person in the
# action's actor pool, ``h`` the household (a client's own, else any).
EVENTS_SQL = """
WITH ev AS (
    SELECT g, r2, r3, r4, r5,
           (%(codes)s::text[])[m] AS action, (%(pools)s::int[])[m] AS pool,
           (%(kinds)s::int[])[m] AS kind, (%(changes)s::int[])[m] AS chg
    FROM (
        SELECT g, 1 + (hashint8extended(g, 1) & 2147483647) %% 1000 AS m,
               hashint8extended(g, 2) & 2147483647 AS r2,
               hashint8extended(g, 3) & 2147483647 AS r3,
               hashint8extended(g, 4) & 2147483647 AS r4,
               hashint8extended(g, 5) & 2147483647 AS r5
        FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) g
    ) s
), who AS (
    SELECT ev.*, p, CASE WHEN pool = 2 THEN p - %(client_lo)s + 1
                         ELSE 1 + r3 %% %(nh)s END AS h
    FROM ev, LATERAL (SELECT (%(pool_lo)s::int[])[pool]
                             + (r2 %% (%(pool_n)s::int[])[pool])::int AS p) pp
)
SELECT g,
       %(start)s::timestamptz
           + ((g - 1) * %(step)s + r5 %% %(step)s) * interval '1 microsecond',
       CASE WHEN pool = 5 THEN NULL ELSE (%(ids)s::bigint[])[p] END,
       (%(labels)s::text[])[p],
       CASE WHEN pool = 5 THEN '' ELSE (%(roles)s::text[])[p] END,
       action,
       CASE kind WHEN 1 THEN 'advisory.household' WHEN 2 THEN 'advisory.account'
                 WHEN 3 THEN 'portfolios.proposal' WHEN 4 THEN 'reports.archivedreport'
                 WHEN 5 THEN 'advisory.user' ELSE '' END,
       CASE kind WHEN 1 THEN (%(hh_ids)s::bigint[])[h]::text
                 WHEN 2 THEN (%(acc_ids)s::bigint[])[(h - 1) * %(per)s + 1 + r4 %% %(per)s]::text
                 WHEN 3 THEN (1 + r4 %% %(proposals)s)::text
                 WHEN 4 THEN (1 + r4 %% %(reports)s)::text
                 WHEN 5 THEN (%(ids)s::bigint[])[p]::text ELSE '' END,
       CASE kind WHEN 1 THEN (%(hh_names)s::text[])[h]
                 WHEN 2 THEN (%(acc_reprs)s::text[])[(h - 1) * %(per)s + 1 + r4 %% %(per)s]
                 WHEN 3 THEN 'Proposal #' || (1 + r4 %% %(proposals)s)
                 WHEN 4 THEN (%(hh_names)s::text[])[h] || ' report '
                             || to_char(%(start)s::timestamptz
                                        + (g - 1) * %(step)s * interval '1 microsecond',
                                        'YYYY-MM')
                 WHEN 5 THEN (%(labels)s::text[])[p] ELSE '' END,
       CASE chg
           WHEN 1 THEN jsonb_build_object('notes', jsonb_build_object(
               'before', NULL, 'after', 'Reviewed on call ' || (r4 %% 997)))
           WHEN 2 THEN jsonb_build_object('quantity', jsonb_build_object(
               'before', (r4 %% 500)::text, 'after', (r4 %% 500 + 1 + r5 %% 40)::text))
           WHEN 3 THEN jsonb_build_object('household_ids', jsonb_build_array(
               (%(hh_ids)s::bigint[])[1 + r3 %% %(nh)s], (%(hh_ids)s::bigint[])[1 + r4 %% %(nh)s],
               (%(hh_ids)s::bigint[])[1 + r5 %% %(nh)s],
               (%(hh_ids)s::bigint[])[1 + (r3 + r4) %% %(nh)s],
               (%(hh_ids)s::bigint[])[1 + (r4 + r5) %% %(nh)s]))
           WHEN 4 THEN jsonb_build_object('status', jsonb_build_object(
               'before', 'draft', 'after', action))
           WHEN 5 THEN jsonb_build_object('role', jsonb_build_object(
               'before', 'advisor', 'after', 'advisor'))
           ELSE '{}'::jsonb END::text,
       CASE WHEN pool = 5 THEN '203.0.113.' || (1 + r4 %% 250)
            WHEN r4 %% 20 = 0 THEN '172.16.' || (r4 / 20 %% 200) || '.' || (1 + r5 %% 250)
            WHEN pool = 2 THEN '100.64.' || (p / 250) || '.' || (1 + p %% 250)
            ELSE '10.20.' || (p / 250) || '.' || (1 + p %% 250) END,
       (%(agents)s::text[])[1 + (p + r4 %% 2) %% %(nagents)s],
       md5(g::text || '-request')
FROM who
ORDER BY g
"""


def _mix_arrays() -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {"codes": [], "pools": [], "kinds": [], "changes": []}
    for action, per_mille, pool, kind, chg in MIX:
        out["codes"] += [action.code] * per_mille
        out["pools"] += [pool] * per_mille
        out["kinds"] += [kind] * per_mille
        out["changes"] += [chg] * per_mille
    return out


def _events(
    firm_id: int,
    events: int,
    people: list[Membership],
    households: list[tuple[int, str]],
    accounts: list[tuple[int, str, str]],
) -> None:
    """Generate ``events`` rows in SQL, chain them here, COPY them in, a batch at a time."""
    key_id, key = current_key()
    n_staff = sum(1 for m in people if m.role != Role.CLIENT)
    n_people = len(people)
    client_lo = n_staff + 1
    # Pools as 1-based ranges of people: advising (admin + advisors), clients, anyone,
    # officers (compliance, admin), failed sign-ins (anyone's address, no actor).
    pool_lo = [2, client_lo, 1, 1, 1]
    pool_n = [n_staff - 1, n_people - n_staff, n_people, 2, n_people]
    params: dict[str, Any] = {
        **_mix_arrays(),
        "pool_lo": pool_lo,
        "pool_n": pool_n,
        "client_lo": client_lo,
        "ids": [m.user_id for m in people],
        "labels": [m.user.email for m in people],
        "roles": [m.role for m in people],
        "hh_ids": [pk for pk, _ in households],
        "hh_names": [name for _, name in households],
        "acc_ids": [pk for pk, _, _ in accounts],
        "acc_reprs": [f"{name} ({number})" for _, name, number in accounts],
        "nh": len(households),
        "per": len(ACCOUNTS),
        "proposals": PROPOSALS,
        "reports": REPORTS,
        "agents": list(AGENTS),
        "nagents": len(AGENTS),
        "start": END - SPAN,
        "step": int(SPAN.total_seconds() * 1_000_000) // events,
    }
    prev_hash = GENESIS_HASH
    copy_sql = f"COPY {AuditEvent._meta.db_table} ({', '.join(COLUMNS)}) FROM STDIN"
    with connection.cursor() as cursor:
        for lo in range(1, events + 1, BATCH):
            hi = min(events, lo + BATCH - 1)
            cursor.execute(EVENTS_SQL, {**params, "lo": lo, "hi": hi})
            rows = cursor.fetchall()
            out = []
            for row in rows:
                fields = dict(zip(GENERATED, row, strict=True))
                event = SimpleNamespace(firm_id=firm_id, key_id=key_id, **fields)
                event.changes = json.loads(event.changes)  # as the JSONField reads it back
                digest = compute_hash(prev_hash, event_content(event), key)  # type: ignore[arg-type]
                out.append((firm_id, *row, prev_hash, digest, key_id))
                prev_hash = digest
            with cursor.cursor.copy(copy_sql) as copy:
                for row in out:
                    copy.write_row(row)
