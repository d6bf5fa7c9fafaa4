"""A model with two versions in the demo: per firm, "Balanced 60/40" gets a version 2 that
moves two points from US large cap to US small cap (the seeds' small-cap breakout), made
through the real versioning service by the firm's first admin, audited.

Run it before the demo proposals (advisory.demo.proposals), so they are built on version 2
and are not stale. Idempotent: a model already past version 1 is left alone.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from django.db import transaction

from advisory.models import Firm, Membership, Role
from advisory.request_context import acting_as
from advisory.tenancy import firm_scope
from portfolios import model_versions as mv
from portfolios.models import AssetClass, ModelPortfolio, ModelVersion

MODEL_NAME = "Balanced 60/40"
SHIFT = Decimal("2")  # points from large cap to small cap
SUMMARY = (
    "Small caps lagged for years and then broke out: US small cap raised from 10% to 12% "
    "of the portfolio (large cap trimmed from 35% to 33%), and its band tightened to "
    "±3 points so the sleeve is rebalanced sooner."
)


def seed_model_versions(firm: Firm) -> int:
    """Give the firm's Balanced model a version 2; returns how many versions were made (0/1).

    Every model of the firm also gets its live version 1 recorded (the seed writes Target
    rows directly), so each model page has a history to show."""
    with firm_scope(firm):
        with transaction.atomic():
            for each in ModelPortfolio.objects.select_for_update():
                if mv.live_version(each) is None:
                    mv.ensure_live_version(each)
                    # Snapshotted from the seeded rows: say what version 1 is.
                    ModelVersion.objects.filter(model=each, state="live").update(
                        summary="Version 1: the model as first set up."
                    )
        model = ModelPortfolio.objects.filter(name=MODEL_NAME).first()
        admin = (
            Membership.objects.filter(role=Role.ADMIN, is_active=True)
            .select_related("user")
            .order_by("user__email")
            .first()
        )
        if model is None or admin is None or model.version > 1:
            return 0
        new_lines = small_caps_up(model, SHIFT, small_abs_band=Decimal("3"))
        if new_lines is None:
            return 0
        with acting_as(actor=admin.user, actor_label=admin.user.email, role=admin.role):
            mv.publish_version(
                model=model,
                lines=new_lines,
                summary=SUMMARY,
                actor=admin.user,
                expected_version=model.version,
            )
        return 1


def small_caps_up(
    model: ModelPortfolio, shift: Decimal, small_abs_band: Decimal | None = None
) -> list[mv.Line] | None:
    """The model's live lines with ``shift`` points moved from US large cap to US small cap
    (and the small-cap band set, if given); None when the model lacks either line or the
    large-cap weight is too small. In the active firm scope."""
    slugs = dict(AssetClass.objects.values_list("pk", "slug"))
    lines = mv.current_lines(model)
    by_slug = {slugs.get(x.asset_class_id or 0): x for x in lines}
    large, small = by_slug.get("us-large-cap"), by_slug.get("us-small-cap")
    if large is None or small is None or large.weight < shift:
        return None
    raised = dataclasses.replace(small, weight=small.weight + shift)
    if small_abs_band is not None:
        raised = dataclasses.replace(raised, abs_band=small_abs_band)
    changed = {
        large.key: dataclasses.replace(large, weight=large.weight - shift),
        small.key: raised,
    }
    return [changed.get(x.key, x) for x in lines]
