"""Create a firm (a platform operator's command; the operator page does the same)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from advisory.models import User
from advisory.people.errors import Refused
from advisory.people.firms import create_firm


class Command(BaseCommand):
    help = (
        "Create a firm. With --admin-email, invite its first firm admin by e-mail (the "
        "invitation records the platform operator who sent it: --operator, or the only "
        "active platform operator). Audited as the first event of the firm's trail. A bad or "
        "taken slug writes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="The firm's slug: lower-case letters, digits, hyphens.")
        parser.add_argument("--name", required=True, help="The firm's name.")
        parser.add_argument("--admin-email", help="Invite this address as the first firm admin.")
        parser.add_argument(
            "--operator", help="E-mail of the platform operator (is_staff) sending the invitation."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        slug, name, email = options["slug"], options["name"], options["admin_email"]
        operator = _operator(options["operator"]) if email else None
        try:
            firm, invitation = create_firm(
                slug=slug,
                name=name,
                admin_email=email,
                operator=operator,
                actor_label=f"create_firm ({operator.email if operator else 'operator'})",
            )
        except Refused as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Created firm {firm.name} ({firm.slug}, id {firm.pk}).")
        if invitation is not None:
            self.stdout.write(
                f"Invited {invitation.email} as firm admin; the link expires "
                f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC."
            )


def _operator(email: str | None) -> User:
    operators = User.objects.filter(is_active=True, is_staff=True)
    if email:
        found = operators.filter(email__iexact=email.strip()).first()
        if found is None:
            raise CommandError(f"{email} is not an active platform operator (is_staff).")
        return found
    only = list(operators[:2])
    if len(only) != 1:
        raise CommandError(
            "--admin-email needs --operator EMAIL (an active platform operator, is_staff): "
            "the invitation records who sent it."
        )
    return only[0]
