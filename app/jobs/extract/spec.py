"""A template field as the extractor sees it: its kind, its label candidates, its result."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.engine.schema import schema_errors
from app.jobs.fieldparse import DATE_ORDERS, normalize_unit


@dataclass(frozen=True)
class FieldResult:
    value: Any
    evidence: str | None
    grounded: bool
    valid: bool
    source: str | None  # "label" | "model" | None when nothing was found


@dataclass(frozen=True)
class FieldSpec:
    """One template property and how to find it."""

    name: str
    schema: Mapping[str, Any]
    kind: str  # date time number systolic diastolic bp boolean enum name address dose pattern text
    labels: tuple[str, ...]
    units: frozenset[str]
    synonyms: Mapping[str, list[str]]
    date_order: str
    required: bool


@dataclass(frozen=True)
class Mention:
    """A label of a field found in the document."""

    field: int
    start: int
    end: int
    labelled: bool  # followed by a separator, as on a form


@dataclass
class Candidate:
    value: Any
    start: int  # the value's span
    end: int
    strong: bool
    mention: Mention | None
    rank: float = 0.0
    adjacent: bool = False  # written right after its label word ("pulse 78", "BP: 142/91")


def field_specs(schema: Mapping[str, Any]) -> list[FieldSpec]:
    """How each property of a template is read; see the module docstring."""
    order = schema.get("x-date-order", "DMY")
    specs = []
    for name, prop in schema.get("properties", {}).items():
        words = name.replace("_", " ").replace("-", " ")
        labels = [*prop.get("x-labels", []), prop.get("title", ""), words]
        labels = list(dict.fromkeys(label.strip() for label in labels if label.strip()))
        specs.append(
            FieldSpec(
                name=name,
                schema=prop,
                kind=_kind(name, prop),
                labels=tuple(labels),
                units=frozenset(normalize_unit(unit) for unit in prop.get("x-units", [])),
                synonyms=prop.get("x-synonyms", {}),
                date_order=prop.get("x-date-order", order),
                required=name in schema.get("required", []),
            )
        )
        if specs[-1].date_order not in DATE_ORDERS:
            raise ValueError(f"x-date-order must be one of {DATE_ORDERS}")
    return specs


def _kind(name: str, prop: Mapping[str, Any]) -> str:
    text = f"{name} {prop.get('description', '')}".lower()
    kind = prop.get("type")
    if "enum" in prop:
        return "enum"
    if kind == "boolean":
        return "boolean"
    if kind in ("integer", "number"):
        for part in ("systolic", "diastolic"):
            if part in text:
                return part
        return "number"
    if prop.get("format") in ("date", "time"):
        return prop["format"]
    if prop.get("x-kind") in ("name", "address", "dose", "bp", "text"):
        return prop["x-kind"]
    if "pattern" in prop:
        return "pattern"
    return "text"


def as_type(spec: FieldSpec, value: Any) -> Any:
    if spec.schema.get("type") == "integer" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def is_valid(spec: FieldSpec, value: Any) -> bool:
    if value is None:
        return not spec.required
    return not schema_errors(value, spec.schema)


def strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in " \t\n\r|-–—:":
        start += 1
    while end > start and text[end - 1] in " \t\n\r|;,.":
        end -= 1
    return start, end


def cut_to_length(text: str, start: int, end: int, limit: int | None) -> int:
    """Shorten at a word boundary so the value respects maxLength (and stays a verbatim quote)."""
    if limit is None or end - start <= limit:
        return end
    cut = text.rfind(" ", start, start + limit + 1)
    return cut if cut > start else start + limit


def line_bounds(text: str, position: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    return start, len(text) if end < 0 else end
