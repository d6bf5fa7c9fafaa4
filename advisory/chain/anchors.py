"""Anchors: every firm's chain head, published to an append-only store outside the database.

Whoever controls the database could cut a chain's tail or (with the key) replace it; an
anchor written elsewhere remembers the head, so verification notices. The store is chosen by
``settings.BALLAST_AUDIT_ANCHOR_STORE`` (a dotted path to an :class:`AnchorStore`):

- :class:`DirectoryAnchorStore` (the default, built): one JSON file per anchoring run in
  ``settings.BALLAST_AUDIT_ANCHOR_DIR``, created with ``O_CREAT | O_EXCL`` (never
  overwritten) and made read-only. Put the directory on storage the database's
  administrators cannot write (another host, a WORM mount).
- :class:`~advisory.chain.s3_anchors.S3AnchorStore`: an S3-compatible bucket with object
  lock, one object per run locked in compliance mode (see that module).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

FORMAT = 1


@dataclass(frozen=True)
class Anchor:
    """One firm's head at anchoring time."""

    firm_id: int
    firm_slug: str
    seq: int
    hash: str
    key_id: str
    event_time: str


@dataclass(frozen=True)
class AnchorBatch:
    """One anchoring run: the heads of every firm with events, at one time."""

    anchored_at: dt.datetime
    heads: tuple[Anchor, ...]

    @property
    def name(self) -> str:
        return f"anchors-{self.anchored_at.astimezone(dt.UTC):%Y%m%dT%H%M%S%fZ}.json"

    def to_json(self) -> str:
        payload = {
            "format": FORMAT,
            "anchored_at": self.anchored_at.astimezone(dt.UTC).isoformat(),
            "heads": [asdict(head) for head in self.heads],
        }
        return json.dumps(payload, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> AnchorBatch:
        payload = json.loads(text)
        return cls(
            anchored_at=dt.datetime.fromisoformat(payload["anchored_at"]),
            heads=tuple(Anchor(**head) for head in payload["heads"]),
        )


class AnchorStore(Protocol):
    """Where anchors go: written once, never changed, all read back for verification."""

    def write(self, batch: AnchorBatch) -> str:
        """Store the batch under a new name (returned); refuse to overwrite anything."""
        ...

    def read_all(self) -> list[AnchorBatch]:
        """Every batch ever written, oldest first."""
        ...


class AnchorStoreError(RuntimeError):
    """An anchor could not be written or read back."""


class DirectoryAnchorStore:
    """Write-once JSON files in a directory, one per anchoring run."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory or settings.BALLAST_AUDIT_ANCHOR_DIR)

    def write(self, batch: AnchorBatch) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / batch.name
        # O_EXCL: an existing file (same run time) is an error, never overwritten.
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o444)
        try:
            os.write(fd, batch.to_json().encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(path, 0o444)  # the mode above is subject to the umask; make it exact
        return batch.name

    def read_all(self) -> list[AnchorBatch]:
        if not self.directory.is_dir():
            return []
        batches = []
        for path in sorted(self.directory.glob("anchors-*.json")):
            try:
                batches.append(AnchorBatch.from_json(path.read_text()))
            except (ValueError, KeyError, TypeError) as exc:
                raise AnchorStoreError(f"Unreadable anchor file {path.name}: {exc}") from exc
        return batches


def anchor_store() -> AnchorStore:
    """The store the settings name."""
    store: Any = import_string(settings.BALLAST_AUDIT_ANCHOR_STORE)()
    return store


def build_batch(heads: list[Anchor], at: dt.datetime | None = None) -> AnchorBatch:
    return AnchorBatch(anchored_at=at or timezone.now(), heads=tuple(heads))


def anchors_by_firm(batches: list[AnchorBatch]) -> dict[int, list[Anchor]]:
    """Every anchor of every batch, per firm id, in seq order."""
    out: dict[int, list[Anchor]] = {}
    for batch in batches:
        for head in batch.heads:
            out.setdefault(head.firm_id, []).append(head)
    for heads in out.values():
        heads.sort(key=lambda a: a.seq)
    return out
