"""A model-change preview in the demo: per firm, "Balanced 60/40" gets a draft version that
raises US small cap again (three more points from large cap, the seeds' story of small caps
after a long large-cap run), previewed across the firm by its first admin, so the model page
has a finished preview to open, sort, export and commit.

Run after the proposals (the draft is not live: nothing goes stale). Idempotent: a model
that already has a draft or a preview is left alone.
"""

from __future__ import annotations

from decimal import Decimal

from advisory.demo.model_versions import small_caps_up
from advisory.models import Firm, Membership, Role
from advisory.request_context import acting_as
from advisory.tenancy import firm_scope
from portfolios import model_versions as mv
from portfolios.model_previews.runs import process_inline, start_preview
from portfolios.models import ModelPortfolio, ModelPreview
from portfolios.rebalance.types import Options
from portfolios.valuation import pricing_date

MODEL_NAME = "Balanced 60/40"
SHIFT = Decimal("3")
SUMMARY = (
    "Proposal for the investment committee: after the long large-cap run, take US small cap "
    "a further three points (large cap trimmed by the same). Preview before deciding."
)


def seed_model_preview(firm: Firm) -> int:
    """Draft and preview the Balanced model; returns how many previews were made (0/1)."""
    with firm_scope(firm):
        model = ModelPortfolio.objects.filter(name=MODEL_NAME).first()
        admin = (
            Membership.objects.filter(role=Role.ADMIN, is_active=True)
            .select_related("user")
            .order_by("user__email")
            .first()
        )
        as_of = pricing_date(firm_id=firm.pk)
        if model is None or admin is None or as_of is None:
            return 0
        if mv.open_draft(model) or ModelPreview.objects.filter(model=model).exists():
            return 0
        lines = small_caps_up(model, SHIFT)
        if lines is None:
            return 0
        with acting_as(actor=admin.user, actor_label=admin.user.email, role=admin.role):
            draft = mv.save_draft(
                model=model,
                lines=lines,
                summary=SUMMARY,
                actor=admin.user,
                expected_version=model.version,
            )
            preview, _ = start_preview(
                firm=firm,
                version=draft,
                user=admin.user,
                options=Options(mode="to_target", as_of=as_of),
            )
        process_inline(preview)
        return 1
