"""Verify a firm's audit chain: links, sequence, keyed hashes, and every anchor.

A plain function: the ``verify_audit`` command, the Celery task behind the page and the
nightly run all call :func:`verify_chain`. It walks the chain in keyset batches ordered by
seq, so memory stays flat on a chain of millions, and reports progress after each batch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from advisory.audit import event_content
from advisory.models import AuditEvent, Firm
from advisory.retention.boundary import retained_from
from advisory.tenancy import firm_scope

from .anchors import Anchor, anchor_store, anchors_by_firm
from .keys import audit_keys, compute_hash
from .report import ChainReport

DISPOSED = "records.disposed"  # advisory.audit_actions.RECORDS_DISPOSED

BATCH_SIZE = 5000


def verify_chain(
    firm: Firm,
    *,
    anchors: list[Anchor] | None = None,
    keys: Mapping[str, bytes] | None = None,
    progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> ChainReport:
    """Report the first event of ``firm``'s chain that does not hold, or OK.

    An event fails when its seq leaves a gap, its ``prev_hash`` is not the previous hash,
    its key id is unknown, its hash is not the HMAC of its content under that key, or it
    differs from an anchor of its seq. Events without a key id (written before the chain
    was keyed) are checked with the old SHA-256 rule, but only as a prefix: one after a
    keyed event fails. A chain ending below its last anchored seq fails too (a cut tail,
    a deleted chain, a truncated table). ``anchors`` defaults to the configured store's.

    After a disposal (:mod:`advisory.retention`), the chain is walked from its retained-from
    boundary: the first event is the boundary's seq + 1 and links to the boundary's hash;
    anchors of disposed seqs are not checked (one of the boundary seq must match its hash).
    The boundary must be confirmed by a ``records.disposed`` event of the walked chain (keyed,
    so a boundary row written by hand fails).
    """
    keys = audit_keys() if keys is None else keys
    if anchors is None:
        anchors = anchors_by_firm(anchor_store().read_all()).get(firm.pk, [])
    anchored: dict[int, list[Anchor]] = {}
    for anchor in anchors:
        anchored.setdefault(anchor.seq, []).append(anchor)

    boundary_seq, boundary_hash = retained_from(firm)
    expected_seq, prev_hash = boundary_seq + 1, boundary_hash
    checked, keyed_seen, anchors_checked, boundary_confirmed = 0, False, 0, boundary_seq == 0

    def broken(seq: int, reason: str) -> ChainReport:
        return ChainReport(firm.slug, checked, seq, reason, anchors_checked)

    for anchor in anchored.get(boundary_seq, ()) if boundary_seq else ():
        if anchor.hash != boundary_hash:
            return broken(boundary_seq, "the disposal boundary's hash differs from its anchor")
        anchors_checked += 1

    with firm_scope(firm):
        after = boundary_seq
        while True:
            batch = list(AuditEvent.objects.filter(seq__gt=after).order_by("seq")[:batch_size])
            if not batch:
                break
            for event in batch:
                if event.seq != expected_seq:
                    return broken(
                        expected_seq, f"sequence gap: expected {expected_seq}, found {event.seq}"
                    )
                if event.prev_hash != prev_hash:
                    return broken(event.seq, "prev_hash does not match the previous row")
                if event.key_id:
                    key = keys.get(event.key_id)
                    if key is None:
                        return broken(event.seq, f"unknown key id {event.key_id!r}")
                    keyed_seen = True
                elif keyed_seen:
                    return broken(event.seq, "an unkeyed (legacy) event after a keyed one")
                else:
                    key = None
                if compute_hash(prev_hash, event_content(event), key) != event.hash:
                    under = f"key {event.key_id!r}" if key is not None else "legacy SHA-256"
                    return broken(event.seq, f"content does not match its hash ({under})")
                for anchor in anchored.get(event.seq, ()):
                    if anchor.hash != event.hash:
                        return broken(
                            event.seq, f"hash differs from the anchor of seq {anchor.seq}"
                        )
                    anchors_checked += 1
                if not boundary_confirmed and event.action == DISPOSED:
                    confirmed = (
                        (event.changes or {}).get("boundary_seq"),
                        (event.changes or {}).get("boundary_hash"),
                    )
                    boundary_confirmed = confirmed == (boundary_seq, boundary_hash)
                checked += 1
                expected_seq += 1
                prev_hash = event.hash
            after = batch[-1].seq
            if progress is not None:
                progress(checked)
    if not boundary_confirmed:
        return broken(
            boundary_seq + 1,
            f"the chain starts after seq {boundary_seq} (a disposal boundary) but no "
            "records.disposed event confirms that boundary",
        )
    if anchored:
        last_anchored = max(anchored)
        if last_anchored >= expected_seq:
            return broken(
                last_anchored,
                f"the chain ends at seq {expected_seq - 1}, before its last anchored seq "
                f"{last_anchored}: events were removed",
            )
    return ChainReport(firm.slug, checked, anchors_checked=anchors_checked)


def verify_all(firms: list[Firm] | None = None) -> list[ChainReport]:
    """Every firm's report (or those given), plus a failure for each anchored firm that no
    longer exists. Anchors are read once."""
    by_firm = anchors_by_firm(anchor_store().read_all())
    if firms is None:
        firms = list(Firm.objects.order_by("slug"))
        known = {f.pk for f in firms}
        missing = [heads for firm_id, heads in by_firm.items() if firm_id not in known]
    else:
        missing = []
    reports = [verify_chain(firm, anchors=by_firm.get(firm.pk, [])) for firm in firms]
    for heads in missing:
        last = heads[-1]
        reports.append(
            ChainReport(
                last.firm_slug,
                0,
                last.seq,
                f"firm id {last.firm_id} was anchored at seq {last.seq} but no longer exists",
            )
        )
    return reports
