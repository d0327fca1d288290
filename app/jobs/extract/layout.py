"""The labels a document writes, and where each one's value is: found generically, from the
layout alone, before any field is considered.

In text: `Label: value`, `Label - value`, `- label: value`, `Label # value`, `Label (unit) value`,
several labels on one line ("Name: … Date: …"), and a heading alone on its line ("ALLERGIES:")
whose value is the lines below it, up to the next heading. On OCR pages the boxes are used as
well: a label box's value is the text right of it on its line, else the nearest box below it,
stopping at the next label; a row of labels has each one's value in its column below it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.jobs.extract.spec import fold, without_brackets

_BULLET = r"(?:[-*•][ \t]*)?"
# A label: up to six words starting with a letter, no sentence inside it.
_LABEL = r"[^\W\d_][^\n:;.!?]{0,58}?"
_UNIT = r"(?:\((?P<unit>[^()\n]{1,20})\)[ \t]*)?"
_SEPARATOR = r"(?::|#|=|[ \t]+[-–—][ \t]+|\t)"
_HEADING = re.compile(rf"(?m)^[ \t]*{_BULLET}(?P<label>{_LABEL})[ \t]*:[ \t]*$")
_CAPS_HEADING = re.compile(r"(?m)^[ \t]*(?P<label>[A-Z][A-Z0-9 &/,()'-]{2,48}[A-Z)])[ \t]*$")
_INLINE = re.compile(
    rf"(?m)^[ \t]*{_BULLET}(?P<label>{_LABEL})[ \t]*{_UNIT}{_SEPARATOR}[ \t]*(?P<value>\S[^\n]*)$"
)
_UNIT_ONLY = re.compile(
    r"(?m)^[ \t]*(?P<label>[^\W\d_][^\n:;.!?()]{0,40}?)[ \t]*\((?P<unit>[^()\n]{1,20})\)[ \t]+"
    r"(?P<value>\S[^\n]*)$"
)
# Another label further along the same line: "Name: Ann Lee   Date: 3/9/92".
_LATER_LABEL = re.compile(
    r"(?:^|(?<=\s))(?P<label>[A-Z][\w/.&'-]*(?: [\w/.&'-]+){0,3})[ \t]*:(?=\s)"
)
_MAX_LABEL_WORDS = 6


@dataclass(frozen=True)
class Block:
    """A label written in the document and the span of its value (empty when none was found)."""

    label: str
    label_start: int
    label_end: int
    value_start: int
    value_end: int
    below: bool = False  # the value is under the label (a heading), not beside it


def _short(label: str) -> bool:
    return 0 < len(label.split()) <= _MAX_LABEL_WORDS and not label.rstrip().endswith(",")


def text_blocks(text: str) -> list[Block]:
    """Every labelled value of a text, in document order."""
    blocks: list[Block] = []
    headings = sorted(
        [(m.start("label"), m.end("label"), m.end()) for m in _HEADING.finditer(text)]
        + [(m.start("label"), m.end("label"), m.end()) for m in _CAPS_HEADING.finditer(text)]
    )
    inline = list(_INLINE.finditer(text)) + list(_UNIT_ONLY.finditer(text))
    # A section ends where the next heading, or the next capitalised `LABEL: text`, starts.
    stops = sorted(
        [(start, end) for start, end, _ in headings]
        + [(m.start("label"), m.end("label")) for m in inline
           if m["label"].isupper() and len(m["label"]) > 1]
    )  # fmt: skip
    for start, end, line_end in headings:
        label = text[start:end]
        if not _short(label):
            continue
        # A sub-heading that qualifies the heading's own noun ("TOOLS:" then "SPARE TOOLS:")
        # goes on with its section; any other heading ends it.
        words = set(fold(label).split())
        following = [
            s for s, e in stops if s > line_end and not words < set(fold(text[s:e]).split())
        ]
        stop = following[0] if following else len(text)
        value_start, value_end = _trim(text, line_end, stop)
        blocks.append(Block(label, start, end, value_start, value_end, below=True))
    for match in inline:
        label = match["label"]
        if not _short(label):
            continue
        blocks += _line_blocks(text, match.start("label"), match.end("label"), match.start("value"),
                               match.end("value"))  # fmt: skip
    blocks.sort(key=lambda b: (b.label_start, -b.label_end))
    unique: dict[int, Block] = {}
    for block in blocks:
        unique.setdefault(block.label_start, block)
    return list(unique.values())


def _line_blocks(text: str, start: int, end: int, value_start: int, value_end: int) -> list[Block]:
    """`Label: value`, split where a later label on the same line starts."""
    later = [
        m for m in _LATER_LABEL.finditer(text, value_start, value_end)
        if m.start() >= value_start and _short(m["label"])
    ]  # fmt: skip
    if not later:
        return [Block(text[start:end], start, end, *_trim(text, value_start, value_end))]
    first = later[0]
    blocks = [Block(text[start:end], start, end, *_trim(text, value_start, first.start()))]
    after = re.compile(r"[ \t]*:[ \t]*").match(text, first.end("label"))
    next_value = after.end() if after else first.end()
    blocks += _line_blocks(text, first.start("label"), first.end("label"), next_value, value_end)
    return blocks


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in " \t\r\n":
        start += 1
    while end > start and text[end - 1] in " \t\r\n":
        end -= 1
    return start, end


# -- OCR pages ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """An OCR line: its text, its offset in the document text, its box (x0, y0, x1, y1)."""

    text: str
    start: int
    box: tuple[float, float, float, float]
    # The OCR's fragments of the line: where each starts in `text`, its left and right x.
    parts: tuple[tuple[int, float, float], ...] = ()
    unsure: bool = False  # the OCR read it below its review confidence (`needs_review`)

    @property
    def end(self) -> int:
        return self.start + len(self.text)


# "... HEAT NO.: 5521" further along an OCR line: the label is the words in capitals before the
# colon ("HEAT NO." rather than "Blue Ridge Mill HEAT NO.").
_COLON_LABEL = re.compile(r"(?P<words>(?:[^\s:]+ ){0,3}[^\s:]+)[ \t]*:(?=\s|$)")


def later_label(line: str, start: int, end: int) -> int:
    """Where a value that starts at `start` on an OCR line ends: at the next label written
    after it, words in capitals or two or three capitalised words before a colon; else at
    `end` (one capitalised word before a colon is as often part of the value: "Options: two")."""
    for match in _COLON_LABEL.finditer(line, start, end):
        words = match["words"].split(" ")
        kept = _label_words(words)
        label_start = match.end("words") - len(" ".join(words[-kept:]))
        if kept and label_start > start:
            return label_start
    return end


def leading_label(line: str) -> bool:
    """Whether an OCR line starts with a label of its own ("NAME OF LEAD INSPECTOR: ..."): it
    is another field's line, no value of a label beside or above it."""
    match = _COLON_LABEL.match(line.strip())
    return match is not None and _label_words(words := match["words"].split(" ")) == len(words)


