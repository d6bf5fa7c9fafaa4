"""Invitations to join a firm (firm-owned).

A firm admin invites a person by e-mail with a role; the e-mail carries a link
with a random token. Only the token's SHA-256 is stored, so a leaked database
does not leak usable links. An invitation is single-use and expires.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from advisory.models.firms import Role
from advisory.models.households import Client
from advisory.tenancy import FirmOwned


class Invitation(FirmOwned):
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices)
    client = models.ForeignKey(
        Client,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invitations",
        help_text="For a client invitation: the Client record the new user becomes.",
    )
    token_digest = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(role="client", client__isnull=False) | ~Q(role="client"),
                name="invitation_client_needs_record",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation of {self.email} as {self.get_role_display()}"
