"""Candidates from the words of a field's labels in the text: on form lines and in prose.

Every label of every field is looked up, tolerating OCR noise (stray spaces, 0/O, 1/l). A label
followed by a separator (`Label: value`, `Label - value`, a table cell, a tab) gives that field's
value, parsed by type; a tick box before or after a label gives a yes/no. In prose, a value of the
field's type close after a label word ("BP 142/91", "pulse of 78 bpm") counts as well. Sentences
that read like instructions ("ignore the template…") or carry markup are never used: document text
is data.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from functools import cache

from app.jobs.extract.spec import (
    Candidate,
    FieldSpec,
    Mention,
    cut_to_length,
    is_valid,
    line_bounds,
    strip_span,
)
from app.jobs.extract.values import TITLED, TITLES, typed_values
from app.jobs.fieldparse import (
    Span,
    find_ticks,
    normalize_unit,
    overlap_test,
    parse_boolean,
    repair_digits_near_digits,
)
from app.jobs.sections import split_sentences

_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|override|forget)\b.{0,40}\b(?:instruction|template|previous|above|"
    r"prompt|rules?|form|fields?)|\b(?:set|change|mark|fill|report)\b.{0,40}\bto\b.{0,30}$|"
    r"\b(?:system|assistant)\s*:|\byou (?:are|must|should)\b|\bAI\b|\bmodel\b.{0,20}\bmust\b"
    r"|<\s*/?\s*[a-z]+[^>]*>",
    re.IGNORECASE,
)
SEPARATOR = re.compile(r"[ \t]*(?:\([^)\n]{0,24}\)[ \t]*)?(?:[:=|?]|-{1,2}(?=\s)|[–—]|\t)[ \t]*")
NEGATION = re.compile(
    r"\b(?:no|not|none|nil|without|absent|missing|denies|denied|negative|never|neither|nor)\b"
    r"|n't\b",
    re.IGNORECASE,
)
_FOREIGN = re.compile(
    r"\b(?:DOB|D\.O\.B\.?|date of birth|born|NHS (?:no|number)|MRN|tel|phone|last visit|"
    r"previous(?: visit)?)\b[ \t:.-]*",
    re.IGNORECASE,
)
_CONFUSABLE = {
    "o": "[o0]", "0": "[0o]", "l": "[l1i|]", "1": "[1li|]", "i": "[i1l|]", "s": "[s5]",
    "5": "[5s]", "m": "(?:m|rn)", "e": "[ec]", "d": "[do]",
}  # fmt: skip
_STRONG_GAP = 32  # characters between a label word and its value in prose
_STRONG_GAP_BEFORE = 16  # "a 4 mm wide crack", "in poor condition"

# -- finding labels -------------------------------------------------------------------------------


@cache
def label_pattern(label: str) -> re.Pattern[str]:
    """A label as written, or as OCR garbles it (a stray space, O for 0, l for 1, rn for m).

    Short labels ("BP", "HR", "S") are matched as written, case and all; one-letter labels only
    as the start of a line ("A: ...", the SOAP headings)."""
    letters = [c for c in label if c.isalnum()]
    if len(letters) <= 3:
        body = r"[ _-]?".join(re.escape(c) if c != " " else r"\s*" for c in label if c != " ")
        if len(letters) == 1:  # "A: ..." at the start of a line, or "T 37.2"
            return re.compile(
                rf"(?m)^[ \t]*(?:[-*•][ \t]*)?\b{body}(?=[ \t]*[:.)-])|(?<![\w.]){body}(?= \d)"
            )
        # "Wt", "wt", "WT" (and "Yes" for "yes"); not "wT"
        spellings = {body, body.lower(), body.upper(), body[:1].upper() + body[1:].lower()}
        # A tick may run into it: "XOK" is "OK" ticked.
        start = r"(?:(?<![A-Za-z0-9])|(?<=[\s_][xX]))"
        return re.compile(rf"{start}(?:{'|'.join(spellings)})(?![A-Za-z0-9])")
    parts = []
    for char in label.lower():
        if char == " ":
            parts.append(r"\.?[\s_-]*")  # "Init. Date" for "Init Date"
        elif char.isalnum():
            parts.append(_CONFUSABLE.get(char, re.escape(char)) + " ?")
        else:
            parts.append(re.escape(char) + "?")
    body = "".join(parts).rstrip(" ?")
    plural = "s?" if label[-1].isalpha() else ""  # "damp readings" for "Damp reading"
    # A label ending in a letter may run into a number: OCR reads "DATE 4/9/21" "DATE4/9/21";
    # and one starting with a letter may follow a number run into it ("555 4471Site no:").
    before = "(?<![A-Za-z])" if label[0].isalpha() else "(?<![A-Za-z0-9])"
    after = "(?![A-Za-z])" if label[-1].isalpha() else "(?![A-Za-z0-9])"
    return re.compile(rf"{before}{body}{plural}{after}", re.IGNORECASE)


def _find_mentions(text: str, specs: list[FieldSpec]) -> list[Mention]:
    """Every label occurrence; one inside a longer one ("inspection date" within "re-inspection
    date", "saturation" within "O2 saturation") is only the longer label."""
    raw: list[tuple[int, int, int]] = []
    for index, spec in enumerate(specs):
        for label in spec.labels:
            for match in label_pattern(label).finditer(text):
                if match.end() > match.start():
                    raw.append((match.start(), match.end(), index))
    raw.sort()
    starts = [start for start, _, _ in raw]
    longest = max((end - start for start, end, _ in raw), default=0)
    mentions = []
    for start, end, index in raw:
        # Only a label starting at most `longest` before this one's end can contain it.
        nearby = raw[bisect.bisect_left(starts, end - longest) : bisect.bisect_right(starts, start)]
        longer = any(end <= e and (e - s) > (end - start) for s, e, _ in nearby)
        if longer:
            continue
        separator = SEPARATOR.match(text, end)
        labelled = separator is not None and separator.end() > end
        mentions.append(Mention(index, start, end, labelled))
    unique = {(m.field, m.start): m for m in sorted(mentions, key=lambda m: m.end - m.start)}
    return sorted(unique.values(), key=lambda m: (m.start, m.field))


def _label_value(spec: FieldSpec, text: str, mention: Mention, stop: int) -> Candidate | None:
    """The value after `Label:` up to `stop` (the line's end or the next label)."""
    start = SEPARATOR.match(text, mention.end).end()  # type: ignore[union-attr]
    end = stop
    if spec.kind == "boolean":
        return _tick_near(text, mention) or _boolean_after_label(text, mention, start, end)
    if spec.kind == "enum" and find_ticks(text[start:end]):
        return _ticked_option(spec, text, start, end, mention)
    if spec.kind in ("text", "address"):
        if not text[start:end].strip():  # "Findings:" alone on its line: the paragraph below
            start, end = _paragraph_after(text, end)
        start, end = strip_span(text, start, end)
        return text_candidate(spec, text, start, end, mention, strong=True) if start < end else None
    values = typed_values(spec, text, start, end)
    if spec.kind == "name" and not values:  # a name written in lower case, or a role
        start, end = strip_span(text, start, end)
        end = cut_to_length(text, start, end, spec.schema.get("maxLength", 60))
        values = [Span(start, end, text[start:end])] if start < end else []
    if not values:
        return None
    return Candidate(values[0].value, values[0].start, values[0].end, True, mention)


def _tick_near(text: str, mention: Mention) -> Candidate | None:
    """A tick box that belongs to a label: opening its line ("[x] Smoke alarm fitted") or right
    after it ("Re-inspection needed? ☐")."""
    line_start, line_end = line_bounds(text, mention.start)
    before = text[line_start : mention.start]
    ticks = find_ticks(before)
    if ticks and not before[ticks[-1].end :].strip():
        tick = ticks[-1]
        return Candidate(tick.value, line_start + tick.start, line_start + tick.end, True, mention)
    after = text[mention.end : line_end]
    ticks = find_ticks(after)
    if ticks and len(after[: ticks[0].start].strip(" ?:-")) == 0:
        tick = ticks[0]
        return Candidate(
            tick.value, mention.end + tick.start, mention.end + tick.end, True, mention
        )
    return None


def _boolean_after_label(text: str, mention: Mention, start: int, end: int) -> Candidate | None:
    ticks = find_ticks(text[start:end])
    if ticks:  # "Smoke alarm: [x] Yes [ ] No", or a lone "[x]"
        for tick in ticks:
            if tick.value:
                after = parse_boolean(text[start + tick.end : end])
                value = after.value if after else True
                return Candidate(value, start + tick.start, start + tick.end, True, mention)
        return Candidate(False, start + ticks[0].start, start + ticks[-1].end, True, mention)
    answer = parse_boolean(text[start:end])
    if answer is None:
        return None
    return Candidate(answer.value, start + answer.start, start + answer.end, True, mention)


def _ticked_option(
    spec: FieldSpec, text: str, start: int, end: int, mention: Mention
) -> Candidate | None:
    """ "Condition: [ ] Good [x] Fair [ ] Poor" — the option written right after a ticked box."""
    options = typed_values(spec, text, start, end)
    for tick in find_ticks(text[start:end]):
        if not tick.value:
            continue
        after = [o for o in options if 0 <= o.start - (start + tick.end) <= 2]
        if after:
            return Candidate(after[0].value, start + tick.start, after[0].end, True, mention)
    return None


def text_candidate(
    spec: FieldSpec, text: str, start: int, end: int, mention: Mention | None, strong: bool
) -> Candidate:
    """A passage as a free-text value: cut to maxLength at a word, numbers' OCR misreads fixed."""
    end = cut_to_length(text, start, end, spec.schema.get("maxLength"))
    value = repair_digits_near_digits(text[start:end])
    return Candidate(value, start, end, strong, mention, rank=5 if mention is None else 2)


def _paragraph_after(text: str, line_end: int) -> tuple[int, int]:
    start = line_end + 1
    blank = re.compile(r"\n[ \t]*\n|\n[ \t]*(?:[A-Z][\w /()'-]{0,40}:|[A-Z]{2,}\b)", re.MULTILINE)
    match = blank.search(text, start)
    return start, match.start() if match else len(text)


# -- collecting candidates ------------------------------------------------------------------------


def blocked_spans(text: str) -> list[tuple[int, int]]:
    """Sentences that read like instructions to a model, or hold markup: never evidence."""
    return [
        (start, end) for start, end in split_sentences(text) if _INSTRUCTION.search(text[start:end])
    ]


def collect(text: str, specs: list[FieldSpec]) -> list[list[Candidate]]:
    """Candidates for every field from its labels: on forms and in prose."""
    found: list[list[Candidate]] = [[] for _ in specs]
    blocked = overlap_test(blocked_spans(text))
    mentions = [m for m in _find_mentions(text, specs) if not blocked(m.start, m.start + 1)]
    sentences = split_sentences(text)
    for mention in mentions:
        spec = specs[mention.field]
        if mention.labelled:
            line_start, line_end = line_bounds(text, mention.start)
            later = [
                m.start
                for m in mentions
                if m.labelled and mention.end <= m.start < line_end and m.field != mention.field
            ]
            value_start = SEPARATOR.match(text, mention.end).end()  # type: ignore[union-attr]
            stops = [text.find(mark, value_start, line_end) for mark in ("|", ";")]
            stop = min([line_end, *later, *(s for s in stops if s >= 0)])
            candidate = _label_value(spec, text, mention, stop)
            if candidate is not None:
                candidate.rank = 0 if text[line_start : mention.start].strip(" \t-*•|") else -1
                found[mention.field].append(candidate)
            continue
        sentence = next(((s, e) for s, e in sentences if s <= mention.start < e), None)
        if sentence is None:
            continue
        found[mention.field] += _prose_candidates(spec, text, mention, sentence, mentions, specs)
    return found


def _prose_candidates(
    spec: FieldSpec,
    text: str,
    mention: Mention,
    sentence: tuple[int, int],
    mentions: list[Mention],
    specs: list[FieldSpec],
) -> list[Candidate]:
    """Values of the field's type in the sentence around a label word, ranked by distance. A value
    separated from the label word by another field's label of the same kind is that field's."""
    start, end = sentence
    # A tick box on the label's line: "[x] Smoke alarm fitted" or "Smoke alarm fitted ☑".
    if spec.kind == "boolean":
        ticked = _tick_near(text, mention)
        if ticked is not None:
            return [ticked]
        clause_start, clause_end = _clause(text, mention, start, end)
        negated = NEGATION.search(text[clause_start:clause_end]) is not None
        return [Candidate(not negated, clause_start, clause_end, True, mention)]
    if spec.kind == "text":
        strong = mention.start - start <= 2  # the sentence opens with the label word
        return [text_candidate(spec, text, start, end, mention, strong)]
    rivals = [
        m for m in mentions
        if m.field != mention.field and specs[m.field].kind == spec.kind and start <= m.start < end
    ]  # fmt: skip
    candidates = []
    for value in typed_values(spec, text, start, end):
        if value.start < mention.end and value.end > mention.start:
            value = _past_label(spec, text, value, mention)
            if value is None:
                continue  # the label itself ("SpO2") is not its value
        if spec.kind == "name" and not (TITLED.match(value.value) or _untitled_name(text, value)):
            continue  # capitalised words opening a sentence ("Review Metformin with the GP")
        after = value.start >= mention.start
        low, high = (mention.end, value.start) if after else (value.end, mention.start)
        # A value right where another field's label starts is that field's ("Dr Reyes").
        if any(low <= m.start <= high for m in rivals) or ":" in text[low:high]:
            continue
        gap = max(0, high - low)
        strong = gap <= (_STRONG_GAP if after else _STRONG_GAP_BEFORE)
        rank = 1 + gap / 100 + (0 if after else 0.5)
        # Right after its label word, or joined to it by a hyphen ("51-year-old").
        adjacent = len(text[low:high].split()) <= 1 if after else text[low:high] == "-"
        unit = normalize_unit(value.unit)
        candidates.append(
            Candidate(value.value, value.start, value.end, strong, mention, rank, adjacent, unit)
        )
    return candidates


def _past_label(spec: FieldSpec, text: str, value: Span, mention: Mention) -> Span | None:
    """A name that runs into its label: "Inspector Elena Reyes" gives "Elena Reyes"; a title used
    as a label stays part of the name ("Dr Reyes", "Mrs Okafor")."""
    if spec.kind != "name" or value.end <= mention.end:
        return None
    if text[mention.start : mention.end].lower().rstrip(".") in TITLES:
        return value
    start = mention.end
    while start < value.end and text[start] in " \t":
        start += 1
    rest = text[start : value.end]
    return Span(start, value.end, rest) if rest[:1].isupper() else None


def _clause(text: str, mention: Mention, start: int, end: int) -> tuple[int, int]:
    """The clause around a label word: a negation in another clause is not about it."""
    cuts = [m.end() + start for m in re.finditer(r"[,;]| but | and ", text[start:end])]
    left = max([c for c in cuts if c <= mention.start], default=start)
    right = min([c for c in cuts if c > mention.end], default=end)
    return left, right


def unlabelled_candidates(
    spec: FieldSpec,
    text: str,
    claimed: list[tuple[int, int]],
    blocked: Callable[[int, int], bool],
) -> list[Candidate]:
    """Values of the field's type that no label names, for the model to choose from: typed
    values not taken by another field (nor by a label outside the template, such as "DOB"), or,
    for free text, the document's sentences. Never grounded: nothing in the text names the field."""
    if spec.kind in ("boolean", "pattern", "systolic", "diastolic"):
        return []  # a yes/no or a code needs its label to mean anything
    if spec.kind == "enum":  # "a 48-year-old man": an option's own words, not negated
        return [
            Candidate(v.value, v.start, v.end, False, None, rank=5 + v.start / 1e6)
            for v in typed_values(spec, text, 0, len(text))
            if not blocked(v.start, v.start + 1)
        ]
    if spec.kind == "text":
        sentences = [(s, e) for s, e in split_sentences(text) if not blocked(s, s + 1)]
        return [text_candidate(spec, text, s, e, None, strong=False) for s, e in sentences]
    foreign = overlap_test((m.end(), m.end() + 24) for m in _FOREIGN.finditer(text))
    values = [
        v for v in typed_values(spec, text, 0, len(text))
        if not blocked(v.start, v.start + 1) and not foreign(v.start, v.start + 1)
        and not any(s < v.end and v.start < e for s, e in claimed)
        and (spec.kind != "number" or (spec.units and v.unit is not None))
        and (spec.kind != "name" or TITLED.match(v.value) or _untitled_name(text, v))
        and is_valid(spec, v.value)
    ]  # fmt: skip
    return [Candidate(v.value, v.start, v.end, False, None, rank=5 + v.start / 1e6) for v in values]


def _untitled_name(text: str, value: Span) -> bool:
    """Whether capitalised words with no title may be a name that is not a label's value: two
    or more of them, not at a sentence's start, where any word is capitalised ("Review
    Metformin dose")."""
    before = text[: value.start].rstrip(" \t-*•")  # a list item starts a sentence too
    return len(value.value.split()) >= 2 and bool(before) and before[-1] not in "\n.!?:;#"
