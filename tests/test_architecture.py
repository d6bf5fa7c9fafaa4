"""The layers of docs/architecture.md, enforced: an import that crosses a forbidden direction
fails here, naming the file, the line and the rule.

Imports are read with ``ast``: relative ones resolved, ``from a import b`` counted as
``a.b`` when that is a module of ours (else as ``a``), imports under ``TYPE_CHECKING``
included. Nothing is imported to check.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("advisory", "portfolios", "reports")

# Pure engines: plain data in, plain data out. No ORM, settings, tasks or tenancy.
PURE = (
    "portfolios.bands",
    "advisory.money",
    "portfolios.charts",
    "portfolios.drift.engine",
    "portfolios.drift.buckets",
    "portfolios.drift.columns",
    "portfolios.drift.exact",
    "portfolios.rebalance",
    "portfolios.proposals.arithmetic",
)
PURE_MAY_NOT = ("django.db", "django.conf", "celery", "advisory", "portfolios", "reports")

ADVISORY_PAGES = (
    "advisory.views",
    "advisory.portal",
    "advisory.compliance",
    "advisory.forms",
    "advisory.urls",
    "advisory.context_processors",
    "advisory.templatetags",
)
DEMO = ("advisory.demo", "advisory.management.commands.seed_demo")
BENCH = (
    "portfolios.bench",
    "portfolios.management.commands.bench_",
    "reports.bench",
    "reports.management.commands.bench_",
    "advisory.bench",
    "advisory.management.commands.bench_",
)
PORTFOLIOS_DOOR = "portfolios.queries"
REPORTS_DOOR = "reports.queries"


def within(module: str, prefixes: tuple[str, ...] | str) -> bool:
    prefixes = (prefixes,) if isinstance(prefixes, str) else prefixes
    return any(
        module == p or module.startswith(p if p.endswith("_") else p + ".") for p in prefixes
    )


def layer_of(module: str) -> str:
    if within(module, BENCH):
        return "bench"
    if within(module, DEMO):
        return "demo"
    if within(module, PURE):
        return "pure"
    if within(module, ADVISORY_PAGES):
        return "advisory pages"
    if within(module, "advisory"):
        return "advisory core"
    if within(module, "portfolios"):
        return "portfolios"
    if within(module, "reports"):
        return "reports"
    return "other"


def refusal(importer: str, imported: str) -> str | None:
    """Why ``importer`` may not import ``imported``, or None when it may."""
    layer = layer_of(importer)
    if within(imported, BENCH) and layer != "bench":
        return "only benchmarks import the bench packages"
    if within(imported, DEMO) and layer not in ("demo", "bench"):
        return "only the demo imports the demo"
    if within(imported, PURE):  # pure modules (money, bands, charts, engines) serve every layer
        return None
    if layer == "pure":
        if within(imported, PURE_MAY_NOT):
            return "a pure engine imports only other pure modules (no ORM, settings, tenancy)"
        return None
    if layer == "advisory core" and within(imported, ("portfolios", "reports", *ADVISORY_PAGES)):
        return "advisory's core (models, tenancy, access, audit) imports no feature app or page"
    if (
        layer in ("advisory pages", "reports")
        and within(imported, "portfolios")
        and not within(imported, PORTFOLIOS_DOOR)
        and imported != "portfolios"
    ):
        return f"pages of other apps read portfolio data only through {PORTFOLIOS_DOOR}"
    if (
        layer == "advisory pages"
        and within(imported, "reports")
        and not within(imported, REPORTS_DOOR)
        and imported != "reports"
    ):
        return f"advisory pages read report data only through {REPORTS_DOOR}"
    if layer == "portfolios" and within(imported, (*ADVISORY_PAGES, "reports")):
        return "portfolios imports advisory's core only, never its pages or reports"
    return None


@dataclass(frozen=True)
class Import:
    line: int
    module: str


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: str, module: str, *, is_package: bool = False) -> list[Import]:
    package = module if is_package else module.rpartition(".")[0]
    found: list[Import] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [Import(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.append(Import(node.lineno, sub if is_module(sub) else base))
    return found


def is_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def product_files() -> list[Path]:
    return sorted(
        path
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    )


def violations() -> list[str]:
    out = []
    for path in product_files():
        module = module_name(path)
        source = path.read_text()
        for imp in imports_of(source, module, is_package=path.name == "__init__.py"):
            reason = refusal(module, imp.module)
            if reason:
                rel = path.relative_to(ROOT)
                out.append(f"{rel}:{imp.line} imports {imp.module}: {reason}")
    return sorted(set(out))


def test_no_import_crosses_a_forbidden_direction():
    assert violations() == []


def test_the_walk_sees_every_app_and_the_door():
    modules = {module_name(p) for p in product_files()}
    assert {"advisory.audit", "portfolios.queries", "portfolios.drift.engine"} <= modules
    assert {layer_of(m) for m in modules} >= {
        "pure",
        "advisory core",
        "advisory pages",
        "portfolios",
        "bench",
        "demo",
    }


@pytest.mark.parametrize(
    ("importer", "source"),
    [
        ("advisory.models.households", "from portfolios.models import Price"),
        ("advisory.audit", "import portfolios.drift.runs"),
        ("advisory.views.home", "from portfolios.models import DriftSnapshot"),
        ("advisory.views.home", "from portfolios.drift import queries"),
        ("portfolios.drift.runs", "from advisory.views import home"),
        ("portfolios.proposals.workflow", "from portfolios.bench.batch import time_batch"),
        ("reports.tasks", "from reports.bench.report_run import time_batch"),
        ("reports.archive", "import reports.bench.report_data"),
        ("advisory.compliance.views", "from advisory.bench.audit_run import run"),
        ("advisory.chain.verify", "import advisory.bench.audit_data"),
        ("advisory.audit", "from advisory.management.commands.bench_audit import Command"),
        ("portfolios.rebalance.plan", "from portfolios.models import TaxLot"),
        ("portfolios.rebalance.plan", "from django.db import models"),
        ("portfolios.drift.engine", "from advisory.tenancy import firm_scope"),
        ("portfolios.tasks", "from advisory.demo import seed_demo"),
        ("reports.render", "from portfolios.valuation import value_accounts"),
        ("reports.render", "from portfolios.drift.runs import start_run"),
        ("advisory.views.households", "from reports.models import ArchivedReport"),
        ("advisory.views.households", "from reports.archive import generate_report"),
    ],
)
def test_each_forbidden_direction_is_refused(importer, source):
    found = imports_of(source, importer)
    assert any(refusal(importer, imp.module) for imp in found), source


@pytest.mark.parametrize(
    ("importer", "source"),
    [
        ("advisory.views.home", "from portfolios import queries as portfolio"),
        ("advisory.forms", "from portfolios.queries import model_portfolios"),
        ("advisory.views.households", "from reports import queries as archive"),
        ("portfolios.drift.runs", "from advisory.audit import record"),
        ("portfolios.rebalance.plan", "from portfolios.bands import band_limits"),
        ("portfolios.management.commands.bench_drift", "from portfolios.bench import naive"),
        ("reports.management.commands.bench_reports", "from reports.bench.report_run import run"),
        ("reports.bench.report_data", "from advisory.demo.disclosures import ensure_disclosures"),
        ("advisory.management.commands.bench_audit", "from advisory.bench.audit_run import run"),
        ("advisory.bench.audit_data", "from portfolios.bench.sql_book import insert_households"),
        ("advisory.bench.audit_run", "from advisory.compliance import audit_search"),
        ("advisory.demo.writer", "from portfolios.models import TaxLot"),
        ("reports.render", "from portfolios.charts import band_chart"),
        ("advisory.views.home", "from portfolios.bands import band_limits"),
    ],
)
def test_allowed_directions_pass(importer, source):
    assert not any(refusal(importer, imp.module) for imp in imports_of(source, importer))


def test_relative_imports_are_resolved():
    found = imports_of("from ..models import Role\nfrom . import home", "advisory.views.firm")
    assert {i.module for i in found} == {"advisory.models", "advisory.views.home"}
