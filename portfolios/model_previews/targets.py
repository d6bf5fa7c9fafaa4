"""A draft version's lines as the engine's targets, ids chosen as publishing would give them.

Publishing keeps the Target row (and id) of a line whose class or security the live model
already has, and creates rows for new lines in line order, with ids above every existing
one. The engine breaks ties between equal weights by target id, so the preview numbers
the draft's targets the same way: kept lines keep their ids, new ones get ids above any
real row, in line order. A proposal built after the commit then sees the same order.
"""

from __future__ import annotations

from collections.abc import Sequence

from portfolios.model_versions.lines import Line
from portfolios.models import AssetClass, ModelPortfolio, Security, Target
from portfolios.proposals.inputs import ModelTargets, ProposalInputError

# Above any id a real Target row will have (bigint ids, one sequence for every firm).
NEW_TARGET_ID_BASE = 1 << 48


def version_targets(model: ModelPortfolio, lines: Sequence[Line]) -> ModelTargets:
    """Unsaved Target objects for ``lines`` (weight descending, then id) and the equivalents
    per target id, in the active firm scope."""
    if not lines:
        raise ProposalInputError("The draft has no lines.")
    kept = {
        _key(class_id, security_id): pk
        for pk, class_id, security_id in Target.objects.filter(model=model).values_list(
            "pk", "asset_class_id", "security_id"
        )
    }
    classes = AssetClass.objects.in_bulk({x.asset_class_id for x in lines if x.asset_class_id})
    securities = Security.objects.select_related("asset_class").in_bulk(
        {x.security_id for x in lines if x.security_id}
    )
    targets, equivalents, fresh = [], {}, 0
    for line in lines:
        pk = kept.get(line.key)
        if pk is None:
            pk, fresh = NEW_TARGET_ID_BASE + fresh, fresh + 1
        target = Target(
            pk=pk,
            firm_id=model.firm_id,
            model=model,
            asset_class=classes.get(line.asset_class_id) if line.asset_class_id else None,
            security=securities.get(line.security_id) if line.security_id else None,
            weight=line.weight,
            abs_band=line.abs_band,
            rel_band=line.rel_band,
            preferred_security_id=line.preferred_security_id,
        )
        targets.append(target)
        equivalents[pk] = set(line.equivalent_ids)
    targets.sort(key=lambda t: (-t.weight, t.pk))
    return targets, equivalents


def _key(class_id: int | None, security_id: int | None) -> tuple[str, int | None]:
    return ("class", class_id) if class_id is not None else ("security", security_id)
