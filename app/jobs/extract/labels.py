"""The document's labels matched to the template's fields by similarity, and each field's value
read from its label's block.

A document label matches a field when it is one of the field's label candidates (see
`spec.label_candidates`) up to case, plurals and OCR noise, or contains one as a run of words
("PROCEDURE PERFORMED" for "procedure"); the closest match wins. Fields whose labels are the
same (two columns both called "Score") take that label's blocks in document order.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Any

from app.jobs.extract.layout import (
    Block,
    Line,
    above,
    below_in_column,
    column_x,
    continued,
    label_under,
    later_label,
    ocr_lines,
    right_or_below,
)
from app.jobs.extract.prose import label_pattern
from app.jobs.extract.spec import (
    Candidate,
    FieldSpec,
    Mention,
    cut_to_length,
    fold,
    lexicon,
    name_words,
    short_description,
    without_brackets,
)
from app.jobs.extract.values import typed_values

THRESHOLD = 0.8
# Of several fields with the same labels, the k-th is named by the k-th label written so: only
# the label itself (up to OCR's noise) takes a turn, not a longer label holding it.
_TWIN_SCORE = 0.95
# What separates a label from its value: the bracket its label closes ("Size(s)"), a colon, a
# dash, a form's fill-in rule.
_REST = re.compile(r"[)\]]?[ \t]*[:#=.\-–—_]*[ \t]*")
# Words written between a label and a colon: the label written is longer than the field's.
_LABEL_TAIL = re.compile(r"(?P<tail>(?:[ \t]+[^\W\d][\w.&/'-]*){1,3})[ \t]*:")
# A tick written just before a label makes it a ticked option ("X_SATIN", "XOK", "xx Gas", "☑ Oil");
# a fill-in rule just before it, with no mark, an option left unticked ("_MATT"). (An empty
# bracket is not one: OCR often drops a faint mark inside it.)
_TICK_BEFORE = re.compile(r"(?:^|(?<=[\s_(\[]))(?P<mark>[xX✓✔☑☒]{1,2})[_)\]]*[ \t]*$")
_BOX_BEFORE = re.compile(r"(?:^|(?<=\s))_+[ \t]*$")
# Words alone before a label at its line's start that make one label with it: in capitals
# before one in capitals ("SPENT TO DATE:"), or a word and the little words that go on from
# it ("Spent to Date:", "Checked by Warden:").
_CAPS_LEAD = re.compile(r"[ \t]*(?:[A-Z][A-Z&/.'-]+ )+")
_PHRASE_LEAD = re.compile(r"[ \t]*[A-Z][a-z]+(?: [a-z]+){1,2} ")
# A bracket after a label qualifies it (a unit, "(s)", "(check one)"), at a line's end.
_QUALIFIER = re.compile(r"\([^()]{0,30}\)?")
_ITEM_MARK = re.compile(r"[ \t]*(?:\(?\d{1,2}[.)]|[-*•])[ \t]+")
_SENTENCE_END = re.compile(r"\.(?=[ \t]+[A-Z])")
_ITEM_SPLIT = re.compile(r";|,(?![^()]*\))|\.(?=[ \t]+[A-Z])")
# A piece after a comma that continues the item before it: "Norvasc 10 mg, 1 tablet daily".
_CONTINUES = re.compile(r"\s*[\d(]")
_AND = re.compile(r"(?:and|or)[ \t]+", re.IGNORECASE)
# A dose written in prose: a drug word, an amount or range, its unit ("ramipril 2.5 mg",
# "heparin 3 to 4 units", "co-trimoxazole-forte 17 mg").
_DOSED = re.compile(
    r"(?<![\w.-])[A-Za-z][A-Za-z-]+[ \t]+\d+(?:\.\d+)?(?:[ \t]*(?:-|to)[ \t]*\d+(?:\.\d+)?)?"
    r"[ \t]*(?:mg|mcg|µg|g|ml|mL|units?|IU|mEq)\b"
)
# A schema asking for "the first item of the ... list" wants an item, never a sentence.
_WANTS_ITEM = re.compile(r"\b(?:item|list)\b", re.IGNORECASE)


def similarity(document_label: str, labels: tuple[str, ...]) -> float:
    """How well a label written in the document names a field with these label candidates:
    read without its brackets ("Weight (kg)" is "Weight") and with them, the better."""
    bare = fold(without_brackets(document_label))
    whole = fold(document_label)
    return max(_similarity(written, labels) for written in {bare or whole, whole})


def _similarity(written: str, labels: tuple[str, ...]) -> float:
    if not written:
        return 0.0
    words = written.split()
    best = 0.0
    for label in labels:
        wanted = fold(label)
        if not wanted:
            continue
        if wanted == written:
            return 1.0
        if label_pattern(wanted).fullmatch(written):  # OCR's confusables: "GRAOEO", "C0DE"
            return 1.0
        parts = wanted.split()
        for at in range(len(words) - len(parts) + 1):
            if words[at : at + len(parts)] == parts:
                best = max(best, 0.75 + 0.2 * len(parts) / len(words))
        for at in range(len(parts) - len(words) + 1):  # "Patient" for "patient name"
            if parts[at : at + len(words)] == words:
                best = max(best, 0.72 + 0.2 * len(words) / len(parts))
        if min(len(wanted), len(written)) >= 4:  # OCR noise: "Readlng", "Dlagnosis"
            ratio = SequenceMatcher(None, wanted, written).ratio()
            if ratio >= 0.85:
                best = max(best, ratio * 0.98)
    return best


def assign(blocks: list[Block], specs: list[FieldSpec]) -> dict[int, list[tuple[float, Block]]]:
    """Each block to the field it names best (if any): {field index: [(score, block)]} in
    document order."""
    taken: dict[int, list[tuple[float, Block]]] = {}
    # Fields of a kind the template labels alike are one label's places in order ("date",
    # "date_2"; two fields described "Date"); not the two parts of a blood pressure.
    key = [(spec.kind, *(fold(label) for label in _written_labels(spec))) for spec in specs]
    twins: dict[tuple[str, ...], list[int]] = {}
    for index in range(len(specs)):
        twins.setdefault(key[index], []).append(index)
    used: dict[tuple[str, ...], int] = {}
    for block in blocks:
        scores = [similarity(block.label, spec.labels) for spec in specs]
        best = max(scores, default=0.0)
        if best < THRESHOLD:
            continue
        # Every field it names equally well ("BP" for both parts of a blood pressure), but
        # one of several fields with the same labels: the k-th "Score" is the k-th score field.
        for index in [i for i, score in enumerate(scores) if score == best]:
            group = twins[key[index]]
            if len(group) > 1:
                if index != group[0] or best < _TWIN_SCORE:
                    continue  # ("SPENT TO DATE" is no turn of the "DATE" fields)
                turn = used.get(key[index], 0)
                used[key[index]] = turn + 1
                if turn >= len(group):
                    continue
                index = group[turn]
            taken.setdefault(index, []).append((best, block))
    # A field no block names best may still be named by a later one of the blocks that another
    # field has several of ("BADGE NUMBER" twice: a "BADGE" field and a "BADGE NUMBER" field).
    for index, spec in enumerate(specs):
        if index in taken:
            continue
        spare = [
            (score, block) for other, found in taken.items() if len(found) > 1
            for _, block in found[1:]
            if other != index and (score := similarity(block.label, spec.labels)) >= THRESHOLD
        ]  # fmt: skip
        if spare:
            score, block = max(spare, key=lambda item: item[0])
            taken[index] = [(score, block)]
    return taken


def block_candidate(
    spec: FieldSpec, index: int, text: str, found: list[tuple[float, Block]]
) -> Candidate | None:
    """The field's value from the best-matching of its blocks (the first such in the document
    when several match equally well; for a field that asks for a list's item, the first that
    is a numbered or bulleted list)."""
    for top in sorted({score for score, _ in found}, reverse=True):
        blocks = [block for score, block in found if score == top]
        # A label written with a separator ("Blend ---- Ann Ray", "Blend:") before one without.
        blocks.sort(key=lambda block: not _REST.match(text, block.label_end)[0].strip(" \t.)]"))
        if _wants_item(spec):  # "the first item of the impression list": a numbered list first
            blocks.sort(key=lambda block: _ITEM_MARK.match(text, block.value_start) is None)
        for block in blocks:
            candidate = _read(spec, index, text, block)
            if candidate is not None:
                return candidate
    return None


def _read(spec: FieldSpec, index: int, text: str, block: Block) -> Candidate | None:
    mention = Mention(index, block.label_start, block.label_end, labelled=True)
    start, end = _without_own_label(spec, text, block.value_start, block.value_end)
    if start >= end or not any(c.isalnum() for c in text[start:end]):
        return None
    if similarity(text[start:end], spec.labels) >= THRESHOLD:
        return None  # a value never is its own label
    if set(fold(text[start:end]).split()) <= set(lexicon()["function_words"]):
        return None  # "per" after "Charge": a heading's words, no value
    if spec.kind == "array":
        items = _items(text, start, end, block.below, block.label)
        if not items:
            return None
        value: Any = [_item_value(spec.schema.get("items", {}), text[s:e]) for s, e in items]
        return Candidate(value, items[0][0], items[-1][1], True, mention, rank=-1)
    if spec.kind in ("text", "address", "object"):  # a labelled address is kept as written
        start, end = _first_item(text, start, end) if block.below else (start, end)
        if start >= end or is_heading(text[start:end]):
            return None
        end = cut_to_length(text, start, end, spec.schema.get("maxLength"))
        value = text[start:end].rstrip(" .;,")
        end = start + len(value)
        if spec.kind == "object":
            value = _item_value(spec.schema, value)
        return Candidate(value, start, end, True, mention, rank=-1)
    if spec.kind in ("boolean", "enum"):
        return None  # ticks and yes/no are read by the label pass (prose.label_value)
    values = typed_values(spec, text, start, end)
    if not values:
        return None
    return Candidate(values[0].value, values[0].start, values[0].end, True, mention, rank=-1)


def _without_own_label(spec: FieldSpec, text: str, start: int, end: int) -> tuple[int, int]:
    """A value never contains its own label: "Markings Sample No. on" under "Markings" is
    "Sample No. on"; stray rules and underscores around it are dropped too."""
    for label in spec.labels:
        match = label_pattern(label).match(text, start, end)
        if match is not None and match.end() > start:
            start = _REST.match(text, match.end(), end).end()
            break
    while start < end and text[start] in " \t_|":
        start += 1
    while end > start and text[end - 1] in " \t_|":
        end -= 1
    return start, end


def _first_item(text: str, start: int, end: int) -> tuple[int, int]:
    """The first line of a section, without its list number: "1. Left spermatocele."."""
    line_end = text.find("\n", start, end)
    line_end = end if line_end < 0 else line_end
    mark = _ITEM_MARK.match(text, start, line_end)
    start = mark.end() if mark else start
    sentence = _SENTENCE_END.search(text, start, line_end)  # an item is its first sentence
    return start, sentence.start() if sentence else line_end


def _items(text: str, start: int, end: int, below: bool, label: str) -> list[tuple[int, int]]:
    """The items of a list: one per line under a heading, else separated by commas or
    semicolons (a piece that only continues the item before it stays with it)."""
    spans: list[tuple[int, int]] = []
    lines = [(m.start() + start, m.end() + start) for m in re.finditer(r"[^\n]+", text[start:end])]
    if not below or len(lines) == 1:
        lines = lines[:1]
    for line_start, line_end in lines:
        heading = text[line_start:line_end]
        if is_heading(heading):
            # A sub-heading that qualifies the list's own noun goes on with it ("TOOLS:" then
            # "SPARE TOOLS:"); another heading starts another list ("DEFECTS:").
            if set(fold(label).split()) < set(fold(heading).split()):
                continue
            break
        mark = _ITEM_MARK.match(text, line_start, line_end)
        piece_start = mark.end() if mark else line_start
        cuts = [m.start() + piece_start for m in _ITEM_SPLIT.finditer(text[piece_start:line_end])]
        if len(lines) > 1:
            cuts = []  # one item per line: "Tylenol 500 mg, two tablets" is one item
        bounds = [piece_start, *[c + 1 for c in cuts], line_end + 1]
        for left, right in zip(bounds, bounds[1:], strict=False):
            item_start, item_end = left, right - 1
            while item_start < item_end and text[item_start] in " \t":
                item_start += 1
            conjunction = _AND.match(text, item_start, item_end)
            item_start = conjunction.end() if conjunction else item_start
            while item_end > item_start and text[item_end - 1] in " \t.,;":
                item_end -= 1
            if item_start >= item_end:
                continue
            if spans and _CONTINUES.match(text[item_start:item_end]) and cuts:
                spans[-1] = (spans[-1][0], item_end)
            else:
                spans.append((item_start, item_end))
    kept = [(s, e) for s, e in spans if _is_item(text[s:e])]
    if len(lines) == 1 and len(kept) < len(spans):
        # A clause was dropped, so the line is prose, not a list: where it names doses, its
        # items are those ("... taking Motrin 400 mg, which has not helped. His pain ...").
        doses = [(m.start(), m.end()) for m in _DOSED.finditer(text, lines[0][0], lines[0][1])]
        doses = [(s, e) for s, e in doses if _is_item(text[s:e])]
        if doses:
            return doses
    return kept


def _is_item(piece: str) -> bool:
    """A list item, not "none" nor a clause of prose that happens to sit between commas
    ("which she stopped taking", "however")."""
    words = piece.lower().split()
    if not words or piece.strip().lower() in ("none", "nil", "n/a"):
        return False
    if re.search(rf"\b(?:{'|'.join(map(re.escape, lexicon()['unknown_words']))})\b", piece.lower()):
        return False  # "an antibiotic, unsure which": it names nothing to record
    return words[0] not in lexicon()["clause_words"]


def prose_for_item(spec: FieldSpec, value: str) -> bool:
    """A sentence of prose ("She has ...", "This is ...") given to a field whose schema asks
    for an item of a list: not that item, so the field is left for review."""
    words = value.lower().split()
    narrative = bool(words) and words[0].removesuffix("'s") in lexicon()["clause_words"]
    return narrative and _wants_item(spec)


def _wants_item(spec: FieldSpec) -> bool:
    return _WANTS_ITEM.search(str(spec.schema.get("description", ""))) is not None


def _item_value(schema: dict[str, Any], item: str) -> Any:
    """An array item as the schema types it: a string as written, or an object whose first
    string property holds the item (its other properties are read from it when labelled)."""
    if schema.get("type") != "object":
        return item
    properties = schema.get("properties", {})
    first = next((n for n, p in properties.items() if p.get("type") == "string"), None)
    return {first: item} if first else {}


def is_heading(value: str) -> bool:
    """A heading ("ASSESSMENT AND PLAN:") is never a value."""
    stripped = value.strip()
    return stripped.endswith(":") and len(stripped.split()) <= 6


def box_blocks(
    text: str, pages: list[dict[str, Any]] | None, specs: list[FieldSpec]
) -> list[Block]:
    """Labels on OCR pages, read by the boxes: a line that starts with a field's label has its
    value in the rest of the line, or (the label alone) in the line right of it or below it."""
    blocks = []
    # A field the template labels in capitals has every label of it looked for in capitals:
    # OCR keeps a printed "COMPOUND" in capitals, so "this compound is" is prose, not it.
    patterns = [
        (label.upper() if _in_capitals(spec) else label, label_pattern(label))
        for spec in specs for label in spec.labels
    ]  # fmt: skip
    labels = [label for spec in specs for label in _written_labels(spec)]

    runs_of: dict[str, list[tuple[int, int]]] = {}
    label_or_not: dict[str, bool] = {}  # lines are asked about again and again: once each

    def label_runs(written: str) -> list[tuple[int, int]]:
        if written not in runs_of:
            runs_of[written] = _label_runs(written, patterns, labels)
        return runs_of[written]

    def is_label(line: Line) -> bool:
        """A box that is itself a label: it ends with a colon, names a field, or starts with
        a field's label (that label's value follows it, it is no other field's value)."""
        written = line.text.strip()
        if written not in label_or_not:
            runs = label_runs(written)
            label_or_not[written] = (
                written.endswith(":")
                or any(similarity(written, s.labels) >= 0.9 for s in specs)
                or bool(runs) and not _ITEM_MARK.sub("", written[: runs[0][0]]).strip(" ([")
            )  # fmt: skip
        return label_or_not[written]

    for lines in ocr_lines(text, pages):
        for index, line in enumerate(lines):
            found = label_runs(line.text)
            at = line.start
            for number, (label_start, label_end) in enumerate(found):
                before = line.text[:label_start]
                tick = _TICK_BEFORE.search(before)
                if tick is not None and before[: tick.start()].rstrip(" \t_").endswith(":"):
                    tick = None  # "LINED:_ X UNLINED": the mark is the label before's
                if tick is not None:  # "X_SATIN", "XOK": the option's value is its mark
                    blocks.append(Block(line.text[label_start:label_end], at + label_start,
                                        at + label_end, at + tick.start("mark"),
                                        at + tick.end("mark")))  # fmt: skip
                    continue
                if _BOX_BEFORE.search(before):
                    continue  # "_MATT": an option left unticked has no value
                stop = found[number + 1][0] if number + 1 < len(found) else len(line.text)
                longer = _LABEL_TAIL.match(line.text, label_end, stop)
                if longer:  # "Torque Setting Range:" is another label than "Torque"
                    label_end = longer.end("tail")
                capitals = line.text[label_start:label_end].isupper()
                lead = _CAPS_LEAD if capitals else _PHRASE_LEAD
                if not number and lead.fullmatch(before):
                    label_start = len(before) - len(before.lstrip())  # "SPENT TO DATE:"
                stop = later_label(line.text, label_end, stop)
                rest = _REST.match(line.text, label_end, stop)
                value_end = len(line.text[:stop].rstrip())
                label = line.text[label_start:label_end]
                written = line.text[rest.end() : value_end]
                if _QUALIFIER.fullmatch(written.strip()):  # "WEIGHT (kg)": the label's unit
                    written = ""
                if _caps_title(label, line.text[label_end : rest.end()], written):
                    if len(found) < 2:
                        continue  # a title
                    # One of a row of column headings run on by others ("NAME COUNT NAME
                    # COUNT"): its value is under it, in its own column of the row below.
                    next_start = rest.end() + len(written) - len(written.lstrip())
                    span = below_in_column(lines, index, *_column(lines, index, found, number,
                                                                  next_start), is_label)
                    if span is not None:
                        blocks.append(Block(label, at + label_start, at + label_end, *span))
                    continue
                # (a later "label" found in a row of figures is one of its cells)
                cell = _first_cell(line, rest.end(), len(line.text))
                if cell:  # a row of a table: the label's value is the cell next to it
                    blocks.append(Block(label, at + label_start, at + label_end, at + cell[0],
                                        at + cell[1]))  # fmt: skip
                elif any(c.isalnum() for c in written):
                    value_end = len(line.text[: _fragment_end(line, rest.end(), stop)].rstrip())
                    end = continued(text, lines, index, at + rest.end(), at + value_end, is_label)
                    blocks.append(Block(label, at + label_start, at + label_end,
                                        at + rest.end(), end))  # fmt: skip
                elif number + 1 < len(found):
                    # One of a row of labels ("DEPTH, WIDTH, LENGTH"): its value is under it,
                    # in its own column of the row below.
                    span = below_in_column(lines, index, *_column(lines, index, found, number,
                                           found[number + 1][0]), is_label)  # fmt: skip
                    if span is not None:
                        blocks.append(Block(label, at + label_start, at + label_end, *span))
                else:  # the label alone at its line's end
                    spans = _beside_or_under(text, lines, index, label_start, is_label)
                    if not spans and number:  # the last of a row of labels: its column below
                        left, right = _column(lines, index, found, number, len(line.text))
                        height = line.box[3] - line.box[1]
                        span = below_in_column(lines, index, left, right + height, is_label)
                        spans = [span] if span is not None else []
                    for span in spans:
                        blocks.append(Block(label, at + label_start, at + label_end, *span))
        blocks += _two_line_labels(text, lines, patterns, label_runs, is_label)
        blocks += _stacked_labels(text, lines, patterns, label_runs)
        blocks += _two_row_headings(lines, labels, label_runs, is_label)
    return blocks


