"""Evidence and grounding: a value is grounded when its evidence span occurs in the source."""

from __future__ import annotations

from typing import Any

from app.jobs.extract.spec import Candidate, FieldResult, FieldSpec, is_valid, line_bounds
from app.jobs.extract.values import typed_values
from app.jobs.fieldparse import repair_digits_near_digits
from app.jobs.grounding import collapse_spaces, occurs_in


def _evidence(text: str, candidate: Candidate) -> tuple[str, bool]:
    """The exact source passage for a value, and whether it names the field (grounded)."""
    if candidate.mention is None:
        start, end = line_bounds(text, candidate.start)
        start, end = max(start, candidate.start - 60), min(end, candidate.end + 60)
        return text[start:end].strip(), False
    start = min(candidate.mention.start, candidate.start)
    end = max(candidate.mention.end, candidate.end)
    return text[start:end], True


def _supports(spec: FieldSpec, value: Any, evidence: str) -> bool:
    """The evidence, read again on its own, gives this value."""
    if spec.kind in ("text", "name", "address", "dose", "pattern") and isinstance(value, str):
        evidence = repair_digits_near_digits(evidence)
        return collapse_spaces(value).lower() in collapse_spaces(evidence).lower()
    if spec.kind == "boolean":
        return isinstance(value, bool)
    values = [span.value for span in typed_values(spec, evidence, 0, len(evidence))]
    return value in values


def field_result(spec: FieldSpec, text: str, candidate: Candidate, source: str) -> FieldResult:
    evidence, names_field = _evidence(text, candidate)
    grounded = (
        names_field and occurs_in(evidence, text) and _supports(spec, candidate.value, evidence)
    )
    return FieldResult(candidate.value, evidence, grounded, is_valid(spec, candidate.value), source)


def empty_result(spec: FieldSpec) -> FieldResult:
    return FieldResult(None, None, False, is_valid(spec, None), None)
