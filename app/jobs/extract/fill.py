"""Filling a template (a JSON Schema of typed fields) from a document's text.

Deterministic passes come first, because a tiny model invents values when asked to read a whole
document: labelled values and values of the field's type next to its label words
(`prose.collect`); then what is left gets candidates of its type, and a field with exactly one
takes it; the model only chooses between two or more candidates (`choose`). When two labelled
values disagree, the field is left empty: "not found" is better than a guess.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from app.cancel import CancelToken
from app.engine import Engine
from app.jobs.extract.choose import MODEL_KINDS, ask_model
from app.jobs.extract.ground import empty_result, field_result
from app.jobs.extract.labels import (
    assign,
    block_candidate,
    box_blocks,
    is_heading,
    prose_for_item,
)
from app.jobs.extract.layout import Block, text_blocks, unsure_spans
from app.jobs.extract.prose import blocked_spans, collect, unlabelled_candidates
from app.jobs.extract.spec import Candidate, FieldResult, FieldSpec, field_specs, is_valid
from app.jobs.fieldparse import overlap_test

Progress = Callable[[int, int, str], None]
MAX_OPTIONS = 8
_MEASURES = frozenset({"number", "systolic", "diastolic", "bp", "quantity"})
_FREE_TEXT = frozenset({"text", "object", "array"})

# -- deciding -------------------------------------------------------------------------------------

_CONFLICT = Candidate(None, 0, 0, False, None)  # labelled values disagree: leave the field empty


def _decide(spec: FieldSpec, candidates: list[Candidate]) -> Candidate | None:
    """The field's value from its labels alone, `_CONFLICT`, or None when it is still open."""
    labelled = _distinct([c for c in candidates if c.mention and c.mention.labelled])
    if labelled:
        at_line_start = [c for c in labelled if c.rank < 0] or labelled
        return at_line_start[0] if len(at_line_start) == 1 else _CONFLICT
    strong = _distinct([c for c in candidates if c.strong and is_valid(spec, c.value)])
    if spec.kind == "name":  # "Mrs Thompson" later on is the "Mrs Ada Thompson" named first
        strong = [c for c in strong if not any(_shorter_name(c.value, o.value) for o in strong)]
    if any(c.unit in spec.named_units for c in strong):  # "97%" over a bare "51"
        strong = [c for c in strong if c.unit in spec.named_units]
    adjacent = [c for c in strong if c.adjacent]
    if len(strong) == 1:
        return strong[0]
    if len(adjacent) == 1:  # "BP 142/91 (150/95 last week)": the value written right after
        return adjacent[0]
    if strong and spec.kind in _MEASURES:  # a measure taken again later: the first reading
        after = [c for c in strong if c.mention is not None and c.start >= c.mention.end]
        if after:
            return min(after, key=lambda c: c.start)  # the first written after its label
        return max(strong, key=lambda c: c.end)  # else the nearest before it ("93% O2 sat")
    return None


def _merge(first: list[Block], second: list[Block]) -> list[Block]:
    """Blocks of both readings, one per label position (the first reading's when both)."""
    seen = {block.label_start for block in first}
    merged = first + [block for block in second if block.label_start not in seen]
    return sorted(merged, key=lambda block: block.label_start)


def _distinct(candidates: list[Candidate]) -> list[Candidate]:
    seen: dict[str, Candidate] = {}
    for candidate in sorted(candidates, key=lambda c: (c.rank, c.start)):
        key = json.dumps(candidate.value).lower()
        seen.setdefault(key, candidate)
    return list(seen.values())


def _shorter_name(name: str, other: str) -> bool:
    words, other_words = set(name.lower().split()), set(other.lower().split())
    return words < other_words


def _same_person(name: str, other: str) -> bool:
    """Whether two names name one person as written: the same, or one a shorter form."""
    return name.lower() == other.lower() or _shorter_name(name, other) or _shorter_name(other, name)