# A cell of a table of figures: "2.75", "(58)", "9%", "-120.50", "1.06**", "15+".
_FIGURE = r"[-+$(]?(?:\d[\d,]*(?:\.\d+)?|\.\d+)%?\)?[*+]*"
_FIGURES = re.compile(rf"{_FIGURE}(?:(?:[ \t]+|(?<=[*+%)])){_FIGURE})+")


# A gap between OCR fragments wider than this many line heights (two word spaces or so) parts
# the cells of a form's row.
_CELL_GAP = 0.6


def _fragment_end(line: Line, start: int, end: int) -> int:
    """Where a value starting at `start` on an OCR line ends, at `end` at the latest: at the
    end of the OCR fragment its first word is in, when a wide gap parts that from the next
    (the row's next cell: "CURING 14 days   Kiln 3")."""
    height = max(1.0, line.box[3] - line.box[1])
    start = next((i for i in range(start, end) if line.text[i].isalnum()), end)
    pairs = zip(line.parts, line.parts[1:], strict=False)
    for (part_start, _, part_x1), (next_start, next_x0, _) in pairs:
        if part_start <= start < next_start <= end:
            if next_x0 - part_x1 >= _CELL_GAP * height:
                return next_start
            return end
    return end


def _first_cell(line: Line, start: int, end: int) -> tuple[int, int] | None:
    """Where the first cell is (offsets in the line) when `line.text[start:end]` is a row of
    figures OCR read as one line ("2.75 3.10 1.06"); else None. Whole numbers alone may be one
    number spaced out ("40 118 07", "4 12"): they are cells only when OCR found each of three
    or more apart."""
    while start < end and line.text[start] in " \t":
        start += 1
    written = line.text[start:end].rstrip()
    if not _FIGURES.fullmatch(written):
        return None
    cells = list(re.finditer(_FIGURE, written))
    fragments = {part[0] for part in line.parts}
    apart = len(cells) >= 3 and all(start + cell.start() in fragments for cell in cells)
    if not re.search(r"[.,]\d|[%*+()]", written) and not apart:
        return None
    return start, start + cells[0].end()


