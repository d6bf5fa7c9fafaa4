"""The model pages through the test client: list, detail with history, create and edit with
a formset of lines (per-line errors), drafts, retire, and who may do what."""

from __future__ import annotations

from decimal import Decimal

import pytest

from advisory.tenancy import firm_scope
from portfolios import model_versions as mv
from portfolios.models import ModelPortfolio, ModelVersion
from tests.factories import firm_events
from tests.portfolios.model_versions.conftest import line


def formset(rows: list[dict], initial: int | None = None, **extra) -> dict:
    """POST data for the lines formset (prefix ``lines``)."""
    data = {
        "lines-TOTAL_FORMS": str(len(rows)),
        "lines-INITIAL_FORMS": str(len(rows) if initial is None else initial),
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "60",
    }
    for i, row in enumerate(rows):
        defaults = {"abs_band": "5", "rel_band": "25", "security": "", "preferred": ""}
        for key, value in {**defaults, **row}.items():
            data[f"lines-{i}-{key}"] = value
    return {**data, **extra}


def model_state(model) -> tuple:
    with firm_scope(model.firm_id):
        m = ModelPortfolio.objects.get(pk=model.pk)
        return m.version, [(x.asset_class_id, x.weight) for x in mv.current_lines(m)]


@pytest.fixture
def sixty_forty(classes, voo, iwm):
    return [
        {"asset_class": classes["us-large-cap"].pk, "weight": "60", "preferred": "voo"},
        {"asset_class": classes["us-small-cap"].pk, "weight": "40", "preferred": "IWM"},
    ]


# --- Reading -----------------------------------------------------------------------------


def test_list_shows_each_model_with_its_version_and_followers(world_a, world_b, login):
    body = login(world_a.compliance).get("/models/").content.decode()
    assert "Alpha Growth Model" in body
    assert "Version 1" in body
    assert "ZetaSecret" not in body
    assert 'href="/models/new/"' not in body  # compliance reads only


