"""The demo data set: two firms with people, households, accounts, models and lots.

Deterministic (fixed seeds) and idempotent (natural keys: firm slug, user email,
household name, custodian + account number): a second run creates nothing.
Everything is planned in memory first, so the random draws never depend on
what the database already holds, and then written inside each firm's scope.

Holdings are sized at the 2025-12-31 sample closes so that most households show
the drift the seed articles describe: too much US large cap, too little small cap.
Prices are the SYNTHETIC sample prices (``portfolios/data/sample``).

Modules: :mod:`.specs` (what to build: people, models, firms, constants),
:mod:`.plans` (the plan as plain data), :mod:`.planner` (drawing the plan from a
seeded generator) and :mod:`.writer` (creating what is missing, audited).
"""

from .planner import plan_firm
from .specs import DEMO_PASSWORD, FIRMS, demo_logins
from .writer import DemoReport, FirmTotals, seed_demo, seed_firm

__all__ = [
    "DEMO_PASSWORD",
    "FIRMS",
    "DemoReport",
    "FirmTotals",
    "demo_logins",
    "plan_firm",
    "seed_demo",
    "seed_firm",
]