def _label_words(words: list[str]) -> int:
    """How many of the last `words` before a colon are a label: the words in capitals, or two
    or three capitalised words ("... Mill Heat Number:"); none else."""
    kept = 0
    while kept < len(words) and _capital_word(words[-kept - 1]):
        kept += 1
    if not kept:
        while kept < min(3, len(words)) and words[-kept - 1][0].isupper():
            kept += 1
        kept = kept if kept >= 2 else 0
    return kept


def _capital_word(word: str) -> bool:
    return word[0].isalpha() and word.isupper()


def ocr_lines(text: str, pages: Sequence[Mapping[str, Any]] | None) -> list[list[Line]]:
    """The OCR lines of each page with boxes, located in `text` (lines the text no longer holds
    verbatim, after a user's correction, are left out)."""
    result: list[list[Line]] = []
    position = 0
    for page in pages or []:
        lines = []
        for line in page.get("lines") or []:
            box = line.get("box")
            found = _whole_line_at(text, line["text"], position) if line.get("text") else -1
            if found < 0:
                continue
            position = found + len(line["text"])  # a page's lines without boxes are passed too
            if not box or len(box) != 4:
                continue
            parts = tuple((start, float(b[0]), float(b[2])) for start, b in line.get("parts", ()))
            lines.append(
                Line(line["text"], found, tuple(float(v) for v in box), parts,
                     bool(line.get("needs_review")))
            )  # fmt: skip
        result.append(lines)
    return result