def _beside_or_under(
    text: str, lines: list[Line], index: int, label_start: int, is_label
) -> list[tuple[int, int]]:
    """The value spans of a label that ends its line `lines[index]` (it starts at
    `label_start`): right of it, else below it, else above it."""
    line = lines[index]
    values = right_or_below(lines, index, is_label)
    ends_text = bool(line.text[:label_start].strip(" \t([_-"))
    if not ends_text:  # the label alone on its line
        # Printed under its fill-in line, as the labels of the lines around it are, or as a
        # bracketed label is ("(Signed)"): the value below it is not its own, that above it is.
        below = bool(values) and values[0].box[1] > line.box[1]
        bracketed = line.text.strip()[:1] + line.text.strip()[-1:] == "()"
        under_line = bracketed or (below and label_under(lines, values[0], is_label))
        if not values or under_line:
            values = above(lines, index, is_label) or values
    height = line.box[3] - line.box[1]
    left = column_x(line, label_start) - height
    spans = []
    for value in values:
        # A line below running far left of a label that ends a line of text ("... DATE" over
        # "... ONE SHEET PER SITE 4 May"): the words under the label.
        if ends_text and value.box[1] > line.box[1] and value.box[0] < left - height:
            span = below_in_column(lines, index, left, value.box[2] + 1, is_label)
            spans += [span] if span is not None else []
            continue
        end = _fragment_end(value, 0, later_label(value.text, 0, len(value.text)))
        cell = _first_cell(value, 0, end)
        if cell:  # a row of figures: the cell nearest the label
            spans.append((value.start + cell[0], value.start + cell[1]))
            continue
        end += value.start
        spans.append((value.start, continued(text, lines, lines.index(value), value.start, end,
                                             is_label)))  # fmt: skip
    return spans


