"""Who is acting, and from where, for the audit trail.

Web requests set this in middleware; tasks and commands set a system actor
with :func:`acting_as`. :func:`advisory.audit.record` reads it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class ActorContext:
    actor: Any = None  # a User or None
    actor_label: str = ""
    role: str = ""
    ip: str | None = None
    user_agent: str = ""
    request_id: str = ""  # always ours (advisory.middleware.RequestContextMiddleware)
    client_request_id: str = ""  # a client's X-Request-ID, kept beside ours
    api_token_id: int | None = None  # the API token the request authenticated with


_EMPTY = ActorContext()
_current: ContextVar[ActorContext | None] = ContextVar("ballast_actor", default=None)


def current_actor() -> ActorContext:
    return _current.get() or _EMPTY


@contextmanager
def acting_as(**fields: Any) -> Iterator[ActorContext]:
    """Overlay fields on the current actor context for the duration of a block."""
    ctx = replace(current_actor(), **fields)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
