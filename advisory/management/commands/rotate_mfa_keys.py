"""Re-encrypt every stored MFA secret under the newest key of BALLAST_MFA_KEYS.

Rotation: put the new key first in BALLAST_MFA_KEYS (keep the old one after it), deploy,
run this, then drop the old key. Authenticators are not firm data (a user's own), so no
firm scope is needed; the rows are rewritten in one transaction. Webhook signing secrets are
sealed with the same keys (advisory/webhooks/secrets.py), so they are re-encrypted too, one
firm at a time.
"""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from django.core.management.base import BaseCommand
from django.db import transaction

from advisory.mfa import crypto
from advisory.webhooks.secrets import reseal_all


class Command(BaseCommand):
    help = "Re-encrypt TOTP secrets and recovery-code seeds under the newest MFA key."

    def handle(self, *args: Any, **options: Any) -> None:
        changed = 0
        with transaction.atomic():
            for auth in Authenticator.objects.select_for_update().order_by("pk"):
                data = crypto.map_secrets(auth.type, auth.data, crypto.rotate)
                if data != auth.data:
                    auth.data = data
                    auth.save(update_fields=["data"])
                    changed += 1
        self.stdout.write(f"Re-encrypted the secrets of {changed} authenticator(s).\n")
        self.stdout.write(f"Re-encrypted {reseal_all()} webhook signing secret(s).\n")
