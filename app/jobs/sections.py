"""Splitting a document into sections by its structure, and sections into sentences.

Boundaries, strongest first: page breaks (form feed) always split. Then headings — Markdown
`#` lines, short ALL-CAPS lines, short `Title:` lines with nothing after the colon, ALL-CAPS
labels with text after them ("VITAL SIGNS: Blood pressure ...") — cited regulation or code
sections on a line of their own ("3.125(a)", "2.40(b)(2) Repeat"), which take the short line
under them into their title, and dated entries (a line that starts with a date, or "Visit 3 –
12/03/2026"). Numbered items ("1. ...") split only a document that has neither, so a numbered
plan inside a visit stays in its visit. A heading repeated word for word (a clinic letterhead
on every visit) is boilerplate, not a boundary, unless the document has no other headings or
it names a kind of section ("IMPRESSION:" after each of two studies).

What kind of section a heading names (diagnoses, medications, a cited regulation ...) is read
from the lexicon assets/lexicon/sections-<language>.json (`section_kind`). Lines that a PDF or
a transcription wrapped mid-sentence are joined first (`join_wrapped_lines`).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass

from app.jobs.fieldparse import find_dates
from app.paths import assets_dir

_MARKDOWN = re.compile(r"^\s{0,3}#{1,6}\s+\S")
_TITLE_LINE = re.compile(r"^\s*[A-Z][\w /&(),'-]{0,68}:\s*$")
_NUMBERED = re.compile(r"^\s*\d{1,2}[.)]\s+\S")
# "OBSERVATIONS: Pulse 71, settled." — an ALL-CAPS label opening a line, text after it.
_INLINE_HEADING = re.compile(r"^\s*([A-Z][A-Z0-9 /&(),'-]{1,58}[A-Z)]):[ \t]+\S")
# What may come before the date of a dated entry: "Visit 3 —", "Date:", "On", "Monday".
_ENTRY_PREFIX = re.compile(
    r"(?:(?:home |follow-up |clinic |site )?(?:visit|entry|review|attendance|contact|inspection|"
    r"re-inspection|note|day|session|consultation|call|date|dated|seen)\b[^.]{0,25}|on|"
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day,?)[\s:–—-]*",
    re.IGNORECASE,
)
_ABBREVIATION = re.compile(
    r"(?:\b(?:Dr|Mr|Mrs|Ms|Mx|Prof|St|No|approx|vs|e\.g|i\.e|etc|Ref|Fig)|\b[A-Z])\.$",
    re.IGNORECASE,
)
# Longer runs of text are split into pieces of this size, so that no one "sentence" costs more
# than a paragraph to score or quote.
MAX_SENTENCE_CHARS = 500
_SENTENCE_END = re.compile(r"[.!?]+[\"')\]]*(?=\s+[\"'(\[]?[A-Z0-9•-])|\n")


@dataclass(frozen=True)
class Section:
    """A part of the source: `text` is `source[start:end]` and includes its heading line.

    `headed` is False when the section has no heading and `title` is its own first words."""

    id: str
    title: str
    text: str
    start: int
    end: int
    headed: bool = True


@functools.cache
def lexicon(language: str = "en") -> dict:
    """The section lexicon: kinds and their heading cues, citation patterns, fact words."""
    path = assets_dir() / "lexicon" / f"sections-{language}.json"
    return json.loads(path.read_text(encoding="utf-8"))


@functools.cache
def _citation_line() -> re.Pattern[str]:
    citation = lexicon()["citation"]
    qualifiers = "|".join(re.escape(word) for word in citation["qualifiers"])
    return re.compile(rf"^\s*({citation['code']})((?:[\s,;]+(?:{qualifiers}))*)\s*$", re.IGNORECASE)


def any_of(words: list[str]) -> str:
    """A regular-expression group matching any of `words`, the longest tried first."""
    return "(?:" + "|".join(map(re.escape, sorted(words, key=len, reverse=True))) + ")"


@functools.cache
def deadline_cues() -> re.Pattern[str]:
    """Words that make a date a deadline ("correct by", "re-inspection due")."""
    return re.compile(rf"\b{any_of(lexicon()['citation']['deadline_cues'])}\b", re.IGNORECASE)


def citation_code(line: str) -> str | None:
    """The regulation or code section a line consists of ("3.125(a) Repeat" -> "3.125(a)")."""
    match = _citation_line().match(line)
    return match.group(1) if match else None


@functools.cache
def _kind_cues() -> list[tuple[str, re.Pattern[str]]]:
    return [
        (entry["kind"], re.compile(r"\b(?:" + "|".join(map(re.escape, entry["cues"])) + ")"))
        for entry in lexicon()["kinds"]
    ]


def section_kind(section: Section) -> str:
    """ "citation" (one cited regulation or code section), a kind from the lexicon that the
    heading names ("diagnoses", "medications", "procedures", "plan", "vitals_labs",
    "allergies", "history", "exam"), or "other"."""
    if not section.headed:
        return "other"
    if citation_code(section.text.split("\n", 1)[0]):
        return "citation"
    return _title_kind(section.title)


def _title_kind(title: str) -> str:
    words = " ".join(re.sub(r"[^\w/ -]", " ", title.lower()).split()) + " "
    for kind, cues in _kind_cues():
        if cues.search(words):
            return kind
    return "other"


@dataclass(frozen=True)
class _Line:
    start: int
    end: int
    text: str


def _lines(text: str) -> list[_Line]:
    lines, start = [], 0
    for raw in text.splitlines(keepends=True):
        lines.append(_Line(start, start + len(raw.rstrip("\r\n")), raw.rstrip("\r\n")))
        start += len(raw)
    return lines


def _inline_heading(line: str) -> str | None:
    """The label of a line that opens with an ALL-CAPS label and goes on after its colon."""
    match = _INLINE_HEADING.match(line)
    if not match or len(match.group(1).split()) > 6:
        return None
    return match.group(1) if sum(c.isalpha() for c in match.group(1)) >= 2 else None


def join_wrapped_lines(text: str) -> str:
    """`text` with the line breaks inside wrapped sentences turned into spaces (same length,
    so offsets still hold). A break is a wrap when the line before runs to the document's usual
    full width (a PDF's or a form's hard wrap) or stops mid-sentence before a lowercase word,
    and the line after is not a heading, list item, cited section or dated entry."""
    lines = _lines(text)
    lengths = sorted(len(line.text.rstrip()) for line in lines if line.text.strip())
    # The wrap width: the length most long lines reach (their 90th percentile), if several do.
    full = lengths[int(len(lengths) * 0.9)] if len(lengths) >= 5 else 0
    wrapped = list(text)
    for line, following in zip(lines, lines[1:], strict=False):
        body, after = line.text.rstrip(), following.text.strip()
        if not body or not after or _starts_block(following.text):
            continue
        ended = body.endswith((".", ":", ";", "!", "?"))
        at_full_width = full >= 60 and len(body) >= 0.8 * full
        if (at_full_width and not (ended and not after[0].islower())) or (
            not ended and after[0].islower()
        ):
            for index in range(line.end, following.start):
                if wrapped[index] in "\r\n":
                    wrapped[index] = " "
    return "".join(wrapped)


def _starts_block(line: str) -> bool:
    stripped = line.strip()
    return bool(
        _is_heading(line)
        or _inline_heading(line)
        or _NUMBERED.match(line)
        or stripped.startswith(("-", "*", "•", "#"))
        or citation_code(line)
        or _is_dated_entry(line)
    )


def _is_heading(line: str) -> bool:
    stripped = line.strip()
    if not stripped or len(stripped) > 70:
        return False
    if _MARKDOWN.match(line) or _TITLE_LINE.match(line):
        return True
    letters = [c for c in stripped if c.isalpha()]
    return (
        len(letters) >= 3
        and all(c.isupper() for c in letters)
        and len(stripped.split()) <= 8
        and not stripped.endswith((".", ","))
    )


def _is_dated_entry(line: str) -> bool:
    """A line that opens with a date, or with a few words announcing one ("Visit 3 — 12/03/2026",
    "Date: 12/03/2026", "On 12 March 2026 the nurse ...")."""
    stripped = line.strip().lstrip("#*-• ").strip()
    dates = find_dates(stripped[:60])
    if not dates:
        return False
    prefix = stripped[: dates[0].start]
    if deadline_cues().search(prefix):  # "Re-inspection due: <date>" is a deadline, no entry
        return False
    return not prefix or _ENTRY_PREFIX.fullmatch(prefix) is not None


def _clean_title(line: str) -> str:
    return line.strip().lstrip("#").strip().rstrip(":").strip()


def _normalized(line: str) -> str:
    return " ".join(re.sub(r"[^\w ]", " ", line.lower()).split())


def split_sections(text: str) -> list[Section]:
    """The document's sections in order, numbered S1, S2, ... (none for a blank text)."""
    lines = _lines(text)
    headings = [
        i for i, line in enumerate(lines) if _is_heading(line.text) or citation_code(line.text)
    ]
    counts: dict[str, int] = {}
    for i in headings:
        counts[_normalized(lines[i].text)] = counts.get(_normalized(lines[i].text), 0) + 1
    # A heading that names a kind of section ("IMPRESSION:") is one however often it recurs.
    unique = [
        i
        for i in headings
        if counts[_normalized(lines[i].text)] == 1 or _title_kind(lines[i].text) != "other"
    ]
    dated = [i for i, line in enumerate(lines) if _is_dated_entry(line.text)]
    numbered = [i for i, line in enumerate(lines) if _NUMBERED.match(line.text)]
    labelled = [i for i, line in enumerate(lines) if _inline_heading(line.text)]
    starts = sorted(set(unique + dated + labelled)) or (
        numbered if len(numbered) >= 2 else headings
    )
    # The line under a cited section is that section's name, never a boundary of its own.
    starts = [i for i in starts if not (i and citation_code(lines[i - 1].text))]

    # (offset where a section starts, its title or None to take its first line)
    cuts: list[tuple[int, str | None]] = [(0, None)]
    cuts += [(lines[i].start, _title(lines, i)) for i in starts]
    page = 1
    for match in re.finditer("\f", text):
        page += 1
        cuts.append((match.end(), f"Page {page}"))
    cuts.sort(key=lambda cut: cut[0])

    pieces: list[tuple[int, int, str | None]] = []
    for (start, title), (end, _) in zip(cuts, cuts[1:] + [(len(text), None)], strict=True):
        start, end = _trim(text, start, end)
        if start < end:
            pieces.append((start, end, title))
    return _merge_bare_headings(text, pieces)