def unsure_spans(text: str, pages: Sequence[Mapping[str, Any]] | None) -> list[tuple[int, int]]:
    """The spans of `text` on lines the OCR read unsurely (those it flags for review)."""
    lines = [line for page in ocr_lines(text, pages) for line in page]
    return [(line.start, line.end) for line in lines if line.unsure]


def _whole_line_at(text: str, line: str, position: int) -> int:
    """Where `line` stands as a whole line of `text` from `position` on, or -1 (a line the user
    corrected away is not found inside another line that happens to hold its words)."""
    found = text.find(line, position)
    while found >= 0 and not (
        (found == 0 or text[found - 1] == "\n")
        and (found + len(line) == len(text) or text[found + len(line)] == "\n")
    ):
        found = text.find(line, found + 1)
    return found


def right_or_below(lines: list[Line], index: int, is_label) -> list[Line]:
    """The value boxes of the label line `lines[index]`: the nearest line to its right on the
    same row, else the nearest line below it that overlaps it horizontally, stopping at a line
    that is itself a label (`is_label(line)`)."""
    x0, y0, x1, y1 = lines[index].box
    height = max(1.0, y1 - y0)
    right, below = [], []
    for other_index, other in enumerate(lines):
        if other_index == index or not other.text.strip():
            continue
        a0, b0, a1, b1 = other.box
        if b1 - b0 > max(a1 - a0, 2 * height):
            continue  # written up the page (a filing number in the margin): no value beside it
        overlap_y = min(y1, b1) - max(y0, b0)
        if overlap_y >= 0.5 * min(height, b1 - b0) and a0 >= x1 - 0.5 * height:
            if a0 - x1 <= 20 * height:  # a value far along the same row
                right.append((a0 - x1, other))
        elif (
            (b0 + b1) / 2 >= (y0 + y1) / 2 + 0.5 * height  # the middle, as in a tilted scan
            and min(x1, a1) - max(x0, a0) > -0.5 * height
            and b0 - y1 <= 2.5 * height
        ):
            below.append((b0 - y1, other))
    label = lines[index].text
    # A value right under the label (a row of headings has its values so).
    under = any(gap <= height for gap, _ in below)
    for side in (right, below):  # a label next along the row: the value may still be below
        for _, line in sorted(side, key=lambda item: item[0])[:1]:
            if side is right and _heading_like(label, line.text, under):
                continue  # "ITEM   UNIT COST": a row of headings, the value below
            if not is_label(line) and not leading_label(line.text):
                return [line]
    return []


def _heading_like(label: str, other: str, under: bool) -> bool:
    """Whether `other`, right of the label line `label`, is another heading of a row of them:
    both in capitals, the label with no separator after it (an abbreviation's full stop and a
    closing bracket are none: "BIN NO.", "DEPTH (MM)") and no mark before it ("CC:", "- SITE
    TYPE" are labels of a value), and it is several words without a digit, or one word while
    a value lies right under the label."""
    words = other.split()
    return (
        label.isupper() and other.isupper() and (len(words) > 1 or under)
        and label.strip()[:1].isalpha() and without_brackets(label).rstrip(".")[-1:].isalpha()
        and not any(c.isdigit() for c in other)
    )  # fmt: skip


