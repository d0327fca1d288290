"""Typed values found in text: dates, times, numbers with units, blood pressures, booleans, enums.

Every finder returns `Span`s (character offsets into the text it was given plus the parsed
value), so a caller can always quote the exact source text a value came from.

Day/month order: a numeric date such as 04/05/2026 is read day first (DMY, as written on forms
in most of the world) unless the first number cannot be a month-ambiguous day — 05/25/2026 can
only be May 25 and is read month first. A template may set `"x-date-order": "MDY"` (or "DMY")
at the top level or on one field to change the reading of ambiguous dates.
"""

from __future__ import annotations

import bisect
import datetime as dt
import locale
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

DATE_ORDERS = ("DMY", "MDY")
# The vault setting that fixes the order of ambiguous dates for extraction ("DMY" or "MDY");
# without it the operating system's locale decides (`default_date_order`).
DATE_ORDER_SETTING = "extract.date_order"

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
# OCR reads 0 as O and 1 as l or I inside numbers; digits-with-those-letters are repaired
# before parsing (only where a real digit is adjacent, so words are left alone).
_D = r"[0-9OoIl]"
_DATE_PATTERNS = (
    re.compile(rf"(?<![\w/.-])(?P<y>{_D}{{4}})-(?P<m>{_D}{{1,2}})-(?P<d>{_D}{{1,2}})(?![\w/-])"),
    re.compile(
        rf"(?<![\w/.-])(?P<a>{_D}{{1,2}}) ?(?P<sep>[/.-]) ?(?P<b>{_D}{{1,2}}) ?(?P=sep) ?"
        rf"(?P<y>{_D}{{4}}|{_D}{{2}})(?![\w/]|\.\d)"
    ),
    re.compile(
        rf"(?<![\w/])(?P<d>{_D}{{1,2}})(?:st|nd|rd|th)?(?:[ \t]+of)?[ \t]+{_MONTH},?[ \t]+"
        rf"(?P<y>{_D}{{4}}|{_D}{{2}})\b",
        re.IGNORECASE,
    ),
    re.compile(
        rf"\b{_MONTH}[ \t]+(?P<d>{_D}{{1,2}})(?:st|nd|rd|th)?,?[ \t]+(?P<y>{_D}{{4}})\b",
        re.IGNORECASE,
    ),
)
# Dates, times, numbers and pressures all need a digit (OCR-confused letters are repaired only
# next to digits), so text without one is skipped quickly.
_ANY_DIGIT = re.compile(r"\d")
_TIME = re.compile(
    r"(?<![\d/.:])(?P<h>[01]?\d|2[0-3]) ?[:h.] ?(?P<m>[0-5]\d)(?![\d/.:])"
    r"(?: ?(?P<ampm>[ap]\.?m\.?))?",
    re.IGNORECASE,
)
_TIME_AMPM = re.compile(r"(?<![\d/.:])(?P<h>1[0-2]|0?[1-9]) ?(?P<ampm>[ap]\.?m\.?)", re.IGNORECASE)
# "3/10" is a score out of ten, so a slash may follow a number only as "/10".
_NUMBER = re.compile(rf"(?<![\w.,/]){_D}*\d{_D}*(?:\.\d+)?(?!\d|/(?!10\b)|\.\d)")
_UNIT = re.compile(
    r" ?(?P<unit>%|°C|°F|°|C|degrees|mmHg|mmol/L|mg/dL|mcg|µg|mg|ml|mL|kg|kilos?|kilograms?|"
    r"pounds?|lbs?\.?|lb|stones?|oz|ounces?|grams?|g|cm|mm|m²|m2|m|"
    r"bpm|beats per minute|breaths per minute|/10|/min|units?|IU|weeks?|days?|months?|years?|"
    r"hours?|hrs?|mins?|minutes?|percent|people|persons?|residents?|occupants?|staff|workers?|"
    r"individuals?|storeys?|floors?)(?![A-Za-z])",
)
_BP = re.compile(
    r"(?<![\w/.])(?P<sys>[0-9OoIl]{2,3}) ?/ ?(?P<dia>[0-9OoIl]{2,3})(?![\w/]|\.\d)(?: ?mm ?Hg)?"
)
_YES = ("yes", "y", "true", "present", "fitted", "installed", "positive", "done", "ticked",
        "required", "needed", "working", "in place")  # fmt: skip
_NO = ("no", "n", "false", "none", "nil", "absent", "missing", "not", "negative", "n/a",
       "not required", "not needed", "nkda", "denies", "denied")  # fmt: skip
_TICKED = re.compile(r"\[[xX✓✔*]\]|\([xX✓✔]\)|[☑☒✅✓✔]")
_UNTICKED = re.compile(r"\[ ?\]|\( ?\)|☐")


@dataclass(frozen=True)
class Span:
    """A value parsed from `text[start:end]`; `unit` only for numbers."""

    start: int
    end: int
    value: Any
    unit: str | None = None


