"""The load test's people, on top of the concurrency benchmark's firm
(:func:`portfolios.bench.concurrency_data.ensure_http_firm`: an admin and advisors with
passwords, each with a book of households).

Added here, reused when present: a compliance officer, and ``clients`` portal clients, the
first household of each advisor in turn, each with one released household report (rendered
again if its file is missing from the storage, e.g. a fresh MEDIA_ROOT). The disclosures the
report needs are the demo's. Everything the locust users need goes into :func:`plan`, a
JSON-ready dict (the locustfile runs in its own process and imports no Django).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.files.storage import default_storage

from advisory.demo.disclosures import ensure_disclosures
from advisory.models import Client, Household, Membership, Role, User
from advisory.request_context import acting_as
from advisory.tenancy import firm_scope
from portfolios.bench.concurrency_data import BENCH_PASSWORD, HttpFirm, ensure_http_firm
from reports.archive import generate_report, release_report
from reports.models import ArchivedReport, ReportRelease

PERIOD = (dt.date(2025, 12, 1), dt.date(2025, 12, 31))
_SALT = "ballastloadsalt1"  # fixed: an existing firm's users are not rewritten run to run


@dataclass(frozen=True)
class LoadFirm:
    http: HttpFirm
    compliance_email: str
    clients: tuple[tuple[str, int], ...]  # (e-mail, released report id)


def ensure_load_firm(
    advisors: int, households_per_advisor: int, clients: int, as_of: dt.date
) -> LoadFirm:
    http = ensure_http_firm(advisors, households_per_advisor, as_of)
    firm = http.firm
    slug = firm.slug
    encoded = PBKDF2PasswordHasher().encode(BENCH_PASSWORD, _SALT)
    with firm_scope(firm), acting_as(actor_label="bench_load", role="system"):
        compliance = _member(firm, f"{slug}-compliance@ballast.invalid", Role.COMPLIANCE, encoded)
        members = {m.user.email: m for m in Membership.objects.select_related("user")}
        ensure_disclosures(firm, members, Counter())
        admin = members[http.admin_email].user
        people = []
        for n in range(clients):
            household_ids = http.books[n % len(http.books)].household_ids
            household = Household.objects.get(pk=household_ids[n // len(http.books)])
            email = f"{slug}-client{n}@ballast.invalid"
            membership = _member(firm, email, Role.CLIENT, encoded)
            Client.objects.get_or_create(
                firm=firm,
                user=membership.user,
                defaults={"household": household, "first_name": "Bench", "last_name": f"C{n}"},
            )
            people.append((email, _released_report(household, admin).pk))
    return LoadFirm(http, compliance.user.email, tuple(people))


def _member(firm: Any, email: str, role: str, encoded: str) -> Membership:
    user, _ = User.objects.get_or_create(email=email, defaults={"full_name": email.split("@")[0]})
    if user.password != encoded:
        User.objects.filter(pk=user.pk).update(password=encoded)
    membership, _ = Membership.objects.get_or_create(firm=firm, user=user, defaults={"role": role})
    return membership


def _released_report(household: Household, admin: User) -> ArchivedReport:
    released = ReportRelease.objects.filter(report__household=household).select_related("report")
    for release in released.order_by("-pk"):
        if release.report.file.name and default_storage.exists(release.report.file.name):
            return release.report
    report = generate_report(
        household=household, period_start=PERIOD[0], period_end=PERIOD[1], actor=admin
    )
    release_report(report=report, actor=admin)
    return report


def plan(load: LoadFirm, password: str = BENCH_PASSWORD) -> dict[str, Any]:
    """What the locust users read: who signs in, with which households or report."""
    return {
        "password": password,
        "advisors": [
            {"email": b.email, "households": list(b.household_ids)} for b in load.http.books
        ],
        "clients": [{"email": e, "report": r} for e, r in load.clients],
        "compliance": [load.compliance_email],
    }
