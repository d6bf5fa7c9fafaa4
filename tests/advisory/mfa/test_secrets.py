"""TOTP secrets and recovery-code seeds are encrypted at rest with BALLAST_MFA_KEYS."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from advisory.mfa import crypto
from tests.factories import enrol_totp, totp_code, totp_secret

ROOT = Path(__file__).resolve().parents[3]
MIGRATION = "advisory.migrations.0010_mfa_and_four_eyes_by_default"


def stored_data(auth: Authenticator) -> str:
    """The row's data as the database holds it, not as the model hands it back."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM mfa_authenticator WHERE id = %s", [auth.pk])
        return str(cursor.fetchone()[0])


def test_the_stored_totp_secret_is_not_the_plaintext_and_codes_still_verify(world_a):
    user = world_a.advisor.user
    secret = enrol_totp(user)
    auth = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    assert secret not in stored_data(auth)
    assert crypto.decrypt(auth.data["secret"]) == secret
    assert TOTP(auth).validate_code(totp_code(user))
    assert not TOTP(auth).validate_code("000000" if totp_code(user) != "000000" else "111111")


def test_recovery_code_seeds_are_encrypted_and_the_codes_still_work(world_a):
    user = world_a.advisor.user
    enrol_totp(user)
    codes = RecoveryCodes.activate(user)
    auth = codes.instance
    seed = crypto.decrypt(auth.data["seed"])
    assert seed not in stored_data(auth)
    first = codes.get_unused_codes()[0]
    assert RecoveryCodes(Authenticator.objects.get(pk=auth.pk)).validate_code(first)


def test_a_secret_written_in_the_clear_is_refused_not_trusted(world_a):
    user = world_a.advisor.user
    auth = Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": totp_secret(user)}
    )
    with pytest.raises(crypto.UndecryptableSecret):
        TOTP(auth).validate_code(totp_code(user))


def test_rotation_old_keys_still_decrypt_and_the_command_moves_to_the_newest(world_a, settings):
    user = world_a.advisor.user
    old = list(settings.BALLAST_MFA_KEYS)
    secret = enrol_totp(user)
    auth = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    settings.BALLAST_MFA_KEYS = ["a-brand-new-mfa-key-0123456789abcdef0123", *old]
    assert TOTP(Authenticator.objects.get(pk=auth.pk)).validate_code(totp_code(user))
    out = io.StringIO()
    call_command("rotate_mfa_keys", stdout=out)
    assert "Re-encrypted the secrets of 1 authenticator(s)" in out.getvalue()
    settings.BALLAST_MFA_KEYS = ["a-brand-new-mfa-key-0123456789abcdef0123"]  # old key gone
    assert crypto.decrypt(Authenticator.objects.get(pk=auth.pk).data["secret"]) == secret


def test_short_keys_are_refused(settings):
    settings.BALLAST_MFA_KEYS = ["too-short"]
    with pytest.raises(Exception, match="shorter than 32"):
        crypto.encrypt("JBSWY3DPEHPK3PXP")


def test_the_migration_encrypts_secrets_stored_in_the_clear(world_a):
    from importlib import import_module

    user = world_a.advisor.user
    plain = totp_secret(user)
    auth = Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": plain}
    )
    import_module(MIGRATION).encrypt_secrets(apps, None)
    auth.refresh_from_db()
    assert plain not in stored_data(auth)
    assert TOTP(auth).validate_code(totp_code(user))


def test_production_settings_refuse_to_start_without_mfa_keys():
    env = {k: v for k, v in os.environ.items() if k != "BALLAST_MFA_KEYS"} | {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "x7!" + "k" * 30 + "q9#Lm2@vR4$tZ8&wP1^yB6*cN3(hJ5)",
        "ALLOWED_HOSTS": "ballast.example.com",
        "DATABASE_URL": "sqlite:///:memory:",
        "CACHE_URL": "redis://127.0.0.1:6379/0",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "BALLAST_MFA_KEYS" in result.stderr
