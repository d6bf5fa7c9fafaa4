"""A model's lines as plain values: what a :class:`~portfolios.models.ModelVersion`
stores (its ``lines`` JSON), what the Target rows hold, and the difference of two sets.

Every weight and band is a Decimal; the JSON keeps them as strings, so a snapshot
reads back exactly as it was written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from portfolios.bands import DEFAULT_ABS_BAND, DEFAULT_REL_BAND
from portfolios.models import (
    AssetClass,
    ModelPortfolio,
    ModelVersion,
    ModelVersionState,
    Security,
    Target,
    TargetEquivalent,
)


@dataclass(frozen=True)
class Line:
    """One target line: an asset class or a security, its weight and bands (percent)."""

    asset_class_id: int | None
    security_id: int | None
    weight: Decimal
    abs_band: Decimal = DEFAULT_ABS_BAND
    rel_band: Decimal = DEFAULT_REL_BAND
    preferred_security_id: int | None = None
    equivalent_ids: tuple[int, ...] = field(default=())

    @property
    def key(self) -> tuple[str, int | None]:
        """What the line is about: ("class", id) or ("security", id); unique in a model."""
        if self.asset_class_id is not None:
            return ("class", self.asset_class_id)
        return ("security", self.security_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "asset_class": self.asset_class_id,
            "security": self.security_id,
            "weight": plain(self.weight),
            "abs_band": plain(self.abs_band),
            "rel_band": plain(self.rel_band),
            "preferred_security": self.preferred_security_id,
            "equivalents": sorted(self.equivalent_ids),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Line:
        return cls(
            asset_class_id=data.get("asset_class"),
            security_id=data.get("security"),
            weight=Decimal(data["weight"]),
            abs_band=Decimal(data.get("abs_band", DEFAULT_ABS_BAND)),
            rel_band=Decimal(data.get("rel_band", DEFAULT_REL_BAND)),
            preferred_security_id=data.get("preferred_security"),
            equivalent_ids=tuple(sorted(data.get("equivalents") or ())),
        )


def plain(value: Decimal) -> str:
    """ "60.0000" → "60", "2.50" → "2.5": the same number always reads the same."""
    return f"{value.normalize():f}"


def ordered(lines: Iterable[Line]) -> list[Line]:
    """Weight descending, then classes before securities, then id: a stable reading order."""
    return sorted(lines, key=lambda x: (-x.weight, x.key[0], x.key[1] or 0))


def to_json(lines: Iterable[Line]) -> list[dict[str, Any]]:
    return [line.to_json() for line in ordered(lines)]


def lines_of(version: ModelVersion) -> list[Line]:
    """The lines a version holds (its snapshot, never the live rows)."""
    return [Line.from_json(x) for x in version.lines]


def current_lines(model: ModelPortfolio | int) -> list[Line]:
    """The model's live lines, read from its Target rows (two queries, in the active scope)."""
    model_id = getattr(model, "pk", model)
    equivalents: dict[int, list[int]] = {}
    for target_id, security_id in TargetEquivalent.objects.filter(
        target__model_id=model_id
    ).values_list("target_id", "security_id"):
        equivalents.setdefault(target_id, []).append(security_id)
    return ordered(
        Line(
            asset_class_id=t.asset_class_id,
            security_id=t.security_id,
            weight=t.weight,
            abs_band=t.abs_band,
            rel_band=t.rel_band,
            preferred_security_id=t.preferred_security_id,
            equivalent_ids=tuple(sorted(equivalents.get(t.pk, ()))),
        )
        for t in Target.objects.filter(model_id=model_id)
    )


def live_version(model: ModelPortfolio | int) -> ModelVersion | None:
    model_id = getattr(model, "pk", model)
    return ModelVersion.objects.filter(model_id=model_id, state=ModelVersionState.LIVE).first()


def open_draft(model: ModelPortfolio | int) -> ModelVersion | None:
    model_id = getattr(model, "pk", model)
    return ModelVersion.objects.filter(model_id=model_id, state=ModelVersionState.DRAFT).first()


