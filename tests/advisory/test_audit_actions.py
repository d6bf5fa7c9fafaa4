"""The registry of audit action codes: record() refuses what is not in it, every call
site uses it, every model the admin edits has its change codes, and the compliance
audit log filters by it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.contrib import admin
from django.test import RequestFactory

from advisory import audit_actions as actions
from advisory.admin_site import FirmInline, FirmModelAdmin
from advisory.audit import record, record_change
from advisory.audit_actions import ActionType, UnknownAction
from advisory.models import AuditEvent
from advisory.tenancy import firm_scope

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("advisory", "portfolios")
SKIPPED = ("migrations", "portfolios/bench")
CODE_RE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
# Functions that take an action code: the writer itself and the helpers that pass one on.
RECORDING_CALLS = frozenset(
    {"record", "record_change", "_record", "audit", "_edit", "_record_for_user_firms"}
)


def event_count(firm) -> int:
    with firm_scope(firm):
        return AuditEvent.objects.count()


# --- record() and record_change() refuse what is not registered -------------------------------


def test_record_refuses_an_unknown_code_and_writes_nothing(world_a):
    record(firm=world_a.firm, action=actions.HOUSEHOLD_VIEWED, obj=world_a.household)
    before = event_count(world_a.firm)
    with pytest.raises(UnknownAction, match=r"household\.looked_at"):
        record(firm=world_a.firm, action="household.looked_at", obj=world_a.household)
    forged = ActionType("household.viewed", "Looked around", actions.ADMIN)
    with pytest.raises(UnknownAction):
        record(firm=world_a.firm, action=forged, obj=world_a.household)
    assert event_count(world_a.firm) == before
    assert issubclass(UnknownAction, ValueError)


def test_record_accepts_a_registered_type_or_code(world_a):
    by_type = record(firm=world_a.firm, action=actions.PROPOSAL_APPROVED)
    by_code = record(firm=world_a.firm, action="proposal.approved")
    assert by_type.action == by_code.action == "proposal.approved"


def test_record_change_of_an_unregistered_model_fails_loudly(world_a, voo):
    before = event_count(world_a.firm)
    # Securities are shared reference data: nothing edits them through record_change.
    with pytest.raises(UnknownAction, match=r"security\.created"):
        record_change(firm=world_a.firm, obj=voo, before=None, verb="created")
    with pytest.raises(UnknownAction, match=r"firm\.deleted"):
        record_change(firm=world_a.firm, obj=world_a.firm, before={}, verb="deleted")
    with pytest.raises(ValueError, match="verb"):
        actions.model_change("household", "renamed")
    assert event_count(world_a.firm) == before


def test_record_change_uses_the_registered_code(world_a):
    with firm_scope(world_a.firm):
        event = record_change(firm=world_a.firm, obj=world_a.lot, before=None, verb="created")
    assert event.action == actions.TAXLOT_CREATED.code


# --- The registry itself ---------------------------------------------------------------------


def test_every_code_has_a_label_and_a_valid_category():
    assert set(actions.CATEGORIES) == {"read", "write", "approval", "auth", "export", "admin"}
    assert len(actions.REGISTRY) > 40
    for code, action in actions.REGISTRY.items():
        assert action.code == code
        assert CODE_RE.match(code) and len(code) <= 80, code
        assert action.label.strip() and action.label != code, code
        assert action.category in actions.CATEGORIES, code
        assert actions.get(code) is action
    labels = [a.label for a in actions.REGISTRY.values()]
    assert len(set(labels)) == len(labels), "two codes share a label"


def test_module_constants_are_the_registered_objects():
    constants = [v for v in vars(actions).values() if isinstance(v, ActionType)]
    assert {a.code for a in constants} == set(actions.REGISTRY)
    assert all(actions.REGISTRY[a.code] is a for a in constants)


def test_near_duplicate_import_codes_read_differently():
    whole_file, one_account = actions.get("positions.import"), actions.get("positions.imported")
    assert whole_file.label != one_account.label
    assert "file" in whole_file.label and "account" in one_account.label


def test_get_refuses_unknown_codes_and_registration_refuses_bad_ones():
    with pytest.raises(UnknownAction, match=r"no\.such"):
        actions.get("no.such")
    with pytest.raises(ValueError, match="twice"):
        actions._register("household.viewed", "Again", actions.READ)
    with pytest.raises(ValueError, match="category"):
        actions._register("household.peeked", "Peeked", "gossip")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Malformed"):
        actions._register("Household Viewed", "Viewed", actions.READ)
    assert "household.peeked" not in actions.REGISTRY


def test_by_category_groups_every_code_once_in_category_order():
    grouped = actions.by_category()
    assert list(grouped) == list(actions.CATEGORIES)
    flat = [a.code for members in grouped.values() for a in members]
    assert sorted(flat) == sorted(actions.REGISTRY)
    assert all(a.category == key for key, members in grouped.items() for a in members)
    assert actions.HOUSEHOLD_VIEWED in grouped["read"]
    assert actions.LOGIN_FAILED in grouped["auth"]
    assert actions.PROPOSAL_APPROVED in grouped["approval"]
    assert actions.PROPOSAL_EXPORTED in grouped["export"]


def test_label_of_degrades_gracefully_for_historical_codes():
    assert actions.label_of("household.viewed") == "Viewed a household"
    assert actions.label_of("proposal_batch.legacy_step") == "Proposal batch legacy step"
    assert actions.label_of("") == "Unnamed action"


# --- Every call site uses the registry -------------------------------------------------------


def product_files() -> list[Path]:
    files = []
    for app in SCANNED:
        for path in sorted((ROOT / app).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if not any(f"/{s}/" in f"/{rel}" for s in SKIPPED):
                files.append(path)
    return files


def _called_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _is_code_literal(node: ast.AST) -> bool:
    """A spelled-out code: "x.y", an f-string, or a conditional between such."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(CODE_RE.match(node.value))
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.IfExp):
        return _is_code_literal(node.body) or _is_code_literal(node.orelse)
    return False


