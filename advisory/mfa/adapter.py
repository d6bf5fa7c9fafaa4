"""allauth's MFA adapter with secrets encrypted at rest (``settings.MFA_ADAPTER``)."""

from __future__ import annotations

from allauth.mfa.adapter import DefaultMFAAdapter

from . import crypto


class BallastMFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        return crypto.encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return crypto.decrypt(encrypted_text)
