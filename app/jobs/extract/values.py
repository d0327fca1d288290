"""Typed values of a field's kind in a stretch of text: dates, numbers, names, addresses, doses."""

from __future__ import annotations

import re

from app.jobs.extract.spec import FieldSpec, as_type, lexicon
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
# A word of a name in any script: "José", "Ñúñez", "McDonald", "O'Neil", "Smith-Jones", "SMITH".
_NAME_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*\.?")
_NAME_GAP = re.compile(r" {1,2}|, ")  # three spaces or a tab: the next column
_NOT_NAMES = frozenset((
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday",
    "saturday", "sunday", "patient", "the", "a", "an", "no", "none", "nil", "yes", "address",
    "date", "visit", "report", "on", "at", "by", "blood", "oxygen", "pain", "he", "she", "his",
    "her", "it", "its", "we", "they", "their", "this", "that"
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
        spans = [s for s in find_enum(piece, list(spec.schema["enum"]), spec.synonyms)
                 if not negated(piece, s.start)]  # fmt: skip
    elif spec.kind == "name":
        spans = [span for span in find_names(piece) if looks_like_name(span.value)]
    elif spec.kind == "quantity":  # kept as written: "163 pounds", "71.5" (no unit is assumed)
        spans = [Span(s.start, s.end, piece[s.start : s.end]) for s in find_numbers(piece)]
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
    """A template that lists units (`x-units`) takes only those; otherwise any unit fits."""
    return unit is None or not spec.units or normalize_unit(unit) in spec.units


def find_names(text: str) -> list[Span]:
    """Runs of one to four capitalized words, a title and initials included, written as the
    document writes them ("Dr Elena Reyes", "José Ñúñez", "SMITH, John"). A comma joins words
    only after a surname in capitals ("SMITH, John")."""
    words = list(_NAME_WORD.finditer(text))
    spans: list[Span] = []
    index = 0
    while index < len(words):
        first = words[index]
        before = text[first.start() - 1] if first.start() else " "
        if not first.group()[0].isupper() or not (before.isspace() or before in "(\"'“‘"):
            index += 1  # ("mmol/L. He": a unit's letter, not an initial)
            continue
        end, count = index, 1
        while end + 1 < len(words) and count < 4:
            gap = text[words[end].end() : words[end + 1].start()]
            following = words[end + 1].group()
            if not _NAME_GAP.fullmatch(gap) or not following[0].isupper():
                break
            surname_first = count == 1 and first.group().isupper() and len(first.group()) > 1
            if "," in gap and not surname_first:
                break
            end, count = end + 1, count + 1
        start, stop = first.start(), words[end].end()
        last = words[end].group()
        value = text[start:stop].removesuffix(".") if len(last) > 3 else text[start:stop]
        if count > 1 or first.group().lower().rstrip(".") not in TITLES:
            spans.append(Span(start, start + len(value), value))
        index = end + 1
    return spans


def negated(text: str, position: int) -> bool:
    """A negation word in the same clause, at most three words before `position` ("no
    oedema", "denies any dizziness")."""
    clause = re.split(r"[.;:,\n]|\bbut\b", text[max(0, position - 40) : position])[-1]
    words = clause.lower().split()[-3:]
    negations = lexicon()["negations"]
    return any(word in negations for word in words) or clause.lower().rstrip().endswith("n't")


def as_written_for(spec: FieldSpec, value: object) -> object:
    """The value the description asks for when the document's words call for it ("none known"
    for "No known drug allergies" when the description says to write it for NKDA)."""
    if not isinstance(value, str):
        return value
    words = value.lower().replace(".", " ").split()
    for written, phrases in spec.rewrites:
        for phrase in phrases:
            wanted = phrase.lower().split()
            if set(wanted) <= set(words):
                return written
            negative = wanted and wanted[0] in lexicon()["negations"]
            if negative and len(words) <= 6 and set(words) & set(lexicon()["negations"]):
                return written
    return value


# "N/A" is not among them: it answers that the question does not apply, which a form's
# reader wants to see as written, not as a field nothing was found for.
_NOTHING = re.compile(r"(?:none|nil)(?: today| noted| known| reported)?\.?", re.IGNORECASE)


def says_none(value: object) -> bool:
    """A free-text answer that says there is nothing ("None", "Nil", "None today")."""
    return isinstance(value, str) and _NOTHING.fullmatch(value.strip()) is not None
