"""Invitations: the only way into a firm (public sign-up is closed).

A firm admin invites an address with a role; a client invitation names the ``Client`` record
the new user becomes. The e-mail carries ``/join/<firm slug>/<token>/``: the slug lets the
accept page enter that firm's scope before looking the token up (row-level security allows
no lookup across firms), and only the token's SHA-256 is stored. A link works once, until it
expires (``BALLAST_INVITATION_DAYS``); resending makes a new token (the old link dies) and
revoking kills it. The e-mail leaves on commit, so a refused or rolled-back invitation never
mails a link.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from .. import audit_actions as actions
from ..audit import record
from ..models import Client, Firm, Invitation, Membership, Role, User
from ..request_context import acting_as
from ..tenancy import active_firm_id, firm_scope
from .errors import Refused
from .tokens import digest_of, new_token

TEXT_TEMPLATE = "advisory/people/email/invitation.txt"
HTML_TEMPLATE = "advisory/people/email/invitation.html"


class LinkState(StrEnum):
    VALID = "valid"
    UNKNOWN = "unknown"  # no such firm or token (mistyped, tampered, another firm's)
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"


def normalized_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except Exception:
        raise Refused(f"{email or 'An empty address'} is not a valid e-mail address.") from None
    return email


def state_of(invitation: Invitation | None, now: dt.datetime | None = None) -> LinkState:
    if invitation is None:
        return LinkState.UNKNOWN
    if invitation.accepted_at is not None:
        return LinkState.USED
    if invitation.revoked_at is not None:
        return LinkState.REVOKED
    if invitation.expires_at <= (now or timezone.now()):
        return LinkState.EXPIRED
    return LinkState.VALID


def open_invitations() -> QuerySet[Invitation]:
    """The firm's invitations not yet accepted or revoked (expired ones included: an admin
    may resend them). Call inside the firm scope."""
    return Invitation.objects.filter(accepted_at=None, revoked_at=None)


def live_invitations() -> QuerySet[Invitation]:
    return open_invitations().filter(expires_at__gt=timezone.now())


def accept_url(firm: Firm, token: str) -> str:
    """The link in the e-mail, built from the configured base address, never from a
    request's Host header (which a caller could choose)."""
    path = reverse("invitation_accept", kwargs={"firm_slug": firm.slug, "token": token})
    return settings.BALLAST_PORTAL_BASE_URL.rstrip("/") + path


def _expiry() -> dt.datetime:
    return timezone.now() + dt.timedelta(days=settings.BALLAST_INVITATION_DAYS)


def _mail_on_commit(invitation: Invitation, firm: Firm, token: str) -> None:
    message = build_message(invitation, firm, token)
    # robust: a mail server failing after the commit is logged; the admin can resend.
    transaction.on_commit(message.send, robust=True)


def build_message(invitation: Invitation, firm: Firm, token: str) -> EmailMultiAlternatives:
    inviter = invitation.invited_by
    context = {
        "firm_name": firm.name,
        "role": invitation.get_role_display(),
        "inviter": inviter.get_full_name() if inviter else "",
        "url": accept_url(firm, token),
        "expires_at": invitation.expires_at,
        "is_client": invitation.role == Role.CLIENT,
    }
    subject = f"You are invited to join {firm.name} on Ballast"
    message = EmailMultiAlternatives(
        subject=subject.replace("\n", " ").replace("\r", " "),
        body=render_to_string(TEXT_TEMPLATE, context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[invitation.email],
    )
    message.attach_alternative(render_to_string(HTML_TEMPLATE, context), "text/html")
    return message


def _check_client(role: str, client: Client | None) -> None:
    if client is not None and client.firm_id != active_firm_id():
        raise Refused("That client record is not one of this firm's.")
    if role == Role.CLIENT:
        if client is None:
            raise Refused("A client invitation must name the client record it is for.")
        if client.user_id is not None:
            raise Refused(f"{client} can already sign in.")
        if live_invitations().filter(client=client).exists():
            raise Refused(f"{client} already has a pending invitation: resend that one.")
    elif client is not None:
        raise Refused("Only a client invitation names a client record.")


def invite(
    *, firm: Firm, email: str, role: str, invited_by: User, client: Client | None = None
) -> Invitation:
    """Invite ``email`` to ``firm`` as ``role`` and mail the link (on commit)."""
    return issue(firm=firm, email=email, role=role, invited_by=invited_by, client=client)[0]


@transaction.atomic
def issue(
    *,
    firm: Firm,
    email: str,
    role: str,
    invited_by: User,
    client: Client | None = None,
    mail: bool = True,
) -> tuple[Invitation, str]:
    """:func:`invite`, returning the token too (the demo accepts its own invitation; with
    ``mail=False`` nothing is e-mailed)."""
    email = normalized_email(email)
    if role not in Role.values:
        raise Refused(f"{role!r} is not a role.")
    with firm_scope(firm):
        _check_client(role, client)
        if Membership.objects.filter(user__email=email).exists():
            raise Refused(
                f"{email} is already a member of {firm.name} (a deactivated member is "
                "reactivated from the people page, not invited again)."
            )
        if live_invitations().filter(email=email).exists():
            raise Refused(f"{email} already has a pending invitation: resend that one.")
        token, digest = new_token()
        invitation = Invitation.objects.create(
            firm=firm,
            email=email,
            role=role,
            client=client,
            token_digest=digest,
            invited_by=invited_by,
            expires_at=_expiry(),
        )
        if mail:
            _mail_on_commit(invitation, firm, token)
        record(
            firm=firm,
            action=actions.INVITATION_CREATED,
            obj=invitation,
            object_repr=email,
            changes={
                "email": email,
                "role": role,
                "client": client.pk if client else None,
                "expires_at": invitation.expires_at,
            },
        )
    return invitation, token


def _locked_open(invitation_id: int) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation_id)
    state = state_of(invitation)
    if state in (LinkState.USED, LinkState.REVOKED):
        raise Refused(f"The invitation of {invitation.email} was already {state}.")
    return invitation


