"""Two people confirm the same execution at once: the proposal row lock lets one in, the
other gets a conflict, and the books move once."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django_scopes import scopes_disabled

from advisory.audit import verify_chain
from advisory.models import HouseholdTeamMember
from portfolios.executions.apply import record_execution
from portfolios.executions.parse import parse_file
from portfolios.proposals.workflow import ProposalConflict
from tests.factories import make_desk, reload_proposal
from tests.portfolios.executions.helpers import DAY, books, cash, csv_file, exported


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_confirmations_apply_once(world_a, classes):
    with scopes_disabled():
        desk = make_desk(world_a, classes)
        HouseholdTeamMember.objects.create(
            firm=desk.firm, household=world_a.household, membership=world_a.other_advisor
        )
    p = exported(desk)
    content = csv_file(f"ALPHA-1001,VOO,sell,2,512.34,{DAY},,", f"ALPHA-1001,IWM,buy,8,250,{DAY},,")
    rows = parse_file(content)
    results, errors = [], []
    barrier = threading.Barrier(2)

    def confirm(user) -> None:
        try:
            barrier.wait()
            results.append(
                record_execution(
                    proposal=p, actor=user, expected_version=4, rows=rows, content=content
                )
            )
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    users = [world_a.advisor.user, world_a.other_advisor.user]
    threads = [threading.Thread(target=confirm, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 1 and [type(e) for e in errors] == [ProposalConflict]
    assert reload_proposal(p).state == "executed"
    assert cash(desk.w.account) == Decimal("24.68")  # 1000 + 1024.68 - 2000, once
    state = books(desk)
    assert (state["executions"], state["fills"]) == (1, 2)
    assert verify_chain(desk.firm).ok