def _title(lines: list[_Line], index: int) -> str:
    """A heading line's title; a cited section's takes the short line under it too (the
    regulation's name: "3.125(a) Facilities, general: structural strength")."""
    line = lines[index].text
    label = _inline_heading(line)
    if label:
        return label
    dates = find_dates(line[:60])
    if len(line.strip()) > 60 and dates and _is_dated_entry(line):
        return _clean_title(line[: dates[0].end])  # an entry that goes on after its date
    if citation_code(line) and index + 1 < len(lines):
        name = lines[index + 1].text.strip()
        if name and len(name.split()) <= 12 and not citation_code(name):
            return f"{_clean_title(line)} {name.rstrip('.')}"
    return _clean_title(line)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink [start, end) past surrounding whitespace and form feeds."""
    while start < end and text[start] in " \t\r\n\f":
        start += 1
    while end > start and text[end - 1] in " \t\r\n\f":
        end -= 1
    return start, end


def _merge_bare_headings(text: str, pieces: list[tuple[int, int, str | None]]) -> list[Section]:
    """A heading with nothing under it ("VISIT 3" right above "12/03/2026 Home visit") joins the
    section after it, and the two titles are combined. A letterhead before the first boundary
    joins it too, without lending its title."""
    merged: list[tuple[int, int, str, bool]] = []
    carry: tuple[int, str | None] | None = None
    for index, (start, end, title) in enumerate(pieces):
        own_title = title
        headed = title is not None
        title = title or _clean_title(text[start:end].split("\n", 1)[0])[:60]
        if carry is not None:
            start, title = carry[0], f"{carry[1]} — {title}" if carry[1] else title
            headed = headed or carry[1] is not None
            carry = None
        bare = "\n" not in text[start:end] and _is_heading(text[start:end])
        if bare and index + 1 < len(pieces):
            carry = (start, own_title)
            continue
        merged.append((start, end, title, headed))
    return [
        Section(f"S{number}", title, text[start:end], start, end, headed)
        for number, (start, end, title, headed) in enumerate(merged, 1)
    ]


def split_sentences(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Sentence (or line) spans of `text` as offsets plus `offset`; blank ones are left out.

    A line break always ends a sentence: forms and notes put one statement per line.
    """
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        if match.group() != "\n" and _ABBREVIATION.search(text[start : match.start() + 1]):
            continue
        spans.append((start, match.end()))
        start = match.end()
    spans.append((start, len(text)))
    result = []
    for begin, end in spans:
        begin, end = _trim(text, begin, end)
        while end - begin > MAX_SENTENCE_CHARS:  # a run-on "sentence" (OCR junk, one huge line)
            cut = text.rfind(" ", begin + 1, begin + MAX_SENTENCE_CHARS)
            cut = cut if cut > begin else begin + MAX_SENTENCE_CHARS
            result.append((begin + offset, cut + offset))
            begin, _ = _trim(text, cut, end)
        if begin < end:
            result.append((begin + offset, end + offset))
    return result
