"""A template field as the extractor sees it: its kind, its label candidates, its result."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from app.engine.schema import schema_errors
from app.errors import BadInput
from app.jobs.fieldparse import DATE_ORDERS, normalize_unit
from app.paths import assets_dir

_BRACKETED = re.compile(r"\([^()]*(?:\)|$)")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
# Alternative names a description offers: "Pulse or heart beat", "(pulse oximetry)".
_ALTERNATIVE = re.compile(
    r"\(([^()]{3,40})\)|\bor (?:the )?([A-Za-z][A-Za-z -]{2,40}?)(?=[,.;:(]|$)"
)


@dataclass(frozen=True)
class FieldResult:
    value: Any
    evidence: str | None
    grounded: bool
    valid: bool
    source: str | None  # "label" | "model" | None when nothing was found
    model_ran: bool = False  # the model was asked to choose this field's value
    model_kept: bool = False  # and its answer is the value
    # The value is on a scanned line the OCR read unsurely: the page, not the text, is the source,
    # and that reading of it is not proof of what the page says (so the value is not grounded).
    read_unsurely: bool = False


@dataclass(frozen=True)
class FieldSpec:
    """One template property and how to find it."""

    name: str
    schema: Mapping[str, Any]
    kind: str  # date time number systolic diastolic bp boolean enum name address dose pattern
    # quantity (a number with its unit, as written) text array object
    labels: tuple[str, ...]
    units: frozenset[str]
    synonyms: Mapping[str, list[str]]
    date_order: str
    required: bool
    # (written value, phrases) from the description: 'write "none known" when the note says NKDA
    # or no known allergies'.
    rewrites: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Units the template names, in `x-units` or in words: a reading written in one of them is
    # preferred to a bare number, but no unit is required.
    named_units: frozenset[str] = frozenset()


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
    adjacent: bool = False  # written right after its label word ("pulse 59", "BP: 137/83")
    unit: str | None = None  # the unit written with a number, normalised ("97%": "%")


@cache
def lexicon(locale: str = "en") -> dict[str, Any]:
    """The generic label vocabulary of a language (assets/lexicon/fields-LOCALE.json)."""
    return json.loads((assets_dir() / "lexicon" / f"fields-{locale}.json").read_text("utf-8"))


def without_brackets(phrase: str) -> str:
    """A label without what it says in brackets ("Weight (kg)" is "Weight"; OCR may lose the
    closing one): a bracket qualifies a label, it does not name it."""
    return " ".join(_BRACKETED.sub(" ", phrase).split())


def fold(phrase: str) -> str:
    """A label phrase compared loosely: lower case, words only, plurals folded ("Diagnoses" is
    "diagnosis", "Medications" is "medication")."""
    words = []
    for word in _WORD.findall(phrase.lower().replace("’", "'")):
        if len(word) > 4 and word.endswith(("is", "es")):
            word = word[:-2]
        elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        words.append(word)
    return " ".join(words)


def name_words(name: str) -> str:
    """A property's name in words ("wall_finish" -> "wall finish"); "date_2" is the second
    "date" of the form, not a label of its own, but "bay_14" is the label "bay 14"."""
    return re.sub(r"[_ -]+\d$", "", name).replace("_", " ").replace("-", " ")


def short_description(prop: Mapping[str, Any]) -> list[str]:
    """A description as short as a label is one: "Beeper number", "The site's postcode" (its
    article aside); a longer one, or one that explains ("What happened, as written"), only
    offers its alternatives (`label_candidates`)."""
    first = str(prop.get("description", "")).split(". ")[0].strip().rstrip(".")
    phrase = re.sub(r"^(?:the|a|an) ", "", first, flags=re.IGNORECASE)
    return [phrase] if 0 < len(phrase.split()) <= 4 and "," not in phrase else []


def label_candidates(name: str, prop: Mapping[str, Any]) -> list[str]:
    """Every phrase a document may use to label this field, from the schema itself: the
    `x-labels` hints, the title, the property name in words, a description as short as a label
    or the alternative names a longer one gives, each of these without its qualifiers ("Patient
    age" -> "age"), and the lexicon's synonyms of any of them."""
    own = [*prop.get("x-labels", []), prop.get("title", ""), name_words(name)]
    own += short_description(prop)
    description = str(prop.get("description", "")).split(". ")[0]
    for match in _ALTERNATIVE.finditer(description):
        phrase = (match.group(1) or match.group(2)).strip()
        if len(phrase.split()) <= 4 and not any(c.isdigit() for c in phrase):
            own.append(phrase)
    qualifiers = set(lexicon()["qualifiers"])
    for phrase in list(own):
        kept = [w for w in phrase.split() if w.lower() not in qualifiers]
        if kept and len(kept) < len(phrase.split()):
            own.append(" ".join(kept))
        # A bracket qualifies a label ("HARDNESS (1 = soft)"), and forms print it apart, under
        # the label or not at all: the words before it are a label too.
        bare = without_brackets(phrase).strip(" -:")
        if bare != phrase.strip() and any(c.isalpha() for c in bare):
            own.append(bare)
        # A heading and its label ("Planned: Handover"): forms print the heading apart.
        head, colon, tail = phrase.rpartition(":")
        if colon and head.strip() and tail.strip()[:1].isalpha():
            own.append(tail.strip())
    folded = {fold(phrase) for phrase in own}
    for group in lexicon()["synonyms"]:
        if folded & {fold(member) for member in group}:
            own += group
    return list(dict.fromkeys(label.strip() for label in own if label.strip()))


_REWRITE = re.compile(
    r"""\bwrite [\"“']([^\"”']+)[\"”'] (?:when|if) [^.;]*?\bsays? ([^.;]+)""", re.IGNORECASE
)


def _rewrites(description: str) -> list[tuple[str, tuple[str, ...]]]:
    """Values the description asks for in so many words, and the phrases that call for them."""
    found = []
    for match in _REWRITE.finditer(description):
        phrases = re.split(r",? or |, ", match.group(2).strip(" .\"'"))
        found.append((match.group(1), tuple(p.strip(" \"'") for p in phrases if p.strip())))
    return found


def _option_words(prop: Mapping[str, Any]) -> dict[str, list[str]]:
    """Words meaning each enum option: the template's `x-synonyms`, then the lexicon's."""
    words = {
        option: list(prop.get("x-synonyms", {}).get(option, [])) for option in prop.get("enum", [])
    }
    for option in words:
        words[option] += lexicon()["options"].get(str(option).lower(), [])
    return words


def field_specs(schema: Mapping[str, Any], date_order: str | None = None) -> list[FieldSpec]:
    """How each property of a template is read: its kind and its label candidates."""
    order = schema.get("x-date-order", date_order or "DMY")
    specs = []
    for name, prop in schema.get("properties", {}).items():
        labels = label_candidates(name, prop)
        specs.append(
            FieldSpec(
                name=name,
                schema=prop,
                kind=_kind(name, prop),
                labels=tuple(labels),
                units=frozenset(normalize_unit(unit) for unit in prop.get("x-units", [])),
                synonyms=_option_words(prop),
                date_order=prop.get("x-date-order", order),
                required=name in schema.get("required", []),
                rewrites=tuple(_rewrites(str(prop.get("description", "")))),
                named_units=_named_units(prop),
            )
        )
        if specs[-1].date_order not in DATE_ORDERS:
            raise BadInput(f"The date order must be one of {', '.join(DATE_ORDERS)}.")
    return specs


def _named_units(prop: Mapping[str, Any]) -> frozenset[str]:
    """The units a template names: its `x-units` and a unit its description names in words
    ("Oxygen saturation, percent.")."""
    words = re.findall(r"[a-z]+", str(prop.get("description", "")).lower())
    named = [*prop.get("x-units", []), *(w for w in words if w in lexicon()["unit_words"])]
    return frozenset(unit for unit in map(normalize_unit, named) if unit)


def _kind(name: str, prop: Mapping[str, Any]) -> str:
    text = f"{name} {prop.get('description', '')}".lower()
    kind = prop.get("type")
    if kind in ("array", "object"):
        return kind
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
    if prop.get("x-kind") in ("name", "address", "dose", "bp", "text", "quantity"):
        return prop["x-kind"]
    if "pattern" in prop:
        return "pattern"
    # "weight with its unit, as written": the measure itself; a label the description quotes
    # ('the form's "UNIT PRICE"') asks for no unit.
    if re.search(r"\bunits?\b", re.sub(r"\"[^\"]*\"|“[^”]*”", " ", text)):
        return "quantity"
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