def above(lines: list[Line], index: int, is_label) -> list[Line]:
    """The value of a label printed under its fill-in line ("DATE" under a written date): the
    line right above the label line, close to it and over it, when that is no label itself."""
    over = _adjacent(lines, lines[index], above=True)
    return [over] if over is not None and not is_label(over) else []


def label_under(lines: list[Line], line: Line, is_label) -> bool:
    """Whether a label is printed right under `line`: then `line` is that label's value."""
    under = _adjacent(lines, line, above=False)
    return under is not None and is_label(under)


def _adjacent(lines: list[Line], line: Line, above: bool) -> Line | None:
    """The nearest line right above (or below) `line`: within half a line of it, and over
    (or under) half of the narrower of the two at least."""
    x0, y0, x1, y1 = line.box
    height = max(1.0, y1 - y0)
    near = []
    for other in lines:
        a0, b0, a1, b1 = other.box
        if other is line or not other.text.strip():
            continue
        shift = ((b0 + b1) - (y0 + y1)) / 2
        gap = y0 - b1 if above else b0 - y1
        if (-shift if above else shift) < 0.5 * height or gap > 0.5 * height:
            continue  # not above (below) it, or not close
        if min(x1, a1) - max(x0, a0) >= 0.5 * min(x1 - x0, a1 - a0):
            near.append((gap, other))
    return min(near, key=lambda item: item[0])[1] if near else None


_SENTENCE_END = re.compile(r"[.!?][ \t]*$")
# A line that starts with a label of its own: one to three words and a colon ("cc: A. Ray").
_LABEL_FIRST = re.compile(r"[ \t]*[^\W\d_][\w.&/'-]*(?: [\w.&/'-]+){0,2}[ \t]*:(?=\s)")
# A line that breaks off mid-phrase: after a comma, hyphen, slash, ampersand or a word in lower
# case ("... from the list of" / "standard analyses").
_WRAPPED = re.compile(r"(?:[,/&-]|[a-z])[ \t]*$")
# A line of a wrapped paragraph reaches at least this share of the next one's width.
_FULL = 0.85


def continued(
    text: str, lines: list[Line], index: int, value_start: int, value_end: int, is_label
) -> int:
    """Where a value that ends its line `lines[index]` ends once the lines that continue it are
    taken: each next line in reading order that starts under the value's first character (within
    a line's height), follows closely below, has no box left of it on its row (a row with its own
    label is another field's), and is no label itself."""
    line = lines[index]
    x0, y0, x1, y1 = line.box
    height = max(1.0, y1 - y0)
    share = (value_start - line.start) / max(1, len(line.text))
    value_x = x0 + (x1 - x0) * share  # where the value starts, read from the characters' share
    if value_end != line.start + len(line.text.rstrip()):
        return value_end  # the value stops before its line's end: a later label follows it
    bottom, right, words = y1, x1, len(text[value_start:value_end].split())
    for following in lines[index + 1 :]:
        a0, b0, a1, b1 = following.box
        between = text[value_end : following.start]
        if between.strip() or is_label(following) or not following.text.strip():
            break
        if _LABEL_FIRST.match(following.text):
            break  # "cc: A. Ray": a label of its own, whatever the template calls it
        # A sentence going on in lower case may wrap less exactly under its start (the start is
        # read from the characters' share of the line, which print of two sizes skews).
        starts_lower = following.text.lstrip()[:1].islower()
        mid_sentence = starts_lower and not _SENTENCE_END.search(text[:value_end])
        if abs(a0 - value_x) > (3 if mid_sentence else 1) * height:
            break
        # The OCR's deskewed layout put it in the same paragraph; else the boxes must show it
        # right below (boxes of a tilted scan overlap rows, so they judge only a straight one).
        if between != "\n" and not -0.6 * height <= b0 - bottom <= 0.5 * height:
            break
        if between != "\n" and b0 < y0 + 0.5 * height:
            break  # not below the line it would continue
        goes_on = starts_lower and not text[value_end - 1].isdigit()
        # A line of a paragraph wrapped at its margin: in the OCR's paragraph, many words,
        # nearly as far right as the next line reaches, no sentence ended.
        full = (
            between == "\n" and words >= 5 and right - a0 >= _FULL * (a1 - a0)
            and not _SENTENCE_END.search(text[:value_end])
        )  # fmt: skip
        if not _WRAPPED.search(text[:value_end]) and not goes_on and not full:
            # A line ending a phrase, followed by another item ("Sam Reyes" / "Al Cho"), or a
            # date or number, followed by a note of its own ("4/2/21" / "w/o 5/2/21").
            break
        if abs((b1 - b0) - height) > 0.5 * height:
            break  # another size of writing
        row = [o for o in lines if o is not following and min(b1, o.box[3]) - max(b0, o.box[1])
               > 0.5 * (b1 - b0) and o.box[2] <= a0 + 0.5 * height]  # fmt: skip
        if row:
            break
        value_end, bottom = following.start + len(following.text.rstrip()), b1
        right, words = a1, len(following.text.split())
    return value_end


