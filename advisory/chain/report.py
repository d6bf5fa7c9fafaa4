"""The outcome of verifying one firm's chain."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChainReport:
    firm_slug: str
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""
    anchors_checked: int = 0

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None
