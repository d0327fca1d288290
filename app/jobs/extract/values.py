"""Typed values of a field's kind in a stretch of text: dates, numbers, names, addresses, doses."""

from __future__ import annotations

import re

from app.jobs.extract.spec import FieldSpec, as_type
from app.jobs.fieldparse import (
    Span,
    find_bp,
    find_dates,
    find_enum,
    find_numbers,
    find_times,
    normalize_unit,
    repair_digits_near_digits,
)

TITLES = frozenset({"dr", "mr", "mrs", "ms", "miss", "mx", "prof", "sr", "nurse"})
_TITLED_NAME = r"(?:(?:Dr|Mr|Mrs|Ms|Miss|Mx|Prof|Sr|Nurse)\.?[ \t]+)"
TITLED = re.compile(_TITLED_NAME)
_NAME = re.compile(
    rf"{_TITLED_NAME}?(?:[A-Z]\.[ \t]*)?[A-Z][a-z'’-]+(?:[ \t]+[A-Z][a-z'’-]+){{0,2}}"
    rf"|{_TITLED_NAME}[A-Z]\.?"
)
# Values right after these labels belong to no template field ("DOB: 14/07/1948").
_NOT_NAMES = frozenset((
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday",
    "saturday", "sunday", "patient", "the", "a", "an", "no", "none", "nil", "yes", "address",
    "date", "visit", "report", "on", "at", "by", "blood", "oxygen", "pain"
))  # fmt: skip
_STREET_WORDS = frozenset((
    "road", "rd", "street", "st", "avenue", "ave", "lane", "close", "drive", "way", "court",
    "place", "crescent", "terrace", "gardens", "grove", "hill", "square", "row", "parade",
    "mews", "walk"
))  # fmt: skip
_ADDRESS = re.compile(
    # (?<!\d): a house number starts where a digit run starts, not at each digit inside one
    # (which made a long run of digits take quadratic time).
    r"(?:(?:Flat|Unit|Apt\.?|Apartment) \w+,? )?(?<!\d)\d+[A-Za-z]? (?:[A-Z][a-z]+ ){1,3}"
    r"(?:Road|Rd|Street|St|Avenue|Ave|Lane|Ln|Close|Drive|Dr|Way|Court|Ct|Place|Pl|Crescent|"
    r"Terrace|Gardens|Grove|Hill|Square|Row|Parade|Mews|Walk)\b\.?"
    r"(?:,? [A-Z][a-z]+(?: [A-Z][a-z]+)?)?"  # the town
)
_DOSE = re.compile(
    r"[A-Z][a-zA-Z-]+(?: [A-Z]?[a-z]+)? \d+(?:\.\d+)? ?(?:mg|mcg|µg|g|ml|mL|units?|IU)\b"
    r"(?: (?:once|twice|three times|daily|nocte|mane|bd|tds|od|prn|weekly|at night|in the morning)"
    r"(?: daily| a day| weekly)?)?"
)
# -- typed values ---------------------------------------------------------------------------------


def typed_values(spec: FieldSpec, text: str, start: int, end: int) -> list[Span]:
    """Values of the field's type in text[start:end], with offsets into `text`, in order."""
    piece = text[start:end]
    spans: list[Span]
    if spec.kind == "date":
        spans = find_dates(piece, spec.date_order)
    elif spec.kind == "time":
        spans = find_times(piece)
    elif spec.kind in ("systolic", "diastolic"):
        part = 0 if spec.kind == "systolic" else 1
        spans = [Span(s.start, s.end, s.value[part]) for s in find_bp(piece)]
    elif spec.kind == "bp":
        spans = [Span(s.start, s.end, f"{s.value[0]}/{s.value[1]}") for s in find_bp(piece)]
    elif spec.kind == "number":
        spans = [s for s in find_numbers(piece) if _unit_fits(spec, s.unit)]
    elif spec.kind == "enum":
        spans = find_enum(piece, list(spec.schema["enum"]), spec.synonyms)
    elif spec.kind == "name":
        spans = [Span(m.start(), m.end(), m.group()) for m in _NAME.finditer(piece)]
        spans = [span for span in spans if looks_like_name(span.value)]
    elif spec.kind in ("address", "dose", "pattern"):
        pattern = {"address": _ADDRESS, "dose": _DOSE}.get(spec.kind) or re.compile(
            spec.schema["pattern"].lstrip("^").rstrip("$")
        )
        # OCR misreads inside numbers are repaired first: "BI-7l272" is BI-71272.
        piece = repair_digits_near_digits(piece)
        spans = [Span(m.start(), m.end(), m.group().rstrip(".,")) for m in pattern.finditer(piece)]
    else:
        return []
    return [Span(s.start + start, s.end + start, as_type(spec, s.value), s.unit) for s in spans]


def looks_like_name(value: str) -> bool:
    words = [w.lower().rstrip(".") for w in value.split()]
    words = [w for w in words if w not in TITLES and len(w) > 1] or words
    return words[0] not in _NOT_NAMES and words[-1] not in _STREET_WORDS


def _unit_fits(spec: FieldSpec, unit: str | None) -> bool:
    return unit is None or normalize_unit(unit) in spec.units
