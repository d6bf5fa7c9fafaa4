"""The disclosure workflow: create a disclosure, propose a version, approve it.

The one writer of :mod:`reports.models`. Each write runs in its own short
``transaction.atomic()`` inside the object's firm scope and appends its audit event last.
A version is never edited: a new wording is a new version, which a compliance officer of
the firm, other than its author, approves before any report may use it. A refused approval
is itself audited (``disclosure.refused``), in a transaction of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from advisory import audit_actions as actions
from advisory.audit import record
from advisory.models import Firm, Membership, Role, User
from advisory.tenancy import active_firm_id, firm_scope

from .models import Disclosure, DisclosureVersion

# Who may write disclosures: firm admins and compliance officers (compliance approves).
AUTHOR_ROLES = (Role.ADMIN, Role.COMPLIANCE)
_KEY_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_KEY_LENGTH = 60
MAX_TITLE_LENGTH = 200


@contextmanager
def _in_firm(firm_id: int) -> Iterator[None]:
    """The firm's scope (the active one if any: a request's) and a transaction."""
    active = active_firm_id()
    with firm_scope(active if active is not None else firm_id), transaction.atomic():
        yield


def normalise_text(text: str) -> str:
    """One way to store a wording: Unix line ends, no trailing spaces, no outer blank lines."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def _membership(user: User) -> Membership | None:
    """The user's active membership in the firm whose scope is active."""
    if not getattr(user, "is_active", False):
        return None
    return Membership.objects.filter(user=user, is_active=True).first()


def _actor(user: User, membership: Membership | None) -> dict[str, Any]:
    return {
        "actor": user,
        "actor_label": getattr(user, "email", str(user)),
        "role": membership.role if membership else None,
    }


def _author_membership(user: User) -> Membership:
    membership = _membership(user)
    if membership is None or membership.role not in AUTHOR_ROLES:
        raise PermissionDenied("Only the firm's admins and compliance officers write disclosures.")
    return membership


def create_disclosure(*, firm: Firm | int, key: str, title: str, author: User) -> Disclosure:
    """A new disclosure with no version yet; ``key`` is a slug unique in the firm."""
    firm_id = firm if isinstance(firm, int) else firm.pk
    key, title = key.strip(), title.strip()
    errors: dict[str, str] = {}
    if not _KEY_RE.match(key) or len(key) > MAX_KEY_LENGTH:
        errors["key"] = "Use lower-case letters, digits and hyphens, e.g. past-performance."
    if not title:
        errors["title"] = "Give the disclosure a title."
    elif len(title) > MAX_TITLE_LENGTH:
        errors["title"] = f"Keep the title under {MAX_TITLE_LENGTH} characters."
    if errors:
        raise ValidationError(errors)
    with _in_firm(firm_id):
        membership = _author_membership(author)
        if Disclosure.objects.filter(key=key).exists():
            raise ValidationError({"key": f"The firm already has a disclosure {key!r}."})
        disclosure = Disclosure.objects.create(firm_id=firm_id, key=key, title=title)
        record(
            firm=firm_id,
            action=actions.DISCLOSURE_CREATED.code,
            obj=disclosure,
            changes={
                # "key" alone would read as a secret to the audit's redaction: say "slug".
                "slug": {"before": None, "after": key},
                "title": {"before": None, "after": title},
            },
            **_actor(author, membership),
        )
    return disclosure


def latest_version(disclosure: Disclosure) -> DisclosureVersion | None:
    """The highest-numbered version, approved or not."""
    return DisclosureVersion.objects.filter(disclosure=disclosure).order_by("-number").first()


def current_approved(disclosure: Disclosure) -> DisclosureVersion | None:
    """The version reports use: the highest-numbered approved one (None if none is)."""
    return (
        DisclosureVersion.objects.filter(disclosure=disclosure, approved_at__isnull=False)
        .order_by("-number")
        .first()
    )


def propose_version(*, disclosure: Disclosure, text: str, author: User) -> DisclosureVersion:
    """A new draft version numbered after the latest; refused when empty or unchanged."""
    wording = normalise_text(text)
    if not wording:
        raise ValidationError({"text": "A disclosure needs some text."})
    with _in_firm(disclosure.firm_id):
        membership = _author_membership(author)
        # Lock the disclosure so two proposals queue for their numbers.
        locked = Disclosure.objects.select_for_update().get(pk=disclosure.pk)
        previous = latest_version(locked)
        if previous is not None and previous.text == wording:
            raise ValidationError(
                {"text": f"This is the text of version {previous.number}: change it first."}
            )
        number = (previous.number if previous else 0) + 1
        version = DisclosureVersion.objects.create(
            firm_id=locked.firm_id, disclosure=locked, number=number, text=wording, author=author
        )
        record(
            firm=locked.firm_id,
            action=actions.DISCLOSURE_VERSION_PROPOSED.code,
            obj=version,
            changes={
                "number": {"before": previous.number if previous else None, "after": number},
                "text": {"before": previous.text if previous else None, "after": wording},
            },
            **_actor(author, membership),
        )
    return version


def approve_version(*, version: DisclosureVersion, approver: User) -> DisclosureVersion:
    """Approve a draft: only a compliance officer of the firm who did not write it.

    A refusal (``PermissionDenied``) is audited as ``disclosure.refused``; approving a
    version already approved is a ``ValidationError`` and writes nothing.
    """
    try:
        with _in_firm(version.firm_id):
            membership = _membership(approver)
            if membership is None or membership.role != Role.COMPLIANCE:
                raise PermissionDenied(
                    "Only a compliance officer of the firm approves disclosures."
                )
            locked = (
                DisclosureVersion.objects.select_for_update()
                .select_related("disclosure")
                .get(pk=version.pk)
            )
            if locked.author_id == approver.pk:
                raise PermissionDenied(
                    "You wrote this version: another compliance officer must approve it."
                )
            if locked.approved_at is not None:
                raise ValidationError(f"Version {locked.number} is already approved.")
            newest = latest_version(locked.disclosure)
            if newest is not None and newest.number > locked.number:
                raise ValidationError(
                    f"Version {locked.number} was superseded by version {newest.number}: "
                    "review the newest one."
                )
            before = current_approved(locked.disclosure)
            locked.approved_by = approver
            locked.approved_at = timezone.now()
            locked.save(update_fields=["approved_by", "approved_at"])
            current = current_approved(locked.disclosure)
            record(
                firm=locked.firm_id,
                action=actions.DISCLOSURE_VERSION_APPROVED.code,
                obj=locked,
                changes={
                    "approved_by": {"before": None, "after": approver.pk},
                    "approved_at": {"before": None, "after": locked.approved_at.isoformat()},
                    "current_version": {
                        "before": before.number if before else None,
                        "after": current.number if current else None,
                    },
                },
                **_actor(approver, membership),
            )
    except PermissionDenied as exc:
        _audit_refusal(version, approver, exc)
        raise
    return locked


def _audit_refusal(version: DisclosureVersion, actor: User, exc: Exception) -> None:
    """The refused approval rolled back; the refusal itself is kept for compliance."""
    with _in_firm(version.firm_id):
        membership = Membership.objects.filter(user=actor, is_active=True).first()
        record(
            firm=version.firm_id,
            action=actions.DISCLOSURE_REFUSED.code,
            obj=version,
            changes={"attempted": "approve", "reason": str(exc)},
            **_actor(actor, membership),
        )
