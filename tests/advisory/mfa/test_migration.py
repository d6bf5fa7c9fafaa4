"""advisory/0010 on a database that had the old four-eyes field and secrets in the clear
(a throwaway SQLite file, migrated in a subprocess like an operator would)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

SECRET = "JBSWY3DPEHPK3PXP"  # in the scripts below as is

BEFORE = """
from django.db import connection
with connection.cursor() as c:
    c.execute(
        "INSERT INTO advisory_user (password, is_superuser, email, full_name, is_staff, "
        "is_active, date_joined) VALUES ('x', 0, 'a@x.example', 'A', 0, 1, '2025-01-01')"
    )
    user_id = c.lastrowid
    for slug, threshold in (('off', None), ('on', '1000.00')):
        c.execute(
            "INSERT INTO advisory_firm (name, slug, require_staff_mfa, four_eyes_threshold, "
            "portal_shares_household, portal_shows_cost_basis, client_service_phone, "
            "created_at) VALUES (%s, %s, 0, %s, 1, 0, '', '2025-01-01')",
            [slug, slug, threshold],
        )
    c.execute(
        "INSERT INTO mfa_authenticator (user_id, type, data, created_at, last_used_at) "
        "VALUES (%s, 'totp', %s, '2025-01-01', NULL)",
        [user_id, '{"secret": "JBSWY3DPEHPK3PXP"}'],
    )
"""

AFTER = """
import json
from django.db import connection
from advisory.mfa import crypto
with connection.cursor() as c:
    c.execute(
        "SELECT slug, self_approval_below, require_staff_mfa FROM advisory_firm ORDER BY slug"
    )
    print(c.fetchall())
    c.execute("SELECT data FROM mfa_authenticator")
    data = c.fetchone()[0]
secret = crypto.decrypt(json.loads(data)["secret"])
print("clear" if "JBSWY3DPEHPK3PXP" in data else "hidden", secret)
"""


def run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_old_threshold_keeps_its_rule_mfa_turns_on_and_secrets_get_encrypted(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'old.sqlite3'}",
    }
    run(env, "migrate", "advisory", "0009", "-v0")
    run(env, "migrate", "mfa", "-v0")
    run(env, "shell", "-c", BEFORE)
    run(env, "migrate", "advisory", "0010", "-v0")
    firms, secret = run(env, "shell", "-v0", "-c", AFTER).strip().splitlines()[-2:]
    # Off became the new default (four eyes always); 1000.00 inclusive became below 1000.01.
    assert firms == "[('off', None, True), ('on', 1000.01, True)]"  # SQLite's raw values
    assert secret == f"hidden {SECRET}"
