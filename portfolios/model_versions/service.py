"""Writing model portfolios: create, publish a new version, drafts (retiring:
:mod:`portfolios.model_versions.retirement`).

Every function is keyword-only, runs in one transaction in the model's firm scope,
takes the actor (a firm admin or advisor: compliance and clients never change models),
locks the model's row so two editors are serialised, and writes one audit event with
the lines before and after. Bad input raises :class:`LinesInvalid` (per line) or
:class:`~django.core.exceptions.ValidationError` and changes nothing.

Versions: the live lines are the Target rows *and* the live :class:`ModelVersion`'s
snapshot, always equal. Publishing writes both, marks the previous live version
superseded and bumps ``ModelPortfolio.version``; every open proposal built on the
older number is then stale (:mod:`portfolios.model_versions.staleness`). A model has
at most one draft; publishing while a draft exists turns that draft into the new
live version, so numbers only ever grow.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils import timezone

from advisory import audit_actions as actions
from advisory.models import Firm, Membership, User
from portfolios.model_versions.lines import (
    Line,
    Names,
    compare,
    current_lines,
    labelled,
    live_version,
    open_draft,
    ordered,
    to_json,
)
from portfolios.model_versions.steps import (
    ModelConflict,
    ModelError,
    audit,
    firm_of,
    in_firm,
    locked,
    writer,
)
from portfolios.model_versions.validation import validate_lines
from portfolios.models import (
    ModelPortfolio,
    ModelVersion,
    ModelVersionState,
    Target,
    TargetEquivalent,
)

V = ModelVersionState


# --- Checks and shared writes ------------------------------------------------------------


def _check_version(model: ModelPortfolio, expected_version: int | None) -> None:
    if expected_version is not None and model.version != expected_version:
        raise ModelConflict(
            f"{model.name} is now at version {model.version}, not {expected_version}: "
            "someone else changed it. Reload the page to see their change."
        )


def _check_not_retired(model: ModelPortfolio) -> None:
    if model.retired_at is not None:
        raise ModelError(f"{model.name} is retired: return it to use before changing it.")


def _summary(summary: str) -> str:
    text = (summary or "").strip()
    if not text:
        raise ValidationError({"summary": "Say what changed and why: it goes into the history."})
    return text


def _next_number(model: ModelPortfolio) -> int:
    top = ModelVersion.objects.filter(model=model).aggregate(n=Max("number"))["n"] or 0
    return max(top, model.version) + 1


def ensure_live_version(model: ModelPortfolio) -> ModelVersion:
    """The live version, snapshotting the Target rows as it when none was kept (models made
    before versions, or by code that wrote Target rows directly)."""
    live = live_version(model)
    if live is not None:
        return live
    taken = ModelVersion.objects.filter(model=model, number=model.version).exists()
    number = _next_number(model) if taken else model.version
    live = ModelVersion.objects.create(
        firm_id=model.firm_id,
        model=model,
        number=number,
        state=V.LIVE,
        lines=to_json(current_lines(model)),
        summary=f"Version {number}: the model as it was before versions were kept.",
        made_live_at=timezone.now(),
    )
    if model.version != number:
        model.version = number
        model.save(update_fields=["version", "updated_at"])
    return live


def _write_targets(model: ModelPortfolio, lines: Sequence[Line]) -> None:
    """Make the Target rows equal ``lines``; a line kept keeps its row (and id)."""
    existing = {_key(t): t for t in Target.objects.filter(model=model)}
    wanted = {x.key: x for x in lines}
    Target.objects.filter(pk__in=[t.pk for k, t in existing.items() if k not in wanted]).delete()
    TargetEquivalent.objects.filter(target__model=model).delete()
    links = []
    for key, line in wanted.items():
        target = existing.get(key) or Target(firm_id=model.firm_id, model=model)
        target.asset_class_id, target.security_id = line.asset_class_id, line.security_id
        target.weight, target.abs_band, target.rel_band = line.weight, line.abs_band, line.rel_band
        target.preferred_security_id = line.preferred_security_id
        target.save()
        links += [
            TargetEquivalent(firm_id=model.firm_id, target=target, security_id=s)
            for s in sorted(set(line.equivalent_ids))
        ]
    TargetEquivalent.objects.bulk_create(links)


def _key(target: Target) -> tuple[str, int | None]:
    if target.asset_class_id is not None:
        return ("class", target.asset_class_id)
    return ("security", target.security_id)


def _lines_change(before: Sequence[Line], after: Sequence[Line]) -> dict[str, Any]:
    names = Names.for_lines(before, after)
    return {
        "lines": {"before": labelled(before, names), "after": labelled(after, names)},
        "changed": [
            f"{c.label}: {c.kind}" + (f" ({'; '.join(c.details)})" if c.details else "")
            for c in compare(before, after, names)
        ],
    }


# --- Creating ----------------------------------------------------------------------------


def create_model(
    *,
    firm: Firm | int,
    name: str,
    lines: Sequence[Line],
    actor: User,
    description: str = "",
    summary: str = "",
) -> ModelPortfolio:
    """A new model whose version 1 is live with ``lines``."""
    firm_id = firm.pk if isinstance(firm, Firm) else firm
    with in_firm(firm_id):
        membership = writer(actor)
        name = (name or "").strip()
        if not name:
            raise ValidationError({"name": "Give the model a name."})
        if ModelPortfolio.objects.filter(name__iexact=name).exists():
            raise ValidationError({"name": f"The firm already has a model named {name!r}."})
        validate_lines(lines)
        model = ModelPortfolio.objects.create(
            firm_id=firm_id, name=name, description=description.strip(), version=1
        )
        version = ModelVersion.objects.create(
            firm_id=firm_id,
            model=model,
            number=1,
            state=V.LIVE,
            lines=to_json(lines),
            summary=(summary or "").strip() or "Version 1: the model as first set up.",
            created_by=actor,
            made_live_at=timezone.now(),
        )
        _write_targets(model, lines)
        changes = {
            "name": model.name,
            "description": model.description,
            "version": 1,
            "summary": version.summary,
            **_lines_change([], ordered(lines)),
        }
        audit(model, actions.MODEL_CREATED, actor, membership, changes)
        return model


# --- New versions ------------------------------------------------------------------------


def publish_version(
    *,
    model: ModelPortfolio | int,
    lines: Sequence[Line],
    summary: str,
    actor: User,
    expected_version: int | None,
) -> ModelVersion:
    """Make ``lines`` the model's new live version (its open draft, if any, becomes it)."""
    firm_id = firm_of(model)
    with in_firm(firm_id):
        membership = writer(actor)
        current = locked(model)
        _check_version(current, expected_version)
        _check_not_retired(current)
        text = _summary(summary)
        validate_lines(lines)
        previous = ensure_live_version(current)
        before = current_lines(current)
        if ordered(lines) == before:
            raise ValidationError(
                f"Nothing changed: these are the lines of version {previous.number}."
            )
        version = open_draft(current) or ModelVersion(
            firm_id=current.firm_id, model=current, number=_next_number(current)
        )
        return _go_live(current, previous, version, lines, text, actor, membership, before)


