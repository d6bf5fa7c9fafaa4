"""Disposal of records past retention: the one place in the product that deletes audit events
and archived reports. It lives with the report archive because it disposes of both; the
retention rules (cutoff, holds, the chain's boundary) are advisory's (:mod:`advisory.retention`).

:func:`plan_disposal` says what would go (the ``--dry-run``); :func:`dispose` deletes it in one
transaction and :func:`run_disposal` then anchors the new head and verifies the chain.

- **What may go**: records created before
  :func:`~advisory.retention.cutoff.retention_cutoff` (for a report with a release, both the
  report and its release), and not kept by an active legal hold
  (:mod:`advisory.retention.holds`). Audit events go as a *prefix* of the chain only (seq
  ``previous boundary + 1 .. N``), stopping below the first event that is too young or held,
  and never taking the chain's last event (the next event chains onto it). A report is kept
  while a kept report names it as the one it supersedes.
- **How the triggers let it pass**: under the firm's chain lock, the transaction opens a
  disposal window (PostgreSQL: transaction-local settings ``ballast.disposing``,
  ``ballast.disposal_firm``, ``ballast.retain_after``; SQLite: a row in
  ``advisory_disposalwindow``), deletes, and closes it again before anything else. The
  triggers (advisory/0009) allow a DELETE only inside that window, for the window's firm,
  for a row created before its cutoff and more than five years ago.
- **The chain's boundary**: an :class:`~advisory.models.AuditDisposal` row names the last
  disposed seq and its hash; a ``records.disposed`` event (counts, boundary, cutoff, report
  ids) is appended after the deletion in the same transaction, so the keyed chain itself
  confirms the boundary. Verification starts from it.
- **Files**: the disposed reports' PDFs are removed from ``default_storage`` after the
  transaction commits (the rows are gone first; a failed commit removes nothing).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

from django.core.files.storage import default_storage
from django.db import DatabaseError, connection, transaction
from django.db.models import Min

from advisory import audit
from advisory import audit_actions as actions
from advisory.chain.report import ChainReport
from advisory.chain.runs import anchor_heads
from advisory.chain.verify import verify_chain
from advisory.models import AuditDisposal, AuditEvent, Firm
from advisory.retention.boundary import retained_from
from advisory.retention.cutoff import retention_cutoff
from advisory.retention.holds import active_holds, held_event_filter
from advisory.tenancy import firm_scope

from ..models import ArchivedReport, ReportBatchItem, ReportRelease

ACTOR_LABEL = "dispose_records"


class DisposalError(RuntimeError):
    """A disposal that could not be carried out as planned (nothing was changed)."""


@dataclass
class DisposalPlan:
    """What a disposal takes (or took) for one firm."""

    firm_id: int
    firm_slug: str
    cutoff: dt.datetime
    previous_boundary_seq: int
    previous_boundary_hash: str
    first_seq: int | None = None
    last_seq: int | None = None
    boundary_hash: str = ""
    events_stopped_by: str = ""
    firm_hold: bool = False
    report_ids: list[int] = field(default_factory=list)
    release_ids: list[int] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    reports_held: list[int] = field(default_factory=list)
    reports_superseded_kept: list[int] = field(default_factory=list)
    disposal_id: int | None = None

    @property
    def event_count(self) -> int:
        if self.first_seq is None or self.last_seq is None:
            return 0
        return self.last_seq - self.first_seq + 1

    @property
    def boundary_seq(self) -> int:
        """Where the chain is retained from after this disposal."""
        return self.last_seq if self.last_seq is not None else self.previous_boundary_seq

    @property
    def new_boundary_hash(self) -> str:
        return self.boundary_hash if self.last_seq is not None else self.previous_boundary_hash

    @property
    def empty(self) -> bool:
        return not self.event_count and not self.report_ids

    def summary_lines(self) -> list[str]:
        lines = [f"{self.firm_slug}: records created before {self.cutoff.isoformat()}"]
        if self.firm_hold:
            lines.append("  a firm-wide legal hold is active: nothing is disposed of")
        if self.event_count:
            lines.append(
                f"  audit events: {self.event_count} (seq {self.first_seq}–{self.last_seq}; "
                f"chain retained from seq {self.last_seq + 1})"
            )
        else:
            lines.append("  audit events: none")
        if self.events_stopped_by:
            lines.append(f"  events stop at: {self.events_stopped_by}")
        ids = ", ".join(str(i) for i in self.report_ids) or "none"
        lines.append(
            f"  archived reports: {len(self.report_ids)} ({ids}), "
            f"with {len(self.release_ids)} release(s)"
        )
        if self.reports_held:
            lines.append(f"  reports kept by a household hold: {len(self.reports_held)}")
        if self.reports_superseded_kept:
            kept = ", ".join(str(i) for i in self.reports_superseded_kept)
            lines.append(f"  reports kept because a kept report supersedes them: {kept}")
        return lines


def plan_disposal(firm: Firm, today: dt.date | None = None) -> DisposalPlan:
    """What is past retention and not on hold for ``firm`` (changes nothing)."""
    cutoff = retention_cutoff(today)
    previous_seq, previous_hash = retained_from(firm)
    holds = active_holds(firm)
    plan = DisposalPlan(firm.pk, firm.slug, cutoff, previous_seq, previous_hash)
    plan.firm_hold = holds.firm_wide
    if holds.firm_wide:
        plan.events_stopped_by = "a firm-wide legal hold"
        return plan
    with firm_scope(firm):
        _plan_events(plan, firm, holds.household_ids)
        _plan_reports(plan, holds.household_ids)
    return plan


def _plan_events(plan: DisposalPlan, firm: Firm, held_households: frozenset[int]) -> None:
    retained = AuditEvent.objects.filter(seq__gt=plan.previous_boundary_seq)
    head = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    if head is None or head <= plan.previous_boundary_seq:
        return
    stop, why = head, f"seq {head}, the chain's last event (it is always kept)"
    young = retained.filter(created_at__gte=plan.cutoff).aggregate(m=Min("seq"))["m"]
    if young is not None and young <= stop:
        stop, why = young, f"seq {young}, the first event still within retention"
    held_q = held_event_filter(firm, held_households)
    if held_q is not None:
        held = retained.filter(held_q).aggregate(m=Min("seq"))["m"]
        if held is not None and held < stop:
            stop, why = held, f"seq {held}, the oldest event kept by a household legal hold"
    plan.events_stopped_by = why
    last = stop - 1
    if last > plan.previous_boundary_seq:
        plan.first_seq, plan.last_seq = plan.previous_boundary_seq + 1, last
        plan.boundary_hash = AuditEvent.objects.values_list("hash", flat=True).get(seq=last)


def _plan_reports(plan: DisposalPlan, held_households: frozenset[int]) -> None:
    rows = list(
        ArchivedReport.objects.filter(generated_at__lt=plan.cutoff).values_list(
            "pk", "household_id", "file", "release__pk", "release__released_at"
        )
    )
    chosen: dict[int, tuple[str, int | None]] = {}
    for pk, household_id, name, release_id, released_at in rows:
        if household_id in held_households:
            plan.reports_held.append(pk)
        elif released_at is None or released_at < plan.cutoff:
            chosen[pk] = (name, release_id)
    # A report another (kept) report supersedes stays as long as that one does.
    while chosen:
        superseding = ArchivedReport.objects.filter(supersedes_id__in=list(chosen)).values_list(
            "pk", "supersedes_id"
        )
        kept = {old for new, old in superseding if new not in chosen}
        if not kept:
            break
        for pk in kept:
            chosen.pop(pk)
            plan.reports_superseded_kept.append(pk)
    plan.report_ids = sorted(chosen)
    plan.release_ids = sorted(r for _, r in chosen.values() if r is not None)
    plan.files = [chosen[pk][0] for pk in plan.report_ids if chosen[pk][0]]
    plan.reports_held.sort()
    plan.reports_superseded_kept.sort()


@contextmanager
def disposal_window(firm_id: int, cutoff: dt.datetime) -> Iterator[None]:
    """Let the append-only triggers pass DELETEs of ``firm_id``'s rows created before
    ``cutoff`` (and over five years ago), for the body only, inside the current transaction."""
    if not connection.in_atomic_block:
        raise DisposalError("A disposal window opens only inside a transaction.")
    vendor = connection.vendor
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(
                "SELECT set_config('ballast.disposing', 'on', true), "
                "set_config('ballast.disposal_firm', %s, true), "
                "set_config('ballast.retain_after', %s, true)",
                [str(firm_id), cutoff.astimezone(dt.UTC).isoformat()],
            )
        elif vendor == "sqlite":
            cursor.execute(
                "INSERT INTO advisory_disposalwindow (firm_id, retain_after) VALUES (%s, %s)",
                [firm_id, connection.ops.adapt_datetimefield_value(cutoff)],
            )
        else:
            raise DisposalError(f"No disposal window for database vendor {vendor!r}.")
    try:
        yield
    except BaseException:
        # The transaction is rolled back (which closes the window too); on PostgreSQL it is
        # already aborted, so closing may fail: the original error is the one to see.
        with suppress(DatabaseError):
            _close_window(vendor, firm_id)
        raise
    _close_window(vendor, firm_id)


def _close_window(vendor: str, firm_id: int) -> None:
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(
                "SELECT set_config('ballast.disposing', '', true), "
                "set_config('ballast.disposal_firm', '', true), "
                "set_config('ballast.retain_after', '', true)"
            )
        else:
            cursor.execute("DELETE FROM advisory_disposalwindow WHERE firm_id = %s", [firm_id])


def _delete_rows(table: str, firm_id: int, ids: list[int]) -> int:
    deleted = 0
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"DELETE FROM {table} WHERE firm_id = %s AND id IN ({marks})",  # noqa: S608 (a model's table)
                [firm_id, *chunk],
            )
            deleted += cursor.rowcount
    return deleted


def _detach_other_references(ids: list[int]) -> None:
    """A report batch's item keeps its outcome when its report is disposed of; the release
    and ``supersedes`` are handled by the plan."""
    ReportBatchItem.objects.filter(report_id__in=ids).update(report=None)


def dispose(
    firm: Firm, today: dt.date | None = None, *, actor_label: str = ACTOR_LABEL
) -> DisposalPlan:
    """Delete what :func:`plan_disposal` lists, record the boundary and the event; one
    transaction. Nothing to dispose of: nothing is written. Files go after commit."""
    with transaction.atomic(), firm_scope(firm):
        # The firm's chain lock, as appenders take it: the plan cannot go stale under us.
        Firm.objects.select_for_update(no_key=True).filter(pk=firm.pk).values_list("pk").get()
        plan = plan_disposal(firm, today)
        if plan.empty:
            return plan
        with disposal_window(firm.pk, plan.cutoff):
            if plan.event_count:
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"DELETE FROM {AuditEvent._meta.db_table} "  # noqa: S608 (the model's table)
                        "WHERE firm_id = %s AND seq BETWEEN %s AND %s",
                        [firm.pk, plan.first_seq, plan.last_seq],
                    )
                    if cursor.rowcount != plan.event_count:
                        raise DisposalError(
                            f"expected to dispose of {plan.event_count} events, "
                            f"found {cursor.rowcount}"
                        )
            if plan.report_ids:
                _delete_rows(ReportRelease._meta.db_table, firm.pk, plan.release_ids)
                _detach_other_references(plan.report_ids)
                deleted = _delete_rows(ArchivedReport._meta.db_table, firm.pk, plan.report_ids)
                if deleted != len(plan.report_ids):
                    raise DisposalError(
                        f"expected to dispose of {len(plan.report_ids)} reports, found {deleted}"
                    )
        disposal = AuditDisposal.objects.create(
            firm=firm,
            cutoff=plan.cutoff,
            first_seq=plan.first_seq,
            boundary_seq=plan.boundary_seq,
            boundary_hash=plan.new_boundary_hash,
            events_disposed=plan.event_count,
            reports_disposed=plan.report_ids,
            actor_label=actor_label,
        )
        plan.disposal_id = disposal.pk
        audit.record(
            firm=firm,
            action=actions.RECORDS_DISPOSED,
            obj=disposal,
            object_repr=f"Records created before {plan.cutoff:%Y-%m-%d}",
            actor_label=actor_label,
            changes={
                "cutoff": plan.cutoff,
                "boundary_seq": plan.boundary_seq,
                "boundary_hash": plan.new_boundary_hash,
                "previous_boundary_seq": plan.previous_boundary_seq,
                "first_seq": plan.first_seq,
                "events_disposed": plan.event_count,
                "reports_disposed": plan.report_ids,
                "releases_disposed": len(plan.release_ids),
                "files_disposed": len(plan.files),
            },
        )
        files = list(plan.files)
        transaction.on_commit(lambda: _delete_files(files))
    return plan


def _delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


@dataclass(frozen=True)
class DisposalRun:
    plan: DisposalPlan
    anchor_file: str | None
    report: ChainReport


def run_disposal(firm: Firm, today: dt.date | None = None) -> DisposalRun:
    """Dispose, then anchor the new head (every firm's, as ``anchor_audit`` does) and verify
    the firm's chain from its boundary. Anchoring happens after the disposal has committed,
    so an anchor never names an event that was rolled back."""
    plan = dispose(firm, today)
    anchor_file = None
    if not plan.empty:
        anchor_file, _ = anchor_heads()
    return DisposalRun(plan, anchor_file, verify_chain(firm))
