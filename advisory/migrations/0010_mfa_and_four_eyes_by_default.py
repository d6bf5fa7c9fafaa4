"""Four eyes and staff MFA on by default; MFA secrets encrypted at rest.

- ``Firm.four_eyes_threshold`` (null: four eyes off; a value T: the author may approve up to
  and including T) becomes ``Firm.self_approval_below`` (null: the author may never approve;
  a value: the author may approve below it). A firm that had T keeps exactly its rule as
  T + 0.01 (trade values have cents); a firm that had four eyes off gets the new default,
  four eyes always. Reversed: null becomes 0.00 (four eyes on every proposal with trades).
- ``Firm.require_staff_mfa`` defaults to on and is switched on for every firm (the old
  default was off, so an off value was not a choice anyone made); a firm admin may switch it
  off again on the firm settings page (audited, behind step-up).
- ``Firm.mfa_grace_days`` and ``Membership.mfa_grace_started_at`` for the enrolment grace.
- Every stored TOTP secret and recovery-code seed is encrypted with ``BALLAST_MFA_KEYS``
  (advisory.mfa.crypto); reversed, decrypted again.
"""

from decimal import Decimal

import django.core.validators
from django.db import migrations, models

from advisory.mfa import crypto

CENT = Decimal("0.01")


def thresholds_forward(apps, schema_editor):
    Firm = apps.get_model("advisory", "Firm")
    for firm in Firm.objects.exclude(four_eyes_threshold=None):
        firm.self_approval_below = firm.four_eyes_threshold + CENT
        firm.save(update_fields=["self_approval_below"])
    Firm.objects.update(require_staff_mfa=True)


def thresholds_backward(apps, schema_editor):
    Firm = apps.get_model("advisory", "Firm")
    for firm in Firm.objects.all():
        below = firm.self_approval_below
        firm.four_eyes_threshold = Decimal("0.00") if below is None else below - CENT
        firm.save(update_fields=["four_eyes_threshold"])


def _convert_authenticators(apps, convert):
    Authenticator = apps.get_model("mfa", "Authenticator")
    for auth in Authenticator.objects.all():
        data = crypto.map_secrets(auth.type, auth.data, convert)
        if data != auth.data:
            auth.data = data
            auth.save(update_fields=["data"])


def encrypt_secrets(apps, schema_editor):
    _convert_authenticators(apps, crypto.encrypt)


def decrypt_secrets(apps, schema_editor):
    _convert_authenticators(apps, crypto.decrypt)


class Migration(migrations.Migration):
    dependencies = [
        ("advisory", "0009_retention_and_disposal_window"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [
        migrations.AddField(
            model_name="firm",
            name="self_approval_below",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                help_text="Proposals whose total trade value is below this amount may be "
                "approved by their author. Empty: every proposal needs a second approver who "
                "did not create, refresh or edit it.",
                max_digits=18,
                null=True,
                validators=[django.core.validators.MinValueValidator(Decimal("0.01"))],
                verbose_name="Self-approval allowed below",
            ),
        ),
        migrations.AlterField(
            model_name="firm",
            name="require_staff_mfa",
            field=models.BooleanField(
                default=True,
                help_text="Admins, advisors and compliance officers must set up an "
                "authenticator app (after a grace period from their first sign-in). Clients "
                "may choose to.",
                verbose_name="Staff must use two-factor authentication",
            ),
        ),
        migrations.RunPython(thresholds_forward, thresholds_backward),
        migrations.RemoveField(model_name="firm", name="four_eyes_threshold"),
        migrations.AddField(
            model_name="firm",
            name="mfa_grace_days",
            field=models.PositiveSmallIntegerField(
                blank=True,
                help_text="How long staff may work without an authenticator app after their "
                "first sign-in (0 to 30). Empty: the platform default.",
                null=True,
                validators=[django.core.validators.MaxValueValidator(30)],
                verbose_name="Days to set up two-factor authentication",
            ),
        ),
        migrations.AddField(
            model_name="membership",
            name="mfa_grace_started_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(encrypt_secrets, decrypt_secrets),
    ]
