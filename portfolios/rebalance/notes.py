"""Proposal notes as stored (``portfolios.Proposal.notes``, a JSON list).

The engine returns :class:`~portfolios.rebalance.types.Note`; a proposal stores each as a
dict ``{"rule", "subject", "effect", "drift_left", "text"}``. Proposals stored before notes
were structured hold plain strings; both read back as sentences with :func:`text_of`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from portfolios.rebalance.types import Note


def to_json(notes: Iterable[Note | str]) -> list[dict[str, Any] | str]:
    """What ``Proposal.notes`` stores (a plain string, from an older engine, stays as it is)."""
    return [n.as_json() if isinstance(n, Note) else str(n) for n in notes]


def text_of(note: Any) -> str:
    """The sentence of a stored note, structured or a plain string."""
    if isinstance(note, dict):
        return str(note.get("text", ""))
    return str(getattr(note, "text", note))