def repair_digits(token: str) -> str:
    """OCR letter-for-digit confusions inside a number: O/o -> 0, I/l -> 1."""
    return token.translate(str.maketrans("OoIl", "0011"))


def repair_digits_near_digits(text: str) -> str:
    """`repair_digits` for letters inside a number only ("BI-7l272" -> "BI-71272", "12O" -> "120",
    but not "SpO2"); the length is kept, so offsets into the result are offsets into `text`."""
    return re.sub(
        r"(?<=\d)[OoIl]|(?<![A-Za-z])[OoIl](?=\d)", lambda m: repair_digits(m.group()), text
    )


def _year(raw: str) -> int:
    """A two-digit year is the nearest one not in the future ("92" is 1992, "25" is 2025)."""
    year = int(raw)
    if year >= 100:
        return year
    this_year = dt.date.today().year
    year += this_year - this_year % 100
    return year - 100 if year > this_year else year


# Countries that write the month first (en_US, en_PH, …): everyone else reads day first.
_MONTH_FIRST = frozenset({"US", "PH", "FM", "MH", "PW", "AS", "GU", "MP", "PR", "VI", "UM", "BZ"})


def default_date_order() -> str:
    """ "MDY" or "DMY" from the operating system's locale (LC_TIME, then LC_ALL / LANG).

    The raw name the C library holds, not `locale.getlocale()`, which maps "C.UTF-8" to
    "en_US": the desktop app (Qt sets the process locale) and the CLI must agree."""
    name = locale.setlocale(locale.LC_TIME)  # a query: no argument changes nothing
    if name.split(".")[0] in ("C", "POSIX"):
        name = ""
    for variable in ("LC_ALL", "LC_TIME", "LANG"):
        name = name or os.environ.get(variable, "")
    country = re.split(r"[_.@-]", name)[1:2]
    return "MDY" if country and country[0].upper() in _MONTH_FIRST else "DMY"


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def overlap_test(spans: Iterable[tuple[int, int]]) -> Callable[[int, int], bool]:
    """`overlaps(start, end)`: does [start, end) overlap any of `spans`? In O(log n) per
    question, so documents with very many values stay linear rather than quadratic."""
    ordered = sorted(spans)
    starts = [start for start, _ in ordered]
    reach: list[int] = []  # the furthest end among the spans up to each position
    for _, end in ordered:
        reach.append(max(end, reach[-1]) if reach else end)

    def overlaps(start: int, end: int) -> bool:
        before = bisect.bisect_left(starts, end)  # the spans that start before `end`
        return before > 0 and reach[before - 1] > start

    return overlaps


def find_dates(text: str, order: str = "DMY") -> list[Span]:
    """Every date in `text`, as ISO 8601 strings, in the order they appear."""
    if not _ANY_DIGIT.search(text):
        return []
    found: list[Span] = []
    for pattern in _DATE_PATTERNS:
        # One pattern's matches never overlap each other; only earlier patterns' can.
        taken = overlap_test((span.start, span.end) for span in found)
        for match in pattern.finditer(text):
            if taken(match.start(), match.end()):
                continue
            parts = {
                k: v if k in ("mon", "sep") else repair_digits(v)
                for k, v in match.groupdict().items()
                if v
            }
            if not all(v.isdigit() for k, v in parts.items() if k not in ("mon", "sep")):
                continue
            if "mon" in parts:
                month = _MONTHS[parts["mon"].lower()[:3]]
                iso = _iso(_year(parts["y"]), month, int(parts["d"]))
            elif "a" in parts:
                iso = _numeric_date(int(parts["a"]), int(parts["b"]), _year(parts["y"]), order)
            else:
                iso = _iso(int(parts["y"]), int(parts["m"]), int(parts["d"]))
            if iso:
                found.append(Span(match.start(), match.end(), iso))
    return sorted(found, key=lambda span: span.start)


def _numeric_date(a: int, b: int, year: int, order: str) -> str | None:
    if order == "MDY" and a <= 12:
        return _iso(year, a, b)
    if order == "DMY" and b > 12 and a <= 12:  # 05/25/2026 can only be month first
        return _iso(year, a, b)
    if order == "MDY":  # 25/05/2026 can only be day first
        return _iso(year, b, a)
    return _iso(year, b, a)


def find_times(text: str) -> list[Span]:
    """Clock times as "HH:MM" (24-hour)."""
    if not _ANY_DIGIT.search(text):
        return []
    found: list[Span] = []
    for pattern in (_TIME, _TIME_AMPM):
        taken = overlap_test((span.start, span.end) for span in found)
        for match in pattern.finditer(text):
            if taken(match.start(), match.end()):
                continue
            ampm = (match["ampm"] or "").lower()
            if not ampm and _is_decimal(text, match):
                continue  # "0.25 mg", "1.25 mm": a number with decimals, not a clock time
            hour, minute = int(match["h"]), int(match.groupdict().get("m") or 0)
            if ampm.startswith("p") and hour < 12:
                hour += 12
            elif ampm.startswith("a") and hour == 12:
                hour = 0
            found.append(Span(match.start(), match.end(), f"{hour:02d}:{minute:02d}"))
    return sorted(found, key=lambda span: span.start)


