"""Tenancy by construction.

Every firm-owned model inherits :class:`FirmOwned`: a non-null ``firm`` and a
scoped default manager. Querying such a model while no firm scope is active
raises ``django_scopes.ScopeError`` instead of returning another firm's rows.
Web requests enter the scope in ``advisory.middleware.FirmScopeMiddleware``;
tasks and commands enter it with :func:`firm_scope` from the firm id they get.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

from django.apps import apps
from django.db import models
from django_scopes import ScopedManager, get_scope, scope

from config.db_routing.router import use_replica

T = TypeVar("T")

if TYPE_CHECKING:
    from .models import Firm


class FirmOwned(models.Model):
    """Abstract base of every table that belongs to one firm (tenant)."""

    firm = models.ForeignKey("advisory.Firm", on_delete=models.PROTECT, related_name="+")

    objects = ScopedManager(firm="firm")

    class Meta:
        abstract = True


@contextmanager
def firm_scope(firm: Firm | int) -> Iterator[None]:
    """Activate the scope of one firm. ``None`` is refused: it would mean "all firms"."""
    if firm is None:
        raise ValueError("firm_scope() needs a firm; None would disable tenant filtering.")
    with scope(firm=firm):
        yield


def scoped_stream(
    firm: Firm | int, rows: Iterable[T], *, replica_fresh_since: dt.datetime | None = None
) -> Iterator[T]:
    """Iterate ``rows`` in the firm's scope: a streamed response is consumed after the
    request's middleware has closed its scope, so its queries must open it again. With
    ``replica_fresh_since``, they read the replica once it has replayed everything committed
    before that moment (:func:`config.db_routing.router.use_replica`)."""
    with firm_scope(firm):
        if replica_fresh_since is None:
            yield from rows
        else:
            with use_replica(fresh_since=replica_fresh_since):
                yield from rows


def active_firm_id() -> int | None:
    """The id of the firm whose scope is active, or None."""
    current = get_scope()
    if not current.get("_enabled", True):
        return None
    value = current.get("firm")
    if value is None:
        return None
    return value if isinstance(value, int) else value.pk


def firm_owned_models() -> list[type[models.Model]]:
    """Every concrete model that belongs to a firm (used by the tenancy tests)."""
    return [m for m in apps.get_models() if issubclass(m, FirmOwned)]
