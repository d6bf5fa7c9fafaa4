"""Where a firm's audit chain is retained from, after disposals.

Kept apart from :mod:`.disposal` so that verification (:mod:`advisory.chain.verify`) can read
it without importing the disposal machinery.
"""

from __future__ import annotations

from advisory.chain.keys import GENESIS_HASH
from advisory.models import AuditDisposal, Firm
from advisory.tenancy import firm_scope


def retained_from(firm: Firm | int) -> tuple[int, str]:
    """``(seq, hash)`` of the last disposed event, or ``(0, GENESIS_HASH)`` when none has
    been: the chain's first retained event is ``seq + 1`` and its ``prev_hash`` is ``hash``."""
    with firm_scope(firm):
        last = (
            AuditDisposal.objects.order_by("-boundary_seq", "-pk")
            .values_list("boundary_seq", "boundary_hash")
            .first()
        )
    if last is None or last[0] == 0:
        return 0, GENESIS_HASH
    return last[0], last[1]