def literal_codes(source: str) -> list[tuple[int, str]]:
    """(line, what) for each action code written as a string at a call site."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and _called_name(node) in RECORDING_CALLS:
            args = [*node.args, *(k.value for k in node.keywords if k.arg == "action")]
            found += [(node.lineno, _called_name(node)) for a in args if _is_code_literal(a)]
        elif isinstance(node, ast.Assign) and _is_code_literal(node.value):
            # action = "x.y" if ... else "x.z"; record(action=action)
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            found += [(node.lineno, name) for name in names if name == "action"]
    return found


def registry_attributes(source: str) -> list[tuple[int, str]]:
    """(line, name) for each ``<alias>.NAME`` where alias is advisory.audit_actions,
    and each name imported from it."""
    tree = ast.parse(source)
    aliases, used = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name == "audit_actions" and node.module in ("advisory", None):
                    aliases.add(alias.asname or alias.name)
                if (node.module or "").endswith("audit_actions"):
                    used.append((node.lineno, alias.name))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
        ):
            used.append((node.lineno, node.attr))
    return used


def test_the_scanner_sees_literal_codes():
    bad = (
        'record(firm=f, action="household.viewed")\n'
        'audit(p, f"proposal.{target}", actor, m, {})\n'
        'action = "price.corrected" if before else "price.entered"\n'
    )
    assert sorted(line for line, _ in literal_codes(bad)) == [1, 2, 3]
    good = "record(firm=f, action=actions.HOUSEHOLD_VIEWED.code)\n"
    assert literal_codes(good) == []
    uses = registry_attributes("from advisory import audit_actions as a\na.NOPE.code\n")
    assert uses == [(2, "NOPE")]


def test_no_call_site_spells_an_action_code_as_a_string():
    offenders = [
        f"{path.relative_to(ROOT)}:{line} ({what})"
        for path in product_files()
        if path.name != "audit_actions.py"
        for line, what in literal_codes(path.read_text())
    ]
    assert offenders == [], "use advisory.audit_actions constants:\n" + "\n".join(offenders)


def test_every_registry_name_used_exists():
    used = [
        (path.relative_to(ROOT), line, name)
        for path in product_files()
        for line, name in registry_attributes(path.read_text())
    ]
    missing = [f"{p}:{line} actions.{name}" for p, line, name in used if not hasattr(actions, name)]
    assert missing == []
    # The scan really saw the call sites (a broken scan must not pass quietly).
    names = {name for _, _, name in used}
    assert {"HOUSEHOLD_VIEWED", "LOGIN_FAILED", "POSITIONS_IMPORTED", "PROPOSAL_REFUSED"} <= names
    assert len(used) > 30


# --- Every model the admin edits has its change codes ----------------------------------------


def _admin_request(membership):
    request = RequestFactory().get("/admin/")
    request.user, request.membership, request.firm = membership.user, membership, membership.firm
    return request


def test_every_model_edited_in_the_admin_has_its_change_codes(world_a):
    request = _admin_request(world_a.admin)
    checked: dict[str, set[str]] = {}
    for model, model_admin in admin.site._registry.items():
        if not isinstance(model_admin, FirmModelAdmin):
            continue  # reference data: read-only in the admin, never record_change'd
        editors = [(model, model_admin)]
        for inline_class in model_admin.inlines:
            inline = inline_class(model, admin.site)
            assert isinstance(inline, FirmInline), inline_class
            editors.append((inline.model, inline))
        for edited, editor in editors:
            inline = isinstance(editor, FirmInline)
            verbs = {
                "created": (
                    editor.has_add_permission(request, None)
                    if inline
                    else editor.has_add_permission(request)
                ),
                "updated": editor.has_change_permission(request),
                "deleted": editor.has_delete_permission(request),
            }
            for verb, allowed in verbs.items():
                if allowed:
                    actions.model_change(edited._meta.model_name, verb)  # raises if missing
                    checked.setdefault(edited._meta.model_name, set()).add(verb)
    assert checked["household"] == {"created", "updated", "deleted"}
    assert checked["householdteammember"] == {"created", "updated", "deleted"}  # an inline
    # Model portfolios change through their versioned pages only (portfolios/model_versions).
    assert "target" not in checked
    assert "modelportfolio" not in checked
    assert checked["membership"] == {"updated"}
    assert "auditevent" not in checked  # append-only, even in the admin


def test_models_saved_through_save_audited_have_their_update_code():
    # advisory.views: firm settings, household and account edit forms.
    for model_name in ("firm", "household", "account"):
        assert actions.model_change(model_name, "updated").category in ("write", "admin")


# --- The compliance audit log filters by the registry -----------------------------------------


@pytest.fixture
def trail(world_a):
    record(firm=world_a.firm, action=actions.HOUSEHOLD_VIEWED, obj=world_a.household)
    record(firm=world_a.firm, action=actions.ACCOUNT_VIEWED, obj=world_a.account)
    record(firm=world_a.firm, action=actions.PROPOSAL_APPROVED, object_repr="Alpha proposal")
    record(firm=world_a.firm, action=actions.PROPOSAL_EXPORTED, object_repr="Alpha orders")
    return world_a


def shown(response) -> list[str]:
    assert response.status_code == 200
    return [e.action for e in response.context["page"]]


def test_audit_log_filters_by_category(trail, login):
    client = login(trail.compliance)  # the login itself is an auth.login event
    everything = shown(client.get("/compliance/audit/"))
    assert {"household.viewed", "account.viewed", "proposal.approved", "auth.login"} <= set(
        everything
    )
    assert shown(client.get("/compliance/audit/", {"category": "read"})) == [
        "account.viewed",
        "household.viewed",
    ]
    assert set(shown(client.get("/compliance/audit/", {"category": "auth"}))) == {"auth.login"}
    assert shown(client.get("/compliance/audit/", {"category": "export"})) == ["proposal.exported"]
    # An unknown category is ignored, not an empty page or an error.
    assert shown(client.get("/compliance/audit/", {"category": "gossip"})) == everything


def test_audit_log_filters_by_action(trail, login):
    client = login(trail.compliance)
    response = client.get("/compliance/audit/", {"code": "proposal.approved"})
    assert shown(response) == ["proposal.approved"]
    page = response.content.decode()
    assert '<option value="proposal.approved" selected>' in page
    # Both filters apply together: an action outside the chosen category finds nothing.
    response = client.get("/compliance/audit/", {"category": "read", "code": "proposal.approved"})
    assert shown(response) == []
    assert "No events match these filters." in response.content.decode()
    # The free-text filter still works beside them.
    assert shown(client.get("/compliance/audit/", {"action": "viewed"})) == [
        "account.viewed",
        "household.viewed",
    ]


def test_audit_log_offers_grouped_choices_and_shows_labels(trail, login):
    page = login(trail.compliance).get("/compliance/audit/").content.decode()
    assert '<form class="form-stack" method="get"' in page
    assert '<select id="filter-category" name="category">' in page
    assert '<select id="filter-code" name="code">' in page
    for key, heading in actions.CATEGORIES.items():
        assert f'<option value="{key}">{heading}</option>' in page
        assert f'<optgroup label="{heading}">' in page
    read_group = page.split('<optgroup label="Sensitive reads">', 1)[1].split("</optgroup>", 1)[0]
    assert 'value="household.viewed"' in read_group
    assert 'value="auth.login"' not in read_group
    assert "Viewed a household" in page and "Exported a proposal&#x27;s order file" in page


def test_audit_log_renders_historical_codes(world_a, login, monkeypatch):
    legacy = ActionType("legacy.thing_done", "Did a legacy thing", actions.WRITE)
    monkeypatch.setitem(actions.REGISTRY, legacy.code, legacy)
    record(firm=world_a.firm, action=legacy, object_repr="old event")
    monkeypatch.undo()  # the code is no longer registered; its event is still stored
    response = login(world_a.compliance).get("/compliance/audit/", {"action": "legacy"})
    assert shown(response) == ["legacy.thing_done"]
    assert "Legacy thing done" in response.content.decode()


def test_audit_log_pages_keep_the_filters(world_a, login):
    for _ in range(55):
        record(firm=world_a.firm, action=actions.HOUSEHOLD_VIEWED, obj=world_a.household)
    client = login(world_a.compliance)
    response = client.get("/compliance/audit/", {"category": "read"})
    page = response.context["page"]
    assert (len(page.object_list), page.paginator.count) == (50, 55)
    assert 'href="?category=read&amp;page=2"' in response.content.decode()
    second = client.get("/compliance/audit/", {"category": "read", "page": 2})
    assert shown(second) == ["household.viewed"] * 5
