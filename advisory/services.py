"""Audited writes. Views validate and call these; nothing else saves firm data."""

from __future__ import annotations

from django.db import models, transaction

from .audit import record_change, snapshot
from .models import Firm


@transaction.atomic
def save_audited(*, firm: Firm, instance: models.Model, fields: list[str]) -> bool:
    """Save the named fields of an existing instance and audit what changed.

    Returns whether anything changed. The before-image is read from the
    database under a row lock, so concurrent saves cannot hide a change.
    """
    stored = type(instance)._base_manager.select_for_update().get(pk=instance.pk)
    before = snapshot(stored)
    auto_now = [f.name for f in instance._meta.concrete_fields if getattr(f, "auto_now", False)]
    instance.save(update_fields=[*fields, *auto_now])
    return record_change(firm=firm, obj=instance, before=before, verb="updated") is not None
