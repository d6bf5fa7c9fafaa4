"""Saved column mappings for custodians' position files (firm-owned).

A firm admin maps the columns of a sample file once; the mapping is reused for
every later file of that custodian. Editing a mapping writes a new version and
keeps the old ones (an import records the version it used).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from advisory.tenancy import FirmOwned


class ColumnMapping(FirmOwned):
    name = models.CharField(max_length=80)
    custodian = models.CharField(max_length=20, help_text="advisory.models.Custodian value.")
    version = models.PositiveIntegerField(default=1)
    is_current = models.BooleanField(default=True)
    # Ballast field → the file's column header, e.g. {"account_number": "Acct No", …}.
    columns = models.JSONField(default=dict)
    # Parsing options: date format, delimiter, header row, sign conventions.
    options = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "name", "version"], name="column_mapping_version_unique"
            ),
            models.UniqueConstraint(
                fields=["firm", "name"],
                condition=Q(is_current=True),
                name="column_mapping_one_current",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"