def _caps_title(label: str, separator: str, written: str) -> bool:
    """A label in capitals run on, with no separator, by more words in capitals ("PART NO
    ASSEMBLY DRAWING"): a title or a row of labels, not a label and its value."""
    return (
        not separator.strip() and label.isupper() and written.isupper()
        and len(written.split()) > 1 and not any(c.isdigit() for c in written)
    )  # fmt: skip


def _column(
    lines: list[Line], index: int, found: list[tuple[int, int]], number: int, next_start: int
) -> tuple[float, float]:
    """The column of the `number`-th label of a row of labels on `lines[index]`: from halfway
    back to the word before it (a little left of it when first) to where the next heading
    starts (`next_start`, an offset in the line)."""
    line = lines[index]
    height = max(1.0, line.box[3] - line.box[1])
    label_left = column_x(line, found[number][0])
    before = len(line.text[: found[number][0]].rstrip())
    left = (column_x(line, before) + label_left) / 2 if before else label_left - height
    return left, column_x(line, next_start)


def _two_line_labels(
    text: str, lines: list[Line], patterns: list[tuple[str, Any]], label_runs, is_label
) -> list[Block]:
    """A label written on two lines, the second under the first ("Quantity, in" / "boxes of
    ten"), with no label of its own on either: its value is right of it or below it."""
    pairs = []
    for index, (first, second) in enumerate(zip(lines, lines[1:], strict=False)):
        x0, y0, x1, y1 = first.box
        a0, b0, a1, b1 = second.box
        height = max(1.0, y1 - y0)
        if abs(a0 - x0) > height or not -0.6 * height <= b0 - y1 <= 0.5 * height:
            continue
        if text[first.end : second.start].strip() or b0 < y0 + 0.5 * height:
            continue
        if label_runs(first.text) or label_runs(second.text):
            continue
        if not _reads_as_label(f"{first.text} {second.text}".strip(" :"), patterns):
            continue
        pairs.append((index, Line(text[first.start : second.end], first.start,
                                  (min(x0, a0), y0, max(x1, a1), b1))))  # fmt: skip
    halves = {lines[i + k].start for i, _ in pairs for k in (0, 1)}

    def label_or_half(line: Line) -> bool:  # half of a two-line label is a label too
        return line.start in halves or is_label(line)

    blocks = []
    for index, both in pairs:
        merged = [*lines[:index], both, *lines[index + 2 :]]
        for value in right_or_below(merged, index, label_or_half):
            end = value.start + later_label(value.text, 0, len(value.text))
            blocks.append(Block(both.text, both.start, both.end, value.start, end))
    return blocks


