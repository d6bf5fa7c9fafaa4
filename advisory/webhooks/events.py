"""The webhook events: their names, labels and the small summary each one carries.

A delivery's body is an envelope (event name, event id, firm slug, when it happened) around
``data``: ids, states, dates and amounts a firm's API user could read anyway, never account
numbers or client names. The summaries read plain attributes, so advisory's core needs no
import of the apps whose objects they describe (portfolios, reports).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Final

DRIFT_RUN_FINISHED: Final = "drift.run_finished"
PROPOSAL_SUBMITTED: Final = "proposal.submitted"
PROPOSAL_APPROVED: Final = "proposal.approved"
PROPOSAL_EXECUTED: Final = "proposal.executed"
REPORT_RELEASED: Final = "report.released"
# Sent by "Send test event" to one endpoint; nobody subscribes to it.
TEST: Final = "webhook.test"

# What an endpoint may subscribe to, in the order the form lists them.
EVENTS: Final[dict[str, str]] = {
    DRIFT_RUN_FINISHED: "Drift run finished (complete or failed)",
    PROPOSAL_SUBMITTED: "Proposal submitted for approval",
    PROPOSAL_APPROVED: "Proposal approved",
    PROPOSAL_EXECUTED: "Proposal executed",
    REPORT_RELEASED: "Report released to the client",
}

# A proposal state reached by a transition → the event it fires (other states fire none).
PROPOSAL_STATE_EVENTS: Final[dict[str, str]] = {
    "submitted": PROPOSAL_SUBMITTED,
    "approved": PROPOSAL_APPROVED,
    "executed": PROPOSAL_EXECUTED,
}


def label_of(event: str) -> str:
    return EVENTS.get(event, "Test event" if event == TEST else event)


def envelope(*, event: str, firm_slug: str, data: dict[str, Any], now: dt.datetime) -> dict:
    """The JSON body of one event (the same for every endpoint that receives it)."""
    return {
        "event": event,
        "event_id": str(uuid.uuid4()),
        "firm": firm_slug,
        "occurred_at": _iso(now),
        "data": data,
    }


def drift_run_summary(run: Any) -> dict[str, Any]:
    return {
        "drift_run": {
            "id": run.pk,
            "as_of": _iso(run.as_of),
            "state": str(run.state),
            "accounts": run.accounts,
            "finished_at": _iso(run.finished_at),
        }
    }


def proposal_summary(proposal: Any) -> dict[str, Any]:
    return {
        "proposal": {
            "id": proposal.pk,
            "household_id": proposal.household_id,
            "account_id": proposal.account_id,
            "state": str(proposal.state),
            "mode": str(proposal.mode),
            "as_of": _iso(proposal.as_of),
            "version": proposal.version,
            "trade_value": str(proposal.trade_value),  # Decimal as a string, as in the API
        }
    }


def report_summary(report: Any, released_at: dt.datetime | None) -> dict[str, Any]:
    return {
        "report": {
            "id": report.pk,
            "household_id": report.household_id,
            "report_type": report.report_type,
            "period_start": _iso(report.period_start),
            "period_end": _iso(report.period_end),
            "released_at": _iso(released_at),
        }
    }


def test_summary() -> dict[str, Any]:
    return {"message": "A test event from Ballast: your endpoint is reachable."}


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    return value.isoformat()