# --- Names and differences, for pages and the audit trail ------------------------------------


@dataclass(frozen=True)
class Names:
    """Asset class and security names for a set of lines, loaded in two queries."""

    classes: dict[int, str]
    symbols: dict[int, str]

    @classmethod
    def for_lines(cls, *groups: Iterable[Line]) -> Names:
        class_ids: set[int] = set()
        security_ids: set[int] = set()
        for group in groups:
            for x in group:
                if x.asset_class_id is not None:
                    class_ids.add(x.asset_class_id)
                security_ids |= {s for s in (x.security_id, x.preferred_security_id) if s}
                security_ids |= set(x.equivalent_ids)
        return cls(
            dict(AssetClass.objects.filter(pk__in=class_ids).values_list("pk", "name")),
            dict(Security.objects.filter(pk__in=security_ids).values_list("pk", "symbol")),
        )

    def label(self, line: Line) -> str:
        if line.asset_class_id is not None:
            return self.classes.get(line.asset_class_id, f"class #{line.asset_class_id}")
        return self.symbol(line.security_id)

    def symbol(self, security_id: int | None) -> str:
        if security_id is None:
            return ""
        return self.symbols.get(security_id, f"#{security_id}")


def labelled(lines: Iterable[Line], names: Names) -> list[dict[str, Any]]:
    """Lines as JSON with readable names: what the audit trail stores."""
    out = []
    for line in ordered(lines):
        row = line.to_json()
        row["label"] = names.label(line)
        if line.preferred_security_id:
            row["preferred_symbol"] = names.symbol(line.preferred_security_id)
        if line.equivalent_ids:
            row["equivalent_symbols"] = [names.symbol(s) for s in sorted(line.equivalent_ids)]
        out.append(row)
    return out


@dataclass(frozen=True)
class LineChange:
    """One line's change between two versions: kind is added, removed or changed."""

    kind: str
    label: str
    details: tuple[str, ...]


def describe(line: Line, names: Names) -> str:
    text = f"{plain(line.weight)}% (bands ±{plain(line.abs_band)} pts / {plain(line.rel_band)}%)"
    if line.preferred_security_id:
        text += f", buys {names.symbol(line.preferred_security_id)}"
    return text


def compare(before: Iterable[Line], after: Iterable[Line], names: Names) -> list[LineChange]:
    """What changed from ``before`` to ``after``, line by line, in reading order."""
    old = {x.key: x for x in before}
    new = {x.key: x for x in after}
    changes: list[LineChange] = []
    for line in ordered(new.values()):
        was = old.get(line.key)
        if was is None:
            changes.append(LineChange("added", names.label(line), (describe(line, names),)))
        elif was != line:
            changes.append(LineChange("changed", names.label(line), _details(was, line, names)))
    for line in ordered(old.values()):
        if line.key not in new:
            changes.append(LineChange("removed", names.label(line), (describe(line, names),)))
    return changes


def _details(was: Line, now: Line, names: Names) -> tuple[str, ...]:
    out = []
    for attr, what in (("weight", "weight"), ("abs_band", "absolute band")):
        a, b = getattr(was, attr), getattr(now, attr)
        if a != b:
            unit = "%" if attr == "weight" else " pts"
            out.append(f"{what} {plain(a)}{unit} → {plain(b)}{unit}")
    if was.rel_band != now.rel_band:
        out.append(f"relative band {plain(was.rel_band)}% → {plain(now.rel_band)}%")
    if was.preferred_security_id != now.preferred_security_id:
        a = names.symbol(was.preferred_security_id) or "none"
        b = names.symbol(now.preferred_security_id) or "none"
        out.append(f"preferred security {a} → {b}")
    if set(was.equivalent_ids) != set(now.equivalent_ids):
        a = ", ".join(names.symbol(s) for s in sorted(was.equivalent_ids)) or "none"
        b = ", ".join(names.symbol(s) for s in sorted(now.equivalent_ids)) or "none"
        out.append(f"equivalents {a} → {b}")
    return tuple(out)
