"""Creating a firm (a platform operator's job: ``manage.py create_firm`` or the operator page).

The firm, its first admin's invitation and the ``firm.created`` event (the first of the new
firm's trail) are written in one transaction: a bad slug, a taken slug or a bad address
writes nothing.
"""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction

from .. import audit_actions as actions
from ..audit import record
from ..models import Firm, Invitation, Role, User
from ..request_context import acting_as
from ..tenancy import firm_scope
from .errors import Refused
from .invitations import invite, normalized_email

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MAX: int = Firm._meta.get_field("slug").max_length or 60
NAME_MAX: int = Firm._meta.get_field("name").max_length or 200


def check_slug(slug: str) -> str:
    slug = (slug or "").strip()
    if not SLUG_RE.match(slug) or len(slug) > SLUG_MAX:
        raise Refused(
            f"{slug or 'An empty slug'!s} is not a valid firm slug: use lower-case letters, "
            f"digits and single hyphens (at most {SLUG_MAX} characters), e.g. 'acme-wealth'."
        )
    if Firm.objects.filter(slug=slug).exists():
        raise Refused(f"A firm with the slug {slug!r} already exists.")
    return slug


def check_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise Refused("The firm needs a name.")
    if len(name) > NAME_MAX:
        raise Refused(f"A firm's name has at most {NAME_MAX} characters.")
    return name


def create_firm(
    *,
    slug: str,
    name: str,
    admin_email: str | None = None,
    operator: User | None = None,
    actor_label: str = "",
) -> tuple[Firm, Invitation | None]:
    """Create a firm and, with ``admin_email``, invite its first admin (sent by
    ``operator``, whom the invitation records). Raises :class:`Refused`, writing nothing."""
    slug, name = check_slug(slug), check_name(name)
    email = normalized_email(admin_email) if admin_email else None
    if email and operator is None:
        raise Refused("An invitation records who sent it: name the platform operator.")
    who = {"actor": operator, "actor_label": actor_label or (operator.email if operator else "")}
    try:
        with transaction.atomic(), acting_as(role="operator", **who):
            firm = Firm.objects.create(slug=slug, name=name)
            with firm_scope(firm):
                record(
                    firm=firm,
                    action=actions.FIRM_CREATED,
                    obj=firm,
                    changes={"name": name, "slug": slug, "first_admin": email},
                )
                invitation = None
                if email and operator is not None:
                    invitation = invite(
                        firm=firm, email=email, role=Role.ADMIN, invited_by=operator
                    )
    except IntegrityError:  # another operator took the slug at the same moment
        raise Refused(f"A firm with the slug {slug!r} already exists.") from None
    return firm, invitation