@transaction.atomic
def resend(*, firm: Firm, invitation_id: int) -> Invitation:
    """Mail a new link with a fresh expiry; the old link stops working."""
    with firm_scope(firm):
        invitation = _locked_open(invitation_id)
        if invitation.role == Role.CLIENT:
            client = Client.objects.get(pk=invitation.client_id)
            if client.user_id is not None:
                raise Refused(f"{client} can already sign in; revoke this invitation instead.")
        was_expired = state_of(invitation) == LinkState.EXPIRED
        token, invitation.token_digest = new_token()
        invitation.expires_at = _expiry()
        invitation.save(update_fields=["token_digest", "expires_at"])
        _mail_on_commit(invitation, firm, token)
        record(
            firm=firm,
            action=actions.INVITATION_RESENT,
            obj=invitation,
            object_repr=invitation.email,
            changes={"expires_at": invitation.expires_at, "was_expired": was_expired},
        )
    return invitation


@transaction.atomic
def revoke(*, firm: Firm, invitation_id: int) -> Invitation:
    with firm_scope(firm):
        invitation = _locked_open(invitation_id)
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        record(
            firm=firm,
            action=actions.INVITATION_REVOKED,
            obj=invitation,
            object_repr=invitation.email,
            changes={"email": invitation.email, "role": invitation.role},
        )
    return invitation


def find(firm_slug: str, token: str) -> tuple[Firm | None, Invitation | None, LinkState]:
    """The firm and invitation a link names, and whether the link still works."""
    firm = Firm.objects.filter(slug=firm_slug).first()
    if firm is None:
        return None, None, LinkState.UNKNOWN
    with firm_scope(firm):
        invitation = (
            Invitation.objects.select_related("client", "invited_by")
            .filter(token_digest=digest_of(token))
            .first()
        )
    return firm, invitation, state_of(invitation)


class LinkNotValid(Refused):
    def __init__(self, state: LinkState) -> None:
        super().__init__(f"This invitation link is {state}.")
        self.state = state


def _claim(token: str) -> Invitation:
    """The link's invitation, locked, if it still works; inside the firm's scope."""
    invitation = (
        Invitation.objects.select_for_update()
        .filter(token_digest=digest_of(token))
        .select_related("firm")
        .first()
    )
    state = state_of(invitation)
    if invitation is None or state != LinkState.VALID:
        raise LinkNotValid(state)
    return invitation


@transaction.atomic
def accept_as_new_user(*, firm: Firm, token: str, full_name: str, password: str) -> Membership:
    """Create the invited person's login (the password already validated) and join them."""
    with firm_scope(firm):
        invitation = _claim(token)
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise Refused(
                "A Ballast login with this address already exists: sign in, then open the "
                "link again."
            )
        user = User.objects.create_user(invitation.email, password, full_name=full_name.strip())
        return _join(invitation, user, new_user=True)


@transaction.atomic
def accept_as_user(*, firm: Firm, token: str, user: User) -> Membership:
    """Join a signed-in user whose address the invitation was sent to."""
    with firm_scope(firm):
        invitation = _claim(token)
        if user.email.lower() != invitation.email.lower():
            raise Refused(
                f"This invitation is for {invitation.email}; you are signed in as {user.email}."
            )
        existing = Membership.objects.filter(user=user).first()
        if existing is not None:
            raise Refused(
                f"You are already a member of {firm.name}."
                if existing.is_active
                else f"Your access to {firm.name} was deactivated: ask its administrator."
            )
        return _join(invitation, user, new_user=False)


def _join(invitation: Invitation, user: User, *, new_user: bool) -> Membership:
    firm = invitation.firm
    client = None
    if invitation.role == Role.CLIENT:
        client = Client.objects.select_for_update().get(pk=invitation.client_id)
        if client.user_id is not None:
            raise Refused(f"{client} can already sign in: ask the firm for a new invitation.")
        client.user = user
        client.save(update_fields=["user"])
    membership = Membership.objects.create(firm=firm, user=user, role=invitation.role)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    with acting_as(actor=user, actor_label=user.email, role=membership.role):
        record(
            firm=firm,
            action=actions.INVITATION_ACCEPTED,
            obj=invitation,
            object_repr=invitation.email,
            changes={
                "membership": membership.pk,
                "role": membership.role,
                "client": client.pk if client else None,
                "new_login": new_user,
                "invited_by": invitation.invited_by_id,
            },
        )
    return membership


def pending_for_page() -> QuerySet[Invitation]:
    """Open invitations for the people page, newest first. Inside the firm scope."""
    return open_invitations().select_related("client__household", "invited_by")


def invitable_clients() -> QuerySet[Client]:
    """Clients who cannot sign in yet and have no live invitation. Inside the firm scope."""
    invited = live_invitations().filter(client__isnull=False).values("client_id")
    return (
        Client.objects.filter(user__isnull=True)
        .exclude(Q(pk__in=invited))
        .select_related("household")
        .order_by("household__name", "last_name", "first_name")
    )