def _two_row_headings(lines: list[Line], labels: list[str], label_runs, is_label) -> list[Block]:
    """Column headings printed on two rows, each column's words one over the other ("UNIT"
    over "COST", "NO. OF" over "BAYS"), in rows OCR reads as lines across the table: a label's
    first words in one row and the rest in the row right under it, in the same column. Its
    value is under it, in that column."""
    wanted = {tuple(fold(label).split()) for label in labels}
    wanted = [words for words in wanted if len(words) > 1]
    blocks = []
    for upper in lines:
        _, y0, _, y1 = upper.box
        height = max(1.0, y1 - y0)
        for lower_index, lower in enumerate(lines):
            a0, b0, a1, b1 = lower.box
            if (b0 + b1) / 2 < (y0 + y1) / 2 + 0.5 * height or b0 - y1 > 0.5 * height:
                continue  # not the row right under it
            if min(upper.box[2], a1) - max(upper.box[0], a0) <= 0:
                continue
            top, bottom = _heading_words(upper, label_runs), _heading_words(lower, label_runs)
            for label in wanted:
                for split in range(1, len(label)):
                    for first, last in _column_pairs(top, bottom, label[:split], label[split:],
                                                     height):  # fmt: skip
                        left, right = min(first[2], last[2]), max(first[3], last[3])
                        span = below_in_column(lines, lower_index, left - 0.5 * height,
                                               right + 0.5 * height, is_label)  # fmt: skip
                        if span is not None:
                            written = f"{first[4]} {last[4]}"
                            blocks.append(Block(written, upper.start + first[0],
                                                upper.start + first[1], *span))  # fmt: skip
    return blocks


