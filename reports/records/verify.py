"""Check an export folder: every file against the MANIFEST, and the exported audit segment
as a chain (contiguous seq, each prev_hash the previous hash, each hash recomputed with the
chain's keys) and against the anchored heads it contains."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from advisory.chain.keys import audit_keys, compute_hash

from .manifest import check_manifest

REQUIRED = {"seq", "prev_hash", "hash"}


def rehash(record: dict[str, Any], keys: dict[str, bytes]) -> str:
    """An exported event's hash recomputed from its content, as the chain computes it: the
    HMAC under the key its id names, or plain SHA-256 for an event from before keys."""
    content = {k: v for k, v in record.items() if k not in ("prev_hash", "hash", "key_id")}
    key_id = record.get("key_id") or ""
    if not key_id:
        return compute_hash(record["prev_hash"], content)
    if key_id not in keys:
        raise LookupError(f"unknown key id {key_id!r}")
    return compute_hash(record["prev_hash"], {**content, "key_id": key_id}, keys[key_id])


def _events(folder: Path, problems: list[str]) -> list[dict[str, Any]]:
    """The exported events; a line that is not a JSON event is a problem, not a crash."""
    path = folder / "audit" / "events.jsonl"
    if not path.is_file():
        return []
    events = []
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                event = json.loads(line)
                if not isinstance(event, dict) or not event.keys() >= REQUIRED:
                    raise ValueError("not an event")
            except ValueError:
                problems.append(f"audit/events.jsonl: line {number} is not an exported event")
                continue
            events.append(event)
    return events


def check_segment(folder: Path) -> list[str]:
    """Problems with the exported chain segment, each naming the seq."""
    problems: list[str] = []
    events = _events(folder, problems)
    keys = audit_keys()
    previous: dict[str, Any] | None = None
    for event in events:
        seq = event["seq"]
        if previous is not None:
            if seq != previous["seq"] + 1:
                problems.append(f"audit/events.jsonl: seq {previous['seq']} is followed by {seq}")
            if event["prev_hash"] != previous["hash"]:
                problems.append(
                    f"audit/events.jsonl: seq {seq}: prev_hash is not seq {seq - 1}'s hash"
                )
        try:
            expected = rehash(event, keys)
        except LookupError as exc:
            problems.append(f"audit/events.jsonl: seq {seq}: {exc}")
        else:
            if expected != event["hash"]:
                problems.append(f"audit/events.jsonl: seq {seq}: content does not match its hash")
        previous = event
    problems += _check_anchors(folder, {e["seq"]: e["hash"] for e in events})
    return problems


def _check_anchors(folder: Path, hashes: dict[int, str]) -> list[str]:
    path = folder / "anchors" / "anchors.json"
    if not path.is_file() or not hashes:
        return []
    problems = []
    first, last = min(hashes), max(hashes)
    for anchor in json.loads(path.read_text(encoding="utf-8")):
        seq = anchor["seq"]
        if first <= seq <= last and hashes.get(seq) != anchor["hash"]:
            problems.append(f"anchors: seq {seq} was anchored with another hash than exported")
    return problems


def verify_export(folder: Path) -> list[str]:
    """Every problem found; an empty list means the export is intact."""
    folder = Path(folder)
    if not folder.is_dir():
        return [f"{folder} is not a folder"]
    return check_manifest(folder) + check_segment(folder)
