"""Smoke test of the audit benchmark on a tiny workload: 2,000 events.

The command runs as ``make bench`` runs it (firm built in SQL, chain computed and copied in,
pages requested through the whole middleware stack, the chain verified), so the figures it
prints come from real work; the generated chain must verify under the configured key.
"""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django_scopes import scopes_disabled

from advisory import audit_actions as actions
from advisory.audit import verify_chain
from advisory.bench.audit_data import MIX, ensure_audit_firm
from advisory.models import AuditEvent

pytestmark = [pytest.mark.django_db(transaction=True)]
EVENTS = 2_000
KEYS = {
    "audit_search_ms",
    "who_saw_what_ms",
    "verify_events_per_s",
    "verify_s",
    "audit_search_rows",
    "who_saw_what_objects",
    "events",
    "rounds",
    "window",
    "explain",
}


def test_bench_audit_measures_real_work(capsys):
    call_command("bench_audit", events=EVENTS, rounds=2)
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result.keys() >= KEYS
    assert (result["events"], result["rounds"]) == (EVENTS, 2)
    assert result["audit_search_ms"] > 0
    assert result["who_saw_what_ms"] > 0
    assert result["verify_events_per_s"] > 0
    assert len(result["audit_search_ms_all"]) == 2
    # Every page ran its queries on the audit table, and each was explained.
    assert all(result["explain"][page] for page in ("audit_search", "who_saw_what"))
    assert result["build_s"] is not None  # built by this run


def test_the_generated_chain_verifies_and_is_reused():
    bench = ensure_audit_firm(EVENTS)
    again = ensure_audit_firm(EVENTS)
    assert again.firm.pk == bench.firm.pk and again.build_s is None
    report = verify_chain(bench.firm, anchors=[])
    assert report.ok, report
    assert report.checked == EVENTS
    with scopes_disabled():
        events = AuditEvent.objects.filter(firm=bench.firm)
        assert list(events.order_by("seq").values_list("seq", flat=True)[:3]) == [1, 2, 3]
        codes = set(events.values_list("action", flat=True))
        times = list(events.order_by("seq").values_list("created_at", flat=True))
    # The mix is there (every code registered), and seq order is time order.
    assert codes <= set(actions.REGISTRY)
    assert {a.code for a, *_ in MIX} - codes <= {"membership.updated", "audit.exported"}
    assert times == sorted(times)
