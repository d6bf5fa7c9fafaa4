"""Committing a preview: the previewed draft goes live, then drafts for the households that
would trade.

The draft must still hold the lines that were previewed (a draft edited after its preview
is refused: preview it again), and the model must be at the version the person saw.
Going live is :func:`portfolios.model_versions.make_draft_live` (open proposals built on the
old version go stale). The drafts go through the batch proposals path
(:func:`portfolios.proposals.batches.start_batch`) with the preview's mode and options, for
the preview's trading households that are in the person's book.
"""

from __future__ import annotations

from django.db import transaction

from advisory import audit_actions as actions
from advisory.audit import record
from advisory.models import Membership, User
from advisory.tenancy import firm_scope
from portfolios import model_versions as mv
from portfolios.models import (
    ModelPreview,
    ModelVersion,
    ModelVersionState,
    PreviewOutcome,
    PreviewState,
    ProposalBatch,
)
from portfolios.proposals.batches import start_batch
from portfolios.proposals.inputs import options_from_json
from portfolios.valuation import pricing_date


class CommitError(ValueError):
    """The preview cannot be committed (or drafted from); the message says why."""


def commit_preview(
    *, preview: ModelPreview, actor: User, expected_version: int | None
) -> ModelVersion:
    """Make the previewed draft the model's live version."""
    with firm_scope(preview.firm_id), transaction.atomic():
        current = (
            ModelPreview.objects.select_for_update().select_related("version").get(pk=preview.pk)
        )
        if current.state != PreviewState.COMPLETE:
            raise CommitError("The preview has not finished: commit once it is complete.")
        version = current.version
        if version.state != ModelVersionState.DRAFT:
            raise CommitError(f"Version {version.number} is no longer a draft ({version.state}).")
        if version.lines != current.lines:
            raise CommitError("The draft was edited after this preview: preview it again first.")
        live = mv.make_draft_live(
            model=current.model_id, actor=actor, expected_version=expected_version
        )
        membership = Membership.objects.get(user=actor, is_active=True)
        firm_totals = current.totals.get("firm", {})
        record(
            firm=current.firm_id,
            action=actions.MODEL_PREVIEW_COMMITTED.code,
            obj=current,
            changes={
                "version": live.number,
                "households": current.households,
                "trading": firm_totals.get("trading", 0),
            },
            actor=actor,
            actor_label=actor.email,
            role=membership.role,
        )
        return live


def draft_proposals(*, preview: ModelPreview, actor: User) -> ProposalBatch:
    """A batch of draft proposals for the households that would trade (in the actor's book).

    Only after the commit: the drafts follow the live model, which must be the previewed one.
    """
    with firm_scope(preview.firm_id), transaction.atomic():
        current = (
            ModelPreview.objects.select_for_update().select_related("version").get(pk=preview.pk)
        )
        if current.version.state != ModelVersionState.LIVE:
            raise CommitError("Commit the preview first: drafts follow the live model.")
        if current.batch_id is not None:
            raise CommitError(f"Drafts were already requested: batch #{current.batch_id}.")
        trading = list(
            current.rows.filter(outcome=PreviewOutcome.TRADES)
            .order_by("household_id")
            .values_list("household_id", flat=True)
        )
        if not trading:
            raise CommitError("No household would trade: there is nothing to draft.")
        as_of = pricing_date(firm_id=current.firm_id) or current.as_of
        options = options_from_json({**current.options, "as_of": as_of.isoformat()})
        batch = start_batch(
            firm=current.firm,
            user=actor,
            options=options,
            households=trading,
            drift_as_of=current.drift_as_of or as_of,
        )
        current.batch = batch
        current.save(update_fields=["batch", "updated_at"])
        return batch
