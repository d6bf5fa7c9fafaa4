"""``{% price_feed_warning as warning %}``: the last price feed run, for the request's firm."""

from __future__ import annotations

from django import template

from advisory.tenancy import active_firm_id
from portfolios.models import PriceFeedRun, PriceFeedState
from portfolios.pricing.feed_status import FeedWarning, feed_warning

register = template.Library()


@register.simple_tag
def price_feed_warning() -> FeedWarning | None:
    firm_id = active_firm_id()
    return feed_warning(firm_id) if firm_id is not None else None


@register.simple_tag
def last_price_feed() -> PriceFeedRun | None:
    """The last finished run (platform-wide facts: files, counts, rejected rows)."""
    return PriceFeedRun.objects.exclude(state=PriceFeedState.RUNNING).first()