def test_detail_shows_lines_and_the_history_with_its_diff(world_a, classes, voo, iwm, login):
    mv.publish_version(
        model=world_a.model,
        lines=[line(classes["us-large-cap"], weight="60", preferred=voo),
               line(classes["us-small-cap"], weight="40", preferred=iwm)],
        summary="Add a small-cap sleeve",
        actor=world_a.advisor.user,
        expected_version=1,
    )  # fmt: skip
    response = login(world_a.compliance).get(f"/models/{world_a.model.pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Live lines · version 2" in body
    assert "Add a small-cap sleeve" in body
    assert "weight 100% → 60%" in body  # the diff between versions 1 and 2
    assert "US small cap</strong> added" in body
    assert "IWM" in body
    assert "Retire" not in body  # compliance sees no write buttons


def test_another_firms_model_is_a_404(world_a, world_b, login):
    client = login(world_a.admin)
    for path in ("/models/{}/", "/models/{}/edit/"):
        assert client.get(path.format(world_b.model.pk)).status_code == 404
    before = model_state(world_b.model)
    response = client.post(f"/models/{world_b.model.pk}/edit/", formset([]))
    assert response.status_code == 404
    assert model_state(world_b.model) == before


# --- Writing -----------------------------------------------------------------------------


def test_create_through_the_form(world_a, login, sixty_forty):
    client = login(world_a.admin)
    assert client.get("/models/new/").status_code == 200
    data = formset(sixty_forty, initial=0, name="Small tilt", description="", summary="",
                   action="publish")  # fmt: skip
    response = client.post("/models/new/", data)
    assert response.status_code == 302
    with firm_scope(world_a.firm):
        model = ModelPortfolio.objects.get(name="Small tilt")
        assert model.version == 1
        assert [x.weight for x in mv.current_lines(model)] == [Decimal("60"), Decimal("40")]
    assert response["Location"] == f"/models/{model.pk}/"


def test_edit_through_the_form_makes_a_new_version(world_a, classes, login, sixty_forty):
    client = login(world_a.advisor)
    page = client.get(f"/models/{world_a.model.pk}/edit/").content.decode()
    assert 'name="lines-0-weight"' in page and 'value="100"' in page
    data = formset(sixty_forty, initial=1, summary="Small caps to 40%", model_version="1",
                   action="publish")  # fmt: skip
    response = client.post(f"/models/{world_a.model.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert model_state(world_a.model) == (
        2,
        [(classes["us-large-cap"].pk, Decimal("60")), (classes["us-small-cap"].pk, Decimal("40"))],
    )
    (event,) = firm_events(world_a.firm, "model_version.published")
    assert event.changes["summary"] == "Small caps to 40%"


def test_errors_are_listed_per_line_and_nothing_changes(world_a, classes, iwm, login):
    client = login(world_a.advisor)
    before = model_state(world_a.model)
    rows = [
        {"asset_class": classes["us-large-cap"].pk, "weight": "60", "preferred": "IWM"},
        {"asset_class": classes["us-small-cap"].pk, "weight": "30", "security": "VOO"},
    ]
    data = formset(rows, summary="Bad", model_version="1", action="publish")
    response = client.post(f"/models/{world_a.model.pk}/edit/", data)
    body = response.content.decode()
    assert response.status_code == 422
    assert "add up to exactly 100%; they add up to 90%" in body
    line1 = body[body.index('id="line-1"') : body.index('id="line-2"')]
    line2 = body[body.index('id="line-2"') :]
    assert "The preferred security IWM is not in US large cap." in line1
    assert "not both and not neither" in line2
    assert "not both and not neither" not in line1
    assert model_state(world_a.model) == before


def test_an_unknown_symbol_is_a_field_error(world_a, classes, login):
    rows = [{"asset_class": classes["us-large-cap"].pk, "weight": "100", "preferred": "NOPE"}]
    response = login(world_a.advisor).post(
        f"/models/{world_a.model.pk}/edit/",
        formset(rows, summary="x", model_version="1", action="publish"),
    )
    assert response.status_code == 422
    assert "No security with the symbol NOPE." in response.content.decode()


def test_the_summary_is_required(world_a, login, sixty_forty):
    before = model_state(world_a.model)
    response = login(world_a.advisor).post(
        f"/models/{world_a.model.pk}/edit/",
        formset(sixty_forty, summary="", model_version="1", action="publish"),
    )
    assert response.status_code == 422
    assert "Say what changed and why" in response.content.decode()
    assert model_state(world_a.model) == before


def test_add_a_line_and_remove_one(world_a, classes, login, sixty_forty):
    client = login(world_a.advisor)
    url = f"/models/{world_a.model.pk}/edit/"
    response = client.post(url, formset(sixty_forty, summary="", action="add"))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="lines-2-weight"' in body and 'name="lines-3-weight"' not in body
    assert 'name="lines-2-abs_band" value="5"' in body  # the new row has the default bands
    assert "Say what changed and why: it goes" not in body  # not saving yet: no summary error
    # A third row marked "Remove" does not count; a blank added row is ignored.
    removed = {"asset_class": classes["international"].pk, "weight": "10", "DELETE": "on"}
    rows = [*sixty_forty, removed, {"weight": ""}]
    data = formset(rows, initial=3, summary="Drop intl", model_version="1", action="publish")
    assert client.post(url, data).status_code == 302
    assert model_state(world_a.model)[0] == 2
    assert len(model_state(world_a.model)[1]) == 2


def test_the_running_total_comes_back_as_a_fragment(world_a, classes, login):
    rows = [{"asset_class": classes["us-large-cap"].pk, "weight": "55.5"},
            {"asset_class": classes["us-small-cap"].pk, "weight": "30"}]  # fmt: skip
    response = login(world_a.advisor).post(
        f"/models/{world_a.model.pk}/edit/",
        formset(rows, action="total"),
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.strip().startswith('<p id="weights-total"')
    assert "Total 85.5%" in body and "must be 100%" in body


def test_draft_save_make_live_and_discard_through_the_pages(world_a, login, sixty_forty):
    client = login(world_a.admin)
    url = f"/models/{world_a.model.pk}/"
    data = formset(sixty_forty, summary="Try it", model_version="1", action="draft")
    assert client.post(url + "edit/", data).status_code == 302
    assert model_state(world_a.model)[0] == 1
    body = client.get(url).content.decode()
    assert "Draft · version 2" in body and "Make version 2 live" in body
    response = client.post(url + "draft/live/", {"model_version": "1"})
    assert response.status_code == 302
    assert model_state(world_a.model)[0] == 2
    client.post(url + "edit/", {**data, "model_version": "2"})
    client.post(url + "draft/discard/")
    with firm_scope(world_a.firm):
        states = dict(
            ModelVersion.objects.filter(model=world_a.model).values_list("number", "state")
        )
    assert states == {1: "superseded", 2: "live", 3: "discarded"}


def test_retire_is_refused_with_a_reason_while_followed(world_a, login):
    client = login(world_a.admin)
    response = client.post(f"/models/{world_a.model.pk}/retire/", follow=True)
    body = response.content.decode()
    assert "cannot be retired: 1 household and 1 account follow it" in body
    with firm_scope(world_a.firm):
        assert ModelPortfolio.objects.get(pk=world_a.model.pk).retired_at is None


@pytest.mark.parametrize(
    "path",
    ["/models/new/", "/models/{}/edit/", "/models/{}/draft/live/", "/models/{}/draft/discard/",
     "/models/{}/retire/", "/models/{}/unretire/"],
)  # fmt: skip
def test_compliance_cannot_write(world_a, login, path, sixty_forty):
    client = login(world_a.compliance)
    before = model_state(world_a.model)
    url = path.format(world_a.model.pk)
    assert client.post(url, formset(sixty_forty, summary="x", action="publish")).status_code == 403
    assert model_state(world_a.model) == before


def test_clients_see_no_model_pages(world_a, login):
    client = login(world_a.client)
    assert client.get("/models/").status_code == 403
    assert client.get(f"/models/{world_a.model.pk}/").status_code == 403


def test_household_page_says_which_version_it_follows(world_a, classes, login):
    mv.publish_version(
        model=world_a.model,
        lines=[line(classes["us-large-cap"], weight="100", abs_band="4")],
        summary="Tighter band",
        actor=world_a.admin.user,
        expected_version=1,
    )
    body = login(world_a.advisor).get(f"/households/{world_a.household.pk}/").content.decode()
    assert (
        f'Follows <a href="/models/{world_a.model.pk}/">Alpha Growth Model, version 2</a>' in body
    )


def test_the_admin_shows_models_read_only_with_a_link(world_a, login, classes):
    client = login(world_a.admin)
    page = client.get(f"/admin/portfolios/modelportfolio/{world_a.model.pk}/change/")
    assert page.status_code == 200
    assert f'href="/models/{world_a.model.pk}/"' in page.content.decode()
    response = client.post(
        f"/admin/portfolios/modelportfolio/{world_a.model.pk}/change/",
        {"name": "Renamed", "targets-TOTAL_FORMS": "0", "targets-INITIAL_FORMS": "0"},
    )
    assert response.status_code == 403
    assert client.post("/admin/portfolios/modelportfolio/add/", {"name": "X"}).status_code == 403
    with firm_scope(world_a.firm):
        assert ModelPortfolio.objects.get(pk=world_a.model.pk).name == "Alpha Growth Model"