# A word of an OCR line: its start and end in the line, its left and right x, folded.
_Word = tuple[int, int, float, float, str]


def _heading_words(line: Line, label_runs) -> list[_Word]:
    """The words of an OCR line outside the labels found on it (a label found whole is read
    where it is): (start, end, left x, right x, folded word)."""
    runs = label_runs(line.text)
    return [
        (m.start(), m.end(), column_x(line, m.start()), column_x(line, m.end()), fold(m[0]))
        for m in re.finditer(r"[^\W_]+", line.text)
        if not any(s <= m.start() < e for s, e in runs)
    ]  # fmt: skip


def _column_pairs(
    top: list[_Word], bottom: list[_Word], first_words: tuple[str, ...],
    last_words: tuple[str, ...], height: float,
) -> list[tuple[_Word, _Word]]:  # fmt: skip
    """Runs of `first_words` in the upper row and of `last_words` in the lower row that stand
    in one column (within half a line's height): (upper run, lower run), each as a word."""
    pairs = []
    for upper in _word_runs(top, first_words):
        for lower in _word_runs(bottom, last_words):
            if min(upper[3], lower[3]) - max(upper[2], lower[2]) > -0.5 * height:
                pairs.append((upper, lower))
    return pairs


def _word_runs(words: list[_Word], wanted: tuple[str, ...]) -> list[_Word]:
    """Where the folded words `wanted` stand in a row of words, one after the other: each run
    as one word."""
    runs = []
    for at in range(len(words) - len(wanted) + 1):
        if tuple(word[4] for word in words[at : at + len(wanted)]) == wanted:
            first, last = words[at], words[at + len(wanted) - 1]
            runs.append((first[0], last[1], first[2], last[3], " ".join(wanted)))
    return runs


