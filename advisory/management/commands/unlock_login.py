"""End a sign-in lock now (the operator's recovery path; docs/security.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from advisory.lockout import gate
from advisory.request_context import acting_as


class Command(BaseCommand):
    help = (
        "Lift the sign-in lock of an e-mail address (audited on the user's firms) or of an "
        "IP (logged). Users can also unlock themselves by resetting their password."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("email", nargs="?", help="The locked address.")
        parser.add_argument("--ip", help="Lift the lock on this IP instead.")
        parser.add_argument("--by", default="operator", help="Who asked (for the trail).")

    def handle(self, *args: Any, email: str | None, ip: str | None, by: str, **o: Any) -> None:
        if bool(email) == bool(ip):
            raise CommandError("Give an e-mail address or --ip, not both.")
        with acting_as(actor_label=f"unlock_login ({by})"[:254]):
            if email:
                lock = gate.lift_account(email, reason=f"unlocked by {by}"[:120])
            else:
                lock = gate.lift_ip(str(ip), reason=f"unlocked by {by}"[:120])
        if lock is None:
            self.stdout.write("No active lock; any failure counts were cleared.")
        else:
            self.stdout.write(f"Lifted a {lock.scope} lock of {lock.seconds}s (lock {lock.level}).")
