"""Write every firm's audit chain head to the anchor store (outside the database)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from advisory.chain.runs import anchor_heads


class Command(BaseCommand):
    help = "Anchor every firm's audit chain head (firm, seq, hash, key id, time) outside the DB."

    def handle(self, *args: Any, **options: Any) -> None:
        name, batch = anchor_heads()
        for head in batch.heads:
            self.stdout.write(f"{head.firm_slug}: seq {head.seq} {head.hash} (key {head.key_id!r})")
        self.stdout.write(f"Anchored {len(batch.heads)} firm head(s) in {name}")