def _reads_as_label(written: str, patterns: list[tuple[str, Any]]) -> bool:
    """Whether words joined from lines read as one of the longer labels, as written or with a
    letter or two garbled."""
    return any(
        pattern.fullmatch(written)
        or SequenceMatcher(None, label.lower(), written.lower()).ratio() >= _GARBLED
        for label, pattern in patterns if len(label) >= _MIN_GARBLED_LETTERS
    )  # fmt: skip


_COLON_START = re.compile(r"(?P<words>[^:\n]{1,40}?)[ \t]*:[ \t]*(?P<value>\S.*?)[ \t]*$")


def _stacked_labels(
    text: str, lines: list[Line], patterns: list[tuple[str, Any]], label_runs
) -> list[Block]:
    """A label written on two or three lines, one under the other, whose last line goes on
    with a colon and the value ("TALLY OF" / "VISITORS: 12"): no line alone is a label."""
    blocks = []
    for index, first in enumerate(lines):
        x0, y0, _, y1 = first.box
        height = max(1.0, y1 - y0)
        for count in (2, 3):
            stack = lines[index : index + count]
            if len(stack) < count or any(
                label_runs(line.text) for line in stack[:-1]
            ):  # fmt: skip
                break
            below = stack[-1]
            a0, b0, _, _ = below.box
            between = text[stack[-2].end : below.start]
            if between.strip() or abs(a0 - x0) > height:
                break
            if between != "\n" and not -0.6 * height <= b0 - stack[-2].box[3] <= 0.5 * height:
                break
            last = _COLON_START.fullmatch(below.text)
            if last is None or not any(c.isalnum() for c in last["value"]):
                continue  # ("ROOMS: *": the value is elsewhere, right of the label or below)
            written = " ".join([*(line.text for line in stack[:-1]), last["words"]]).strip(" .")
            if _reads_as_label(written, patterns):
                blocks.append(Block(text[first.start : below.start + last.end("words")],
                                    first.start, below.start + last.end("words"),
                                    below.start + last.start("value"),
                                    below.start + last.end("value")))  # fmt: skip
                break
    return blocks


