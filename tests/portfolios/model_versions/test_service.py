"""The versioning service: create, publish, drafts, retire; bad input changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from advisory.demo.model_versions import MODEL_NAME, seed_model_versions
from advisory.models import Account, Household
from advisory.tenancy import firm_scope
from portfolios import model_versions as mv
from portfolios.models import ModelPortfolio, ModelVersion, Target, TargetEquivalent
from tests import factories
from tests.factories import firm_events
from tests.portfolios.model_versions.conftest import line


def state_of(model: ModelPortfolio) -> tuple:
    """Everything a change could touch: version, retired, Target rows, versions, events."""
    with firm_scope(model.firm_id):
        m = ModelPortfolio.objects.get(pk=model.pk)
        targets = sorted(
            (t.asset_class_id, t.security_id, t.weight, t.abs_band, t.rel_band,
             t.preferred_security_id)
            for t in Target.objects.filter(model=m)
        )  # fmt: skip
        versions = list(ModelVersion.objects.filter(model=m).values_list("number", "state"))
    return m.version, m.retired_at, targets, sorted(versions), len(firm_events(m.firm))


def sixty_forty(classes, voo, iwm) -> list[mv.Line]:
    return [
        line(classes["us-large-cap"], weight="60", preferred=voo),
        line(classes["us-small-cap"], weight="40", abs_band="3", preferred=iwm),
    ]


def publish(world, lines, summary="Add small caps", actor=None, expected=1):
    return mv.publish_version(
        model=world.model,
        lines=lines,
        summary=summary,
        actor=(actor or world.advisor).user,
        expected_version=expected,
    )


def test_publish_makes_the_next_version_live_and_supersedes_the_last(world_a, classes, voo, iwm):
    w = world_a
    kept_id = w.target.pk
    version = publish(w, sixty_forty(classes, voo, iwm))
    assert (version.number, version.state, version.summary) == (2, "live", "Add small caps")
    with firm_scope(w.firm):
        model = ModelPortfolio.objects.get(pk=w.model.pk)
        assert model.version == 2
        states = dict(ModelVersion.objects.filter(model=model).values_list("number", "state"))
        assert states == {1: "superseded", 2: "live"}
        v1 = ModelVersion.objects.get(model=model, number=1)
        # Version 1 is the snapshot of the rows as they were before the first edit.
        assert v1.lines == [{"asset_class": classes["us-large-cap"].pk, "security": None,
                             "weight": "100", "abs_band": "5", "rel_band": "25",
                             "preferred_security": None, "equivalents": []}]  # fmt: skip
        rows = {t.asset_class_id: t for t in Target.objects.filter(model=model)}
        assert rows[classes["us-large-cap"].pk].pk == kept_id  # a kept line keeps its row
        assert rows[classes["us-large-cap"].pk].weight == Decimal("60")
        assert rows[classes["us-small-cap"].pk].abs_band == Decimal("3")
        assert rows[classes["us-small-cap"].pk].preferred_security_id == iwm.pk
        assert mv.current_lines(model) == mv.lines_of(version)
    (event,) = firm_events(w.firm, "model_version.published")
    assert event.actor_id == w.advisor.user_id
    assert event.changes["version"] == {"before": 1, "after": 2}
    assert [x["weight"] for x in event.changes["lines"]["before"]] == ["100"]
    assert [(x["label"], x["weight"]) for x in event.changes["lines"]["after"]] == [
        ("US large cap", "60"),
        ("US small cap", "40"),
    ]
    assert "US small cap: added (40% (bands ±3 pts / 25%), buys IWM)" in event.changes["changed"]


def test_equivalents_are_rewritten_with_the_lines(world_a, classes, voo, iwm):
    ivv = factories.security("IVV", classes["us-large-cap"])
    lines = sixty_forty(classes, voo, iwm)
    lines[0] = line(classes["us-large-cap"], weight="60", preferred=voo, eq=[ivv])
    publish(world_a, lines)
    with firm_scope(world_a.firm):
        assert list(
            TargetEquivalent.objects.filter(target__model=world_a.model).values_list(
                "target__asset_class_id", "security_id"
            )
        ) == [(classes["us-large-cap"].pk, ivv.pk)]
    publish(world_a, sixty_forty(classes, voo, iwm), summary="No equivalents", expected=2)
    with firm_scope(world_a.firm):
        assert not TargetEquivalent.objects.filter(target__model=world_a.model).exists()


@pytest.mark.parametrize(
    "case, index, message",
    [
        ("sum", None, "add up to 90%"),
        ("both", 0, "not both and not neither"),
        ("neither", 0, "not both and not neither"),
        ("negative band", 1, "absolute band cannot be negative"),
        ("preferred elsewhere", 1, "preferred security VOO is not in US small cap"),
        ("duplicate", 1, "Duplicates line 1"),
        ("preferred on security", 1, "leave the preferred security empty"),
        ("too precise", 0, "at most 4 decimals"),
    ],
)
def test_invalid_lines_are_refused_and_change_nothing(
    world_a, classes, voo, iwm, case, index, message
):
    large, small = classes["us-large-cap"], classes["us-small-cap"]
    lines = {
        "sum": [line(large, weight="50"), line(small, weight="40")],
        "both": [line(large, sec=voo, weight="60"), line(small, weight="40")],
        "neither": [line(weight="60"), line(small, weight="40")],
        "negative band": [line(large, weight="60"), line(small, weight="40", abs_band="-1")],
        "preferred elsewhere": [line(large, weight="60"), line(small, weight="40", preferred=voo)],
        "duplicate": [line(large, weight="60"), line(large, weight="40")],
        "preferred on security": [
            line(large, weight="60"),
            line(sec=iwm, weight="40", preferred=iwm),
        ],
        "too precise": [line(large, weight="59.99999"), line(small, weight="40.00001")],
    }[case]
    before = state_of(world_a.model)
    with pytest.raises(mv.LinesInvalid) as caught:
        publish(world_a, lines)
    if index is None:
        assert any(message in m for m in caught.value.general)
    else:
        assert any(message in m for m in caught.value.by_line[index]), caught.value.by_line
    assert state_of(world_a.model) == before


def test_an_equivalent_outside_the_class_is_refused(world_a, classes, voo, iwm):
    lines = sixty_forty(classes, voo, iwm)
    lines[0] = line(classes["us-large-cap"], weight="60", eq=[iwm])
    with pytest.raises(mv.LinesInvalid, match="equivalent IWM is not in US large cap"):
        publish(world_a, lines)


def test_a_preferred_security_of_a_subclass_is_fine_for_its_parent(world_a, classes, voo, bnd):
    lines = [
        line(classes["equity"], weight="70", preferred=voo),
        line(classes["fixed-income"], weight="30", preferred=bnd),
    ]
    assert publish(world_a, lines).number == 2


def test_the_summary_is_required_and_nothing_changes_without_it(world_a, classes, voo, iwm):
    before = state_of(world_a.model)
    with pytest.raises(ValidationError, match="what changed and why"):
        publish(world_a, sixty_forty(classes, voo, iwm), summary="  ")
    assert state_of(world_a.model) == before


def test_saving_the_same_lines_again_is_refused(world_a, classes):
    with pytest.raises(ValidationError, match="Nothing changed"):
        publish(world_a, [line(classes["us-large-cap"], weight="100")])


def test_a_stale_edit_loses_to_the_one_saved_first(world_a, classes, voo, iwm):
    publish(world_a, sixty_forty(classes, voo, iwm))
    before = state_of(world_a.model)
    with pytest.raises(mv.ModelConflict, match="now at version 2, not 1"):
        publish(world_a, [line(classes["us-large-cap"], weight="100", abs_band="4")], expected=1)
    assert state_of(world_a.model) == before


@pytest.mark.parametrize("persona", ["compliance", "client"])
def test_only_admins_and_advisors_change_models(world_a, classes, voo, iwm, persona):
    before = state_of(world_a.model)
    with pytest.raises(PermissionDenied):
        publish(world_a, sixty_forty(classes, voo, iwm), actor=getattr(world_a, persona))
    assert state_of(world_a.model) == before


def test_a_draft_changes_nothing_live_until_made_live(world_a, classes, voo, iwm):
    w = world_a
    draft = mv.save_draft(
        model=w.model, lines=sixty_forty(classes, voo, iwm), summary="Try small caps",
        actor=w.admin.user, expected_version=1,
    )  # fmt: skip
    assert (draft.number, draft.state) == (2, "draft")
    with firm_scope(w.firm):
        model = ModelPortfolio.objects.get(pk=w.model.pk)
        assert model.version == 1
        assert [x.weight for x in mv.current_lines(model)] == [Decimal("100")]
        assert mv.open_draft(model).pk == draft.pk
    # Saving the draft again replaces it: still one draft, same number.
    again = mv.save_draft(
        model=w.model, lines=sixty_forty(classes, voo, iwm)[::-1], summary="Bands",
        actor=w.admin.user, expected_version=1,
    )  # fmt: skip
    assert (again.pk, again.number, again.summary) == (draft.pk, 2, "Bands")
    live = mv.make_draft_live(model=w.model, actor=w.advisor.user, expected_version=1)
    assert (live.pk, live.number, live.state) == (draft.pk, 2, "live")
    with firm_scope(w.firm):
        model = ModelPortfolio.objects.get(pk=w.model.pk)
        assert model.version == 2
        assert [x.weight for x in mv.current_lines(model)] == [Decimal("60"), Decimal("40")]
        assert dict(model.versions.values_list("number", "state")) == {
            1: "superseded",
            2: "live",
        }
    actions = [e.action for e in firm_events(w.firm) if e.action.startswith("model")]
    assert actions == ["model_version.drafted", "model_version.drafted", "model_version.published"]


def test_publishing_over_a_draft_turns_the_draft_into_the_new_version(world_a, classes, voo, iwm):
    w = world_a
    mv.save_draft(model=w.model, lines=sixty_forty(classes, voo, iwm), summary="Draft",
                  actor=w.admin.user, expected_version=1)  # fmt: skip
    version = publish(w, [line(classes["us-large-cap"], weight="100", abs_band="4")])
    assert (version.number, version.state) == (2, "live")
    with firm_scope(w.firm):
        assert mv.open_draft(w.model) is None
        assert ModelVersion.objects.filter(model=w.model).count() == 2


def test_a_discarded_draft_stays_in_the_history_and_numbers_keep_growing(
    world_a, classes, voo, iwm
):
    w = world_a
    mv.save_draft(model=w.model, lines=sixty_forty(classes, voo, iwm), summary="Draft",
                  actor=w.admin.user, expected_version=1)  # fmt: skip
    discarded = mv.discard_draft(model=w.model, actor=w.advisor.user)
    assert (discarded.number, discarded.state) == (2, "discarded")
    with pytest.raises(mv.ModelError, match="no draft to make live"):
        mv.make_draft_live(model=w.model, actor=w.advisor.user, expected_version=1)
    assert publish(w, sixty_forty(classes, voo, iwm)).number == 3
    (event,) = firm_events(w.firm, "model_version.discarded")
    assert event.changes["draft"] == 2


def test_create_model_makes_version_one_live(world_a, classes, voo, iwm):
    model = mv.create_model(
        firm=world_a.firm, name="Small tilt", description="More small caps",
        lines=sixty_forty(classes, voo, iwm), actor=world_a.admin.user,
    )  # fmt: skip
    with firm_scope(world_a.firm):
        assert model.version == 1
        (v1,) = ModelVersion.objects.filter(model=model)
        assert (v1.number, v1.state, v1.created_by_id) == (1, "live", world_a.admin.user_id)
        assert Target.objects.filter(model=model).count() == 2
    (event,) = [e for e in firm_events(world_a.firm, "modelportfolio.created")]
    assert event.object_id == str(model.pk)
    assert len(event.changes["lines"]["after"]) == 2
    with pytest.raises(ValidationError, match="already has a model named"):
        mv.create_model(firm=world_a.firm, name="small TILT",
                        lines=sixty_forty(classes, voo, iwm), actor=world_a.admin.user)  # fmt: skip


def test_retiring_is_refused_while_households_or_accounts_follow(world_a, classes):
    w = world_a
    before = state_of(w.model)
    with pytest.raises(mv.ModelInUse, match="1 household and 1 account follow it"):
        mv.retire_model(model=w.model, actor=w.admin.user)
    assert state_of(w.model) == before
    with firm_scope(w.firm):
        Household.objects.filter(pk=w.household.pk).update(model=None)
    with pytest.raises(mv.ModelInUse, match="0 households and 1 account follow it"):
        mv.retire_model(model=w.model, actor=w.admin.user)
    with firm_scope(w.firm):
        Account.objects.filter(pk=w.account.pk).update(model=None)
    retired = mv.retire_model(model=w.model, actor=w.admin.user)
    assert retired.retired_at is not None
    with pytest.raises(mv.ModelError, match="is retired"):
        publish(w, [line(classes["us-large-cap"], weight="100", abs_band="4")])
    back = mv.unretire_model(model=w.model, actor=w.admin.user)
    assert back.retired_at is None
    actions = [e.action for e in firm_events(w.firm) if e.action.startswith("modelportfolio")]
    assert actions == ["modelportfolio.retired", "modelportfolio.unretired"]


def test_the_demo_gives_balanced_a_second_version_once(world_a, classes, voo, iwm):
    with firm_scope(world_a.firm):
        ModelPortfolio.objects.filter(pk=world_a.model.pk).update(name=MODEL_NAME)
        small = classes["us-small-cap"]
        Target.objects.create(
            firm=world_a.firm, model=world_a.model, asset_class=small, weight=Decimal("10")
        )
        Target.objects.filter(pk=world_a.target.pk).update(weight=Decimal("90"))
    assert seed_model_versions(world_a.firm) == 1
    assert seed_model_versions(world_a.firm) == 0
    with firm_scope(world_a.firm):
        model = ModelPortfolio.objects.get(pk=world_a.model.pk)
        assert model.version == 2
        assert [(x.weight, x.abs_band) for x in mv.current_lines(model)] == [
            (Decimal("88"), Decimal("5")),
            (Decimal("12"), Decimal("3")),
        ]
        summaries = dict(model.versions.values_list("number", "summary"))
    assert summaries[1] == "Version 1: the model as first set up."
    assert summaries[2].startswith("Small caps lagged")
