"""Facts in a text — dates, times, numbers, doses, measurements, names — and whether a source has
them. Summaries are checked with `ungrounded` (what they state that the source does not); extracted
values with `occurs_in` (their evidence is really in the document).

Facts are compared by meaning, not spelling: "12 March 2026" matches "12/03/2026", "5mg" matches
"5 mg", and names match case-insensitively word by word. Section citations like "[S2]" are not
facts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.jobs.fieldparse import find_bp, find_dates, find_numbers, find_times, normalize_unit

DOSE_UNITS = frozenset({"mg", "mcg", "µg", "g", "ml", "unit", "iu"})
CITATION = re.compile(r"\[S\d+(?:[,;] ?S\d+)*\]")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
# A run of capitalized words ("Dr Amara Okafor", "Ramipril"), titles and initials included.
_NAME_WORD = r"(?:[A-Z][a-zA-Z'’-]+|[A-Z]\.?)"
# Never from inside a word: "mEq", "mmHg", "aVL", "i-STAT" hold no name.
_NAME_RUN = re.compile(rf"(?<![\w'’-]){_NAME_WORD}(?: {_NAME_WORD})*")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|\n\s*|[-*•]\s+)$")


@dataclass(frozen=True)
class Fact:
    """One checkable statement in a text: `text` is what was written, `key` what it means."""

    kind: str  # "date", "time", "number", "dose", "measurement" or "name"
    text: str
    start: int
    end: int
    key: tuple


def find_facts(text: str, date_order: str = "DMY") -> list[Fact]:
    """Every fact in `text`, in order. Citations are blanked first (offsets are kept)."""
    text = CITATION.sub(lambda m: " " * len(m.group()), text)
    facts = [Fact("date", text[s.start : s.end], s.start, s.end, ("date", s.value))
             for s in find_dates(text, date_order)]  # fmt: skip
    facts += [Fact("time", text[s.start : s.end], s.start, s.end, ("time", s.value))
              for s in find_times(text)]  # fmt: skip
    facts += [Fact("measurement", text[s.start : s.end], s.start, s.end, ("bp", *s.value))
              for s in find_bp(text)]  # fmt: skip
    for span in find_numbers(text):
        unit = normalize_unit(span.unit)
        kind = "dose" if unit in DOSE_UNITS else "measurement" if unit else "number"
        facts.append(
            Fact(kind, text[span.start : span.end], span.start, span.end, ("num", span.value, unit))
        )
    for match in _NAME_RUN.finditer(text):
        words = match.group().split()
        at_start = _SENTENCE_START.search(text[: match.start()]) is not None
        followed_by_number = re.match(r" \d", text[match.end() : match.end() + 2]) is not None
        if at_start and len(words) == 1 and not followed_by_number:
            continue  # an ordinary word that starts a sentence, not a name
        if all(len(w.rstrip(".")) <= 1 for w in words):
            continue  # a lone initial or a section letter ("S:", "A.")
        key = ("name", *(w.rstrip(".").lower() for w in words))
        facts.append(Fact("name", match.group(), match.start(), match.end(), key))
    return sorted(facts, key=lambda fact: fact.start)


class SourceFacts:
    """What a source states, indexed for checking other texts against it."""

    def __init__(self, source: str, date_order: str = "DMY") -> None:
        self.date_order = date_order
        facts = find_facts(source, date_order)
        self.keys = {fact.key for fact in facts}
        self.values = {fact.key[1] for fact in facts if fact.key[0] == "num"}
        self.values |= {part for fact in facts if fact.key[0] == "bp" for part in fact.key[1:]}
        self.words = {word.lower() for word in _WORD.findall(source)}

    def supports(self, fact: Fact) -> bool:
        if fact.kind == "name":
            return all(word in self.words for word in fact.key[1:])
        if fact.key[0] == "num":
            _, value, unit = fact.key
            # A unit the source did not write next to that number is a different quantity.
            return ("num", value, unit) in self.keys or (unit is None and value in self.values)
        return fact.key in self.keys

    def ungrounded(self, text: str) -> list[str]:
        """The facts of `text` this source does not state, each once, in order."""
        missing: list[str] = []
        for fact in find_facts(text, self.date_order):
            if not self.supports(fact) and fact.text not in missing:
                missing.append(fact.text)
        return missing


def ungrounded(text: str, source: str, date_order: str = "DMY") -> list[str]:
    """Numbers, dates, doses, measurements and names in `text` that `source` does not contain."""
    return SourceFacts(source, date_order).ungrounded(text)


def read_unsurely(
    text: str, source: str, unsure: Sequence[tuple[int, int]], date_order: str = "DMY"
) -> list[str]:
    """The facts of `text` that `source` states only in its `unsure` spans (lines the OCR read
    unsurely), each once, in order: with those spans blanked, the source no longer states them."""
    if not unsure:
        return []
    surely = list(source)
    for start, end in unsure:
        surely[start:end] = " " * (end - start)
    stated = SourceFacts(source, date_order)
    stated_surely = SourceFacts("".join(surely), date_order)
    doubted: list[str] = []
    for fact in find_facts(text, date_order):
        if fact.kind == "name" and re.match(r"[ \t]*\d", text[fact.end :]):
            continue  # "BP 148/92", "Pulse 84": the label of a reading, listed by its number
        if stated.supports(fact) and not stated_surely.supports(fact) and fact.text not in doubted:
            doubted.append(fact.text)
    return doubted


def collapse_spaces(text: str) -> str:
    return " ".join(text.split())


def evidence_span(evidence: str, source: str) -> tuple[int, int] | None:
    """Where `evidence` is written in `source`, line breaks, runs of spaces and words hyphenated
    across a line break ("exam-\nple" for "example") aside; None if it is not there."""
    if not evidence.strip():
        return None
    at = source.find(evidence)
    if at >= 0:
        return at, at + len(evidence)
    words = evidence.split()
    if sum(len(word) for word in words) > 2000:
        return None  # no field's evidence is this long
    hyphen = r"(?:-[ \t]*\n\s*)?"
    pattern = r"\s+".join(hyphen.join(re.escape(char) for char in word) for word in words)
    match = re.search(pattern, source)
    return (match.start(), match.end()) if match else None


def occurs_in(evidence: str, source: str) -> bool:
    """True if `evidence` is a passage of `source` (see `evidence_span`): what `grounded` means
    (of a scan's text, only for what the OCR read surely: see `extract.ground.field_result`)."""
    return evidence_span(evidence, source) is not None
