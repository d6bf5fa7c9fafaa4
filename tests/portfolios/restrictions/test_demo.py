"""The demo's restrictions: a firm-wide do-not-sell and a household do-not-buy, audited, once."""

from __future__ import annotations

from django_scopes import scopes_disabled

from advisory.demo.restrictions import BUY_REASON, SELL_REASON, seed_restrictions
from advisory.models import AuditEvent
from portfolios.models import Restriction


def test_seed_adds_both_once_audited(desk):
    assert seed_restrictions(desk.firm) == 2
    assert seed_restrictions(desk.firm) == 0
    with scopes_disabled():
        rows = {
            (r.security_id, r.side, r.household_id, r.reason)
            for r in Restriction.objects.filter(firm=desk.firm)
        }
        audited = AuditEvent.objects.filter(firm=desk.firm, action="restriction.added").count()
    # VOO is the only holding (firm-wide do-not-sell); IWM is what the model buys for small
    # cap (do-not-buy for the first household with a model).
    assert rows == {
        (desk.voo.pk, "sell", None, SELL_REASON),
        (desk.iwm.pk, "buy", desk.w.household.pk, BUY_REASON),
    }
    assert audited == 2