def extract_fields(
    text: str,
    schema: dict,
    engine: Engine | None,
    *,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
    pages: list[dict[str, Any]] | None = None,
    date_order: str | None = None,
) -> tuple[dict[str, FieldResult], dict]:
    """Fill every property of `schema` from `text`: (results by field name, provenance).

    `pages` (a digitize result's pages, lines with boxes) lets OCR forms be read by geometry;
    `date_order` ("DMY" or "MDY") reads ambiguous dates unless the template sets its own."""
    progress = progress or (lambda done, total, message: None)
    specs = field_specs(schema, date_order)
    progress(0, 3, "Reading labels")
    found = collect(text, specs)
    # The boxes' reading first: a caps line the text reading takes for an empty heading
    # ("ALLOY" in a row of column labels) has its value below it on the page.
    blocks = _merge(box_blocks(text, pages, specs), text_blocks(text))
    by_block = assign(blocks, specs)
    # On a scan the boxes say where a label's text ends; words of a label found elsewhere in
    # the OCR text ("Date" inside a sentence) give no free-text value.
    scanned = any(line.get("box") for page in pages or [] for line in page.get("lines") or [])
    unsure = unsure_spans(text, pages)
    if cancel is not None:
        cancel.raise_if_cancelled()

    results: dict[str, FieldResult] = {}
    open_fields: dict[int, list[Candidate]] = {}
    claimed: dict[str, list[tuple[int, int]]] = {}  # value spans taken, by kind of field
    for index, spec in enumerate(specs):
        chosen = None
        if index in by_block:
            chosen = block_candidate(spec, index, text, by_block[index])
        if chosen is None and not (scanned and spec.kind in _FREE_TEXT):
            chosen = _decide(spec, found[index])
        if (
            chosen is not None
            and isinstance(chosen.value, str)
            and (is_heading(chosen.value) or prose_for_item(spec, chosen.value))
        ):
            chosen = _CONFLICT  # "ASSESSMENT AND PLAN:" under "ASSESSMENT:" is no value
        if chosen is None:
            old_path = found[index] if not (scanned and spec.kind in _FREE_TEXT) else []
            open_fields[index] = [c for c in old_path if is_valid(spec, c.value)]
        elif chosen is not _CONFLICT:
            results[spec.name] = field_result(spec, text, chosen, "label", unsure)
            claimed.setdefault(spec.kind, []).append((chosen.start, chosen.end))
    progress(1, 3, "Looking for the remaining fields")
    blocked = overlap_test(blocked_spans(text))
    # A person a label names for one field is no unlabelled guess for another ("Mr Lee" later
    # in a note whose title names the patient "Mr J. Lee" is not the clinician).
    named = [str(results[s.name].value) for s in specs if s.kind == "name" and s.name in results]
    for index, candidates in open_fields.items():
        spec = specs[index]
        taken = [] if spec.kind in ("systolic", "diastolic") else claimed.get(spec.kind, [])
        candidates = candidates or unlabelled_candidates(spec, text, taken, blocked)
        candidates = [c for c in candidates if not any(s <= c.start < e for s, e in taken)]
        if spec.kind == "name":
            candidates = [c for c in candidates if not any(_same_person(str(c.value), n)
                                                           for n in named)]  # fmt: skip
        open_fields[index] = _distinct(candidates)[:MAX_OPTIONS]
        single = open_fields[index][0] if len(open_fields[index]) == 1 else None
        # Nothing to choose between; but a sentence that merely mentions a free-text field
        # ("came through the operation well") is not its value: only the model may pick it.
        if single is not None and (single.strong or spec.kind not in ("text", "object")):
            chosen = single
            results[spec.name] = field_result(spec, text, chosen, "label", unsure)
            claimed.setdefault(spec.kind, []).append((chosen.start, chosen.end))

    provenance: dict[str, Any] = {
        "method": "labels",
        "date_order": specs[0].date_order if specs else schema.get("x-date-order", "DMY"),
        "model_fields": [],
    }
    asked = {
        i: c
        for i, c in open_fields.items()
        if c and specs[i].name not in results and specs[i].kind in MODEL_KINDS
    }
    if engine is not None and asked:
        if cancel is not None:
            cancel.raise_if_cancelled()
        progress(2, 3, "Asking the model to choose")
        choices, model_provenance = ask_model(engine, text, specs, asked, cancel)
        if model_provenance is not None:
            provenance.update(method="labels+model", model=model_provenance)
        used: set[tuple[int, int, str]] = set()
        for index, choice in choices.items():
            spec = specs[index]
            if choice is None or (choice.start, choice.end, spec.kind) in used:
                # none, or a span another field took (BP parts aside, which differ in kind)
                results[spec.name] = replace(empty_result(spec), model_ran=True)
                continue
            used.add((choice.start, choice.end, spec.kind))
            kept = field_result(spec, text, choice, "model", unsure)
            results[spec.name] = replace(kept, model_ran=True, model_kept=kept.value is not None)
            provenance["model_fields"].append(spec.name)
    progress(3, 3, "Done")
    ordered = {spec.name: results.get(spec.name) or empty_result(spec) for spec in specs}
    return ordered, provenance