def _label_runs(
    line: str, patterns: list[tuple[str, Any]], labels: list[str]
) -> list[tuple[int, int]]:
    """Where the fields' labels are written on a line: the longest first, not overlapping, in
    order along the line; a label OCR garbled beyond the confusable letters ("GAUGE WIDTH" written
    "GAUCE WIDTH") is found by its likeness to the words of the line."""
    matches = []
    for label, pattern in patterns:
        matches += [
            (m.start(), m.end()) for m in pattern.finditer(line)
            if m.end() > m.start() and not _prose_case(label, line, m)
            and not (m[0][0].islower() and _in_a_sentence(line, m))
        ]  # fmt: skip
    # The longest first, garbled or not: "Projected Start Date" (a label OCR
    # or the template misspelt) holds "Date", another field's label.
    kept: list[tuple[int, int]] = []
    for start, end in sorted(matches + _garbled_runs(line, labels), key=lambda m: m[0] - m[1]):
        if all(end <= s or start >= e for s, e in kept):
            kept.append((start, end))
    return sorted(kept)


_COLON_AFTER = re.compile(r"[ \t]*:")


def _prose_case(label: str, line: str, match: re.Match[str]) -> bool:
    """Whether a label the template writes in capitals is found in lower case, as in prose
    ("this compound is"); not when a colon follows it ("cc:" for "CC")."""
    lower = label.isupper() and _mostly_lower(match[0])
    return lower and not _COLON_AFTER.match(line, match.end())


_LOWER_WORD_BEFORE = re.compile(r"\b[a-z]+[ \t]+$")
_LOWER_WORD_AFTER = re.compile(r"[ \t]+[a-z]+\b")


def _in_a_sentence(line: str, match: re.Match[str]) -> bool:
    """Whether a label found in lower case is a word of a sentence: after a word in lower case
    ("... as the third contractor had"), or inside the line and on into one ("This compound is
    judged"); a label so written has a separator or a value after it."""
    inside = match.start() > 0 and _LOWER_WORD_AFTER.match(line, match.end()) is not None
    return inside or _LOWER_WORD_BEFORE.search(line, 0, match.start()) is not None


def _written_labels(spec: FieldSpec) -> list[str]:
    """The labels looked for garbled by OCR: those the template writes (`x-labels`, `title`),
    else a description as short as a label, else the property's name in words, capitalised as
    a form prints a label (so that OCR's "Depaitment" is "department", and a word of a sentence
    in lower case is not). Synonyms are not: how a form writes a label is not theirs to say."""
    written = [*spec.schema.get("x-labels", []), spec.schema.get("title", "")]
    own = short_description(spec.schema) or [name_words(spec.name)]
    return [label for label in written if label] or [label[:1].upper() + label[1:] for label in own]


def _in_capitals(spec: FieldSpec) -> bool:
    """Whether the template writes the field's label in capitals ("BATCH NO")."""
    written = [*spec.schema.get("x-labels", []), spec.schema.get("title", "")]
    written = [label for label in written if any(c.isalpha() for c in label)]
    return bool(written) and all(label.isupper() for label in written)


def _mostly_lower(written: str) -> bool:
    return sum(c.islower() for c in written) * 2 > sum(c.isalpha() for c in written)


_GARBLED = 0.84  # how alike a run of a line's words must be to a label to be taken for it
_MIN_GARBLED_LETTERS = 6  # shorter labels are too easily taken for other words


def _garbled_runs(line: str, labels: list[str]) -> list[tuple[int, int]]:
    """Runs of whole words of `line` that read like a label with a letter or two wrong."""
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", line)]
    runs = []
    for label in labels:
        wanted = label.lower()
        if sum(c.isalpha() for c in wanted) < _MIN_GARBLED_LETTERS:
            continue
        best = None
        matcher = SequenceMatcher(None, wanted)
        for first in range(len(words)):
            for last in range(first, len(words)):
                start, end = words[first][0], words[last][1]
                if end - start > len(wanted) + 3:
                    break
                written = line[start:end].rstrip(":.;,_")
                if label.isupper() and _mostly_lower(written):
                    continue  # OCR keeps a capitals label in capitals
                if label[0].isupper() and written[:1].islower():
                    continue  # and a capital as one: "contract and" is prose, not "Contract No"
                matcher.set_seq2(written.lower())
                # The quick ratios are upper bounds of the ratio: most runs end there, cheaply.
                if matcher.real_quick_ratio() < _GARBLED or matcher.quick_ratio() < _GARBLED:
                    continue
                ratio = matcher.ratio()
                if ratio >= _GARBLED and (best is None or ratio > best[0]):
                    best = (ratio, start, start + len(written))
        if best is not None:
            runs.append((best[1], best[2]))
    return runs