def _is_decimal(text: str, match: re.Match[str]) -> bool:
    """A "H.MM" reading that is a quantity: a unit follows it, or it starts with "0."."""
    written = match.group()
    if "." not in written or ":" in written:
        return False
    return written.startswith("0") or _UNIT.match(text, match.end()) is not None


def find_numbers(text: str) -> list[Span]:
    """Numbers with the unit written right after them (if any). Parts of dates, times and blood
    pressures are left out: those are values of their own."""
    if not _ANY_DIGIT.search(text):
        return []
    blocked = overlap_test(
        (s.start, s.end) for s in find_dates(text) + find_times(text) + find_bp(text)
    )
    found = []
    for match in _NUMBER.finditer(text):
        if blocked(match.start(), match.end()):
            continue
        raw = repair_digits(match.group())
        try:
            number = float(raw)
        except ValueError:
            continue
        value: int | float = int(number) if number.is_integer() and "." not in raw else number
        unit_match = _UNIT.match(text, match.end())
        if unit_match is None and text[match.end() : match.end() + 1].isalpha():
            continue  # part of a word or an ordinal ("2nd", "A4"), not a quantity
        end = unit_match.end() if unit_match else match.end()
        found.append(Span(match.start(), end, value, unit_match["unit"] if unit_match else None))
    return found


def find_bp(text: str) -> list[Span]:
    """Blood pressures "142/91" as (systolic, diastolic), within physiological bounds (so a
    pain score "3/10" or a fraction is not one)."""
    if not _ANY_DIGIT.search(text):
        return []
    found = []
    for match in _BP.finditer(text):
        systolic, diastolic = repair_digits(match["sys"]), repair_digits(match["dia"])
        if not (systolic.isdigit() and diastolic.isdigit()):
            continue
        pair = (int(systolic), int(diastolic))
        if 60 <= pair[0] <= 260 and 30 <= pair[1] <= 160 and pair[0] > pair[1]:
            found.append(Span(match.start(), match.end(), pair))
    return found


_UNIT_ALIASES = {
    "degree": "°c", "°": "°c", "c": "°c", "percent": "%", "beats per minute": "bpm",
    "/min": "bpm", "m2": "m²", "min": "minute", "hr": "hour", "person": "people",
}  # fmt: skip


def normalize_unit(unit: str | None) -> str | None:
    """One spelling per unit, so "mins", "minutes" and "min" compare equal."""
    if unit is None:
        return None
    unit = unit.lower()
    if unit.endswith("s") and len(unit) > 2 and unit not in ("mmhg",):
        unit = unit[:-1]
    return _UNIT_ALIASES.get(unit, unit)


def parse_boolean(text: str) -> Span | None:
    """A yes/no answer at the start of `text` ("Yes", "nil", "[x]", "☐", "not present")."""
    stripped = text.lstrip(" \t:-–")
    offset = len(text) - len(stripped)
    mark = _TICKED.match(stripped) or _UNTICKED.match(stripped)
    if mark:
        return Span(offset + mark.start(), offset + mark.end(), bool(_TICKED.match(stripped)))
    lowered = stripped.lower()
    # Longest words first, so "not required" is read before "not" and "no".
    for word, value in sorted(
        [(w, True) for w in _YES] + [(w, False) for w in _NO], key=lambda item: -len(item[0])
    ):
        if re.match(rf"{re.escape(word)}(?![a-z])", lowered):
            return Span(offset, offset + len(word), value)
    return None


def find_ticks(text: str) -> list[Span]:
    """Checkbox marks: ticked (True) and empty (False)."""
    spans = [Span(m.start(), m.end(), True) for m in _TICKED.finditer(text)]
    spans += [Span(m.start(), m.end(), False) for m in _UNTICKED.finditer(text)]
    return sorted(spans, key=lambda span: span.start)


def find_enum(text: str, options: list[str], synonyms: dict[str, list[str]]) -> list[Span]:
    """Every mention of an enum option (or a synonym of it), case-insensitively, as the option."""
    found = []
    for option in options:
        for word in [option, *synonyms.get(option, [])]:
            pattern = re.compile(rf"(?<![\w-]){re.escape(word)}(?![\w-])", re.IGNORECASE)
            found += [Span(m.start(), m.end(), option) for m in pattern.finditer(text)]
    found.sort(key=lambda span: (span.start, -(span.end - span.start)))
    # Drop mentions inside a longer one ("very high" is one mention, not "high" as well).
    kept: list[Span] = []
    for span in found:
        if not kept or span.start >= kept[-1].end:
            kept.append(span)
    return kept