def column_x(line: Line, offset: float) -> float:
    """Where character `offset` of an OCR line sits across its box: within the OCR fragment
    that holds it (a row of table cells read as one line has wide gaps the text shows as one
    space), by the characters' share of it (print is near enough to even widths)."""
    x0, _, x1, _ = line.box
    start, end = 0, len(line.text)
    for number, (part_start, part_x0, part_x1) in enumerate(line.parts):
        part_end = line.parts[number + 1][0] - 1 if number + 1 < len(line.parts) else end
        if part_start <= offset <= part_end:
            start, end, x0, x1 = part_start, part_end, part_x0, part_x1
            break
    return x0 + (x1 - x0) * (offset - start) / max(1, end - start)


def below_in_column(
    lines: list[Line], index: int, left: float, right: float, is_label
) -> tuple[int, int] | None:
    """The value under one label of a row of labels (`left`..`right` its column on the page):
    on the nearest line below that has words in that column, the run of words whose middles
    lie in it, as a span of the document text; None when that run is a label itself. OCR runs
    a row of cells into one line ("12 4 Blue"), so the words, not the line, are matched."""
    _, y0, _, y1 = lines[index].box
    height = max(1.0, y1 - y0)
    nearest = None
    for other in lines:
        a0, b0, a1, b1 = other.box
        # Below: its middle lower by half a line at least (the boxes of a tilted scan overlap).
        if other is lines[index] or (b0 + b1) / 2 < (y0 + y1) / 2 + 0.5 * height:
            continue
        if b0 - y1 > 2.5 * height:
            continue
        words = [
            m for m in re.finditer(r"\S+", other.text)
            if left <= column_x(other, (m.start() + m.end()) / 2) < right
        ]  # fmt: skip
        if words and (nearest is None or b0 < nearest[0]):
            nearest = (b0, other, words)
    if nearest is None:
        return None
    _, other, words = nearest
    # The first run of neighbouring words in the column (a gap of words outside it ends it).
    run = [words[0]]
    for word in words[1:]:
        if other.text[run[-1].end() : word.start()].strip():
            break
        run.append(word)
    # Words right after a colon, in its OCR fragment or the next ("Brand: Oak 7"), are that
    # label's value.
    colon = other.text.rfind(":", 0, run[0].start())
    if colon >= 0 and sum(colon < p[0] <= run[0].start() for p in other.parts) <= 1:
        return None
    start, end = other.start + run[0].start(), other.start + run[-1].end()
    value = Line(other.text[run[0].start() : run[-1].end()], start, other.box)
    return None if is_label(value) else (start, end)
