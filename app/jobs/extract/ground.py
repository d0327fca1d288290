"""Evidence and grounding: a value is grounded when its evidence span occurs in the source (on a
scanned page, in what the OCR read surely)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.jobs.extract.spec import Candidate, FieldResult, FieldSpec, is_valid, line_bounds
from app.jobs.extract.values import as_written_for, says_none, typed_values
from app.jobs.fieldparse import repair_digits_near_digits
from app.jobs.grounding import collapse_spaces, occurs_in

_MAX_EVIDENCE = 400  # a label and its value farther apart than this are quoted by the value alone


def _evidence(text: str, candidate: Candidate) -> str:
    """The exact source passage for a value: its label and the value, or the value's line."""
    if candidate.mention is not None:
        start = min(candidate.mention.start, candidate.start)
        end = max(candidate.mention.end, candidate.end)
        if end - start <= _MAX_EVIDENCE:
            return text[start:end]
    start, end = line_bounds(text, candidate.start)
    start, end = max(start, candidate.start - 60), min(max(end, candidate.end), candidate.end + 60)
    return text[start:end].strip()


def _supports(spec: FieldSpec, value: Any, evidence: str) -> bool:
    """The evidence, read again on its own, gives this value."""
    if isinstance(value, list | dict):
        items = value if isinstance(value, list) else [value]
        parts = [v for item in items for v in (item.values() if isinstance(item, dict) else [item])]
        return all(_supports_text(str(part), evidence) for part in parts if part is not None)
    if spec.kind in ("text", "name", "address", "dose", "pattern", "quantity", "object"):
        return isinstance(value, str) and _supports_text(value, evidence)
    if spec.kind == "boolean":
        return isinstance(value, bool)
    values = [span.value for span in typed_values(spec, evidence, 0, len(evidence))]
    return value in values


def _supports_text(value: str, evidence: str) -> bool:
    evidence = repair_digits_near_digits(evidence)
    return collapse_spaces(value).lower() in collapse_spaces(evidence).lower()


def field_result(
    spec: FieldSpec,
    text: str,
    candidate: Candidate,
    source: str,
    unsure: Sequence[tuple[int, int]] = (),
) -> FieldResult:
    """A value with its evidence; grounded when that evidence is a passage of the source and
    gives the value, nothing else (what labelled it does not matter). `unsure` are the spans of
    `text` the OCR read unsurely: a value on one of them is not shown to be on the page."""
    evidence = _evidence(text, candidate)
    read_unsurely = any(start < candidate.end and candidate.start < end for start, end in unsure)
    in_source = occurs_in(evidence, text) and _supports(spec, candidate.value, evidence)
    grounded = in_source and not read_unsurely
    value = as_written_for(spec, candidate.value)
    if value == candidate.value and says_none(value):
        return empty_result(spec)  # "Procedures: None": the document says there is nothing
    return FieldResult(
        value, evidence, grounded, is_valid(spec, value), source, read_unsurely=read_unsurely
    )


def empty_result(spec: FieldSpec) -> FieldResult:
    return FieldResult(None, None, False, is_valid(spec, None), None)
