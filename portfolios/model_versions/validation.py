"""The rules a model's lines must keep before they become a version.

All problems are collected, each against its line (0-based index) or the model as a
whole, so a form can show every one next to the row it concerns: a model is never
half-checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError

from advisory.money import PERCENT
from portfolios.model_versions.lines import Line
from portfolios.models import HUNDRED, AssetClass, Security

ZERO = Decimal(0)
_PLACES = Decimal(1).scaleb(-PERCENT["decimal_places"])  # 0.0001
_LARGEST_BAND = Decimal(10) ** (PERCENT["max_digits"] - PERCENT["decimal_places"]) - _PLACES


class LinesInvalid(ValidationError):
    """The lines break a rule: ``by_line`` maps a line index to its messages,
    ``general`` holds the model-wide ones (the weights' sum, no lines at all)."""

    def __init__(self, by_line: dict[int, list[str]], general: list[str]):
        self.by_line, self.general = by_line, general
        messages = [*general]
        for index in sorted(by_line):
            messages += [f"Line {index + 1}: {m}" for m in by_line[index]]
        super().__init__(messages)


def validate_lines(lines: Sequence[Line]) -> None:
    """Raise :class:`LinesInvalid` unless every line and the set of them is sound."""
    by_line: dict[int, list[str]] = {}
    general: list[str] = []
    if not lines:
        raise LinesInvalid({}, ["A model needs at least one line."])
    classes = _classes(lines)
    securities = _securities(lines)
    seen: dict[tuple[str, int | None], int] = {}
    for i, line in enumerate(lines):
        problems = _line_problems(line, classes, securities)
        if line.key in seen and not problems:
            problems.append(f"Duplicates line {seen[line.key] + 1}: a model names each once.")
        seen.setdefault(line.key, i)
        if problems:
            by_line[i] = problems
    total = sum((x.weight for x in lines), ZERO)
    if total != HUNDRED:
        general.append(
            f"Weights must add up to exactly 100%; they add up to {total.normalize():f}%."
        )
    if by_line or general:
        raise LinesInvalid(by_line, general)


def _classes(lines: Sequence[Line]) -> dict[int, AssetClass]:
    return AssetClass.objects.in_bulk()  # the whole small tree: parents are walked below


def _securities(lines: Sequence[Line]) -> dict[int, Security]:
    ids: set[int] = set()
    for x in lines:
        ids |= {s for s in (x.security_id, x.preferred_security_id) if s} | set(x.equivalent_ids)
    return Security.objects.in_bulk(ids)


def _line_problems(
    line: Line, classes: dict[int, AssetClass], securities: dict[int, Security]
) -> list[str]:
    problems: list[str] = []
    is_class, is_security = line.asset_class_id is not None, line.security_id is not None
    if is_class == is_security:
        problems.append("Name an asset class or a security, not both and not neither.")
    elif is_class and line.asset_class_id not in classes:
        problems.append("That asset class does not exist.")
    elif is_security and line.security_id not in securities:
        problems.append("That security does not exist.")
    problems += _number_problems(line)
    if line.preferred_security_id is not None:
        problems += _preferred_problems(line, classes, securities)
    if line.equivalent_ids:
        problems += _equivalent_problems(line, classes, securities)
    return problems


def _number_problems(line: Line) -> list[str]:
    problems = []
    for value, what, top in (
        (line.weight, "The weight", HUNDRED),
        (line.abs_band, "The absolute band", _LARGEST_BAND),
        (line.rel_band, "The relative band", _LARGEST_BAND),
    ):
        if not isinstance(value, Decimal) or not value.is_finite():
            problems.append(f"{what} must be a number.")
        elif value < ZERO:
            problems.append(f"{what} cannot be negative.")
        elif value > top:
            problems.append(f"{what} can be at most {top.normalize():f}.")
        elif value != value.quantize(_PLACES):
            problems.append(f"{what} can have at most {PERCENT['decimal_places']} decimals.")
    return problems


def _descends(cls_id: int | None, ancestor_id: int, classes: dict[int, AssetClass]) -> bool:
    """Whether class ``cls_id`` is ``ancestor_id`` or below it in the class tree."""
    seen: set[int] = set()
    while cls_id is not None and cls_id not in seen:
        if cls_id == ancestor_id:
            return True
        seen.add(cls_id)
        node = classes.get(cls_id)
        cls_id = node.parent_id if node else None
    return False


def _preferred_problems(
    line: Line, classes: dict[int, AssetClass], securities: dict[int, Security]
) -> list[str]:
    preferred = securities.get(line.preferred_security_id or 0)
    if preferred is None:
        return ["The preferred security does not exist."]
    if line.asset_class_id is None:
        return ["A security line buys that security: leave the preferred security empty."]
    if not _descends(preferred.asset_class_id, line.asset_class_id, classes):
        name = classes[line.asset_class_id].name if line.asset_class_id in classes else "it"
        return [f"The preferred security {preferred.symbol} is not in {name}."]
    return []


def _equivalent_problems(
    line: Line, classes: dict[int, AssetClass], securities: dict[int, Security]
) -> list[str]:
    problems = []
    for security_id in line.equivalent_ids:
        sec = securities.get(security_id)
        if sec is None:
            problems.append("An equivalent security does not exist.")
        elif security_id == line.security_id:
            problems.append(f"{sec.symbol} cannot be an equivalent of itself.")
        elif line.asset_class_id is not None and not _descends(
            sec.asset_class_id, line.asset_class_id, classes
        ):
            name = classes[line.asset_class_id].name if line.asset_class_id in classes else "it"
            problems.append(f"The equivalent {sec.symbol} is not in {name}.")
    if len(set(line.equivalent_ids)) != len(line.equivalent_ids):
        problems.append("An equivalent is listed twice.")
    return problems
