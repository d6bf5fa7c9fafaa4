"""Signed webhooks (issue 13): a firm admin's endpoints receive events, signed, with retries.

The apps fire events with one line where the thing happens (``webhooks.proposal_moved(p)``
inside the transition's transaction); :mod:`.emit` writes the deliveries and queues them on
commit, :mod:`.delivery` sends each attempt once, :mod:`.endpoints` is the audited writer of
the admin page. docs/webhooks.md is the receiver's side (signature, retries, addresses).
"""

from .emit import drift_run_finished, emit, proposal_moved, report_released

__all__ = ["drift_run_finished", "emit", "proposal_moved", "report_released"]