def _go_live(
    model: ModelPortfolio,
    previous: ModelVersion,
    version: ModelVersion,
    lines: Sequence[Line],
    summary: str,
    actor: User,
    membership: Membership,
    before: list[Line],
) -> ModelVersion:
    # One live version at a time (a unique constraint): supersede first.
    previous.state = V.SUPERSEDED
    previous.save(update_fields=["state"])
    version.state, version.lines, version.summary = V.LIVE, to_json(lines), summary
    version.created_by, version.made_live_at = actor, timezone.now()
    version.save()
    _write_targets(model, lines)
    model.version = version.number
    model.save(update_fields=["version", "updated_at"])
    changes = {
        "version": {"before": previous.number, "after": version.number},
        "summary": summary,
        **_lines_change(before, ordered(lines)),
    }
    audit(model, actions.MODEL_VERSION_PUBLISHED, actor, membership, changes)
    return version


def save_draft(
    *,
    model: ModelPortfolio | int,
    lines: Sequence[Line],
    summary: str,
    actor: User,
    expected_version: int | None,
) -> ModelVersion:
    """Keep ``lines`` as the model's draft (made or replaced); nothing live changes."""
    firm_id = firm_of(model)
    with in_firm(firm_id):
        membership = writer(actor)
        current = locked(model)
        _check_version(current, expected_version)
        _check_not_retired(current)
        text = _summary(summary)
        validate_lines(lines)
        ensure_live_version(current)
        draft = open_draft(current)
        before = [] if draft is None else [Line.from_json(x) for x in draft.lines]
        if draft is None:
            draft = ModelVersion(
                firm_id=current.firm_id,
                model=current,
                number=_next_number(current),
                state=V.DRAFT,
            )
        draft.lines, draft.summary, draft.created_by = to_json(lines), text, actor
        draft.save()
        changes = {"draft": draft.number, "summary": text, **_lines_change(before, ordered(lines))}
        audit(current, actions.MODEL_VERSION_DRAFTED, actor, membership, changes)
        return draft


def make_draft_live(
    *, model: ModelPortfolio | int, actor: User, expected_version: int | None
) -> ModelVersion:
    """Publish the model's draft as it stands (checked again: securities may have moved)."""
    firm_id = firm_of(model)
    with in_firm(firm_id):
        membership = writer(actor)
        current = locked(model)
        _check_version(current, expected_version)
        _check_not_retired(current)
        draft = open_draft(current)
        if draft is None:
            raise ModelError(f"{current.name} has no draft to make live.")
        lines = [Line.from_json(x) for x in draft.lines]
        validate_lines(lines)
        previous = ensure_live_version(current)
        before = current_lines(current)
        return _go_live(current, previous, draft, lines, draft.summary, actor, membership, before)


def discard_draft(*, model: ModelPortfolio | int, actor: User) -> ModelVersion:
    """Set the draft aside (kept in the history as discarded, never made live)."""
    firm_id = firm_of(model)
    with in_firm(firm_id):
        membership = writer(actor)
        current = locked(model)
        draft = open_draft(current)
        if draft is None:
            raise ModelError(f"{current.name} has no draft to discard.")
        draft.state = V.DISCARDED
        draft.save(update_fields=["state"])
        changes = {"draft": draft.number, "state": {"before": V.DRAFT, "after": V.DISCARDED}}
        audit(current, actions.MODEL_VERSION_DISCARDED, actor, membership, changes)
        return draft
