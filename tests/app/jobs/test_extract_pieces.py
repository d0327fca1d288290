"""Each seam of extraction on its own: label candidates from the schema, the document's labels,
OCR geometry, typed values, lists, grounding by the evidence span, templates, batch tables.
The documents here are written for the tests; none comes from the dev sets."""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import asdict

import pytest

from app.errors import BadInput
from app.jobs import tables
from app.jobs.extract import extract_fields, field_specs
from app.jobs.extract.labels import similarity
from app.jobs.extract.layout import text_blocks
from app.jobs.extract.values import find_names, looks_like_name
from app.jobs.fieldparse import find_dates
from app.jobs.grounding import evidence_span, occurs_in
from app.jobs.pipeline import PAGE_BREAK
from app.jobs.templates import check_template_schema


def fill(text: str, properties: dict, **kwargs) -> dict:
    schema = {"type": "object", "properties": properties}
    fields, _ = extract_fields(text, schema, None, **kwargs)
    return fields


def test_label_candidates_come_from_the_schema_and_the_lexicon():
    (spec,) = field_specs({"properties": {"systolic_bp": {
        "type": "integer", "title": "Systolic blood pressure",
        "description": "Systolic pressure, mmHg."}}})  # fmt: skip
    assert "blood pressure" in spec.labels and "BP" in spec.labels  # qualifier dropped, synonym
    (spec,) = field_specs({"properties": {"pulse": {
        "type": "integer", "description": "Pulse or heart beat, per minute."}}})  # fmt: skip
    assert "heart beat" in spec.labels
    assert similarity("PROCEDURE PERFORMED", ("procedure",)) >= 0.8
    assert similarity("Diagnoses", ("diagnosis",)) == 1.0
    assert similarity("Readlng", ("Reading",)) >= 0.8  # OCR noise
    assert similarity("Date of birth", ("date",)) < similarity("Date", ("date",))


def test_labels_are_found_in_every_common_layout():
    text = (
        "Inspector: Grace Okoro\n"
        "Risk level - MEDIUM\n"
        "- site: 4 Mill Lane\n"
        "Permit # BX-1204\n"
        "Weight (kg) 71.5\n"
        "Name: Ann Lee   Date: 3/9/2024\n"
        "FINDINGS:\n"
        "1. Cracked lintel.\n"
        "2. Damp in the cellar.\n"
        "PLAN:\n"
        "Return in two weeks.\n"
    )
    found = {block.label: text[block.value_start : block.value_end] for block in text_blocks(text)}
    assert found["Inspector"] == "Grace Okoro"
    assert found["Risk level"] == "MEDIUM"
    assert found["site"] == "4 Mill Lane"
    assert found["Permit"] == "BX-1204"
    assert found["Weight"] == "71.5"
    assert found["Name"] == "Ann Lee" and found["Date"] == "3/9/2024"  # never runs on
    assert found["FINDINGS"] == "1. Cracked lintel.\n2. Damp in the cellar."
    assert found["PLAN"] == "Return in two weeks."


def test_a_schema_with_descriptions_only_is_filled_from_typed_notes():
    text = "Inspection notes (2026-09-14)\n- inspector: Grace Reid\n- risk level: MEDIUM\n"
    fields = fill(text, {
        "inspector": {"type": "string", "description": "Who inspected."},
        "risk_level": {"type": "string", "enum": ["LOW", "MEDIUM", "HIGH"],
                       "description": "The risk."},
    })  # fmt: skip
    assert fields["inspector"].value == "Grace Reid"
    assert fields["risk_level"].value == "MEDIUM"
    assert fields["inspector"].grounded and occurs_in(fields["inspector"].evidence, text)


def test_ocr_forms_are_read_by_box_geometry():
    lines = [
        ("Brand", [10, 10, 60, 24]),
        ("Total Sample", [300, 10, 390, 24]),
        ("BELAIR", [10, 30, 70, 44]),  # below "Brand"
        ("285", [400, 10, 430, 24]),  # right of "Total Sample"
    ]
    text = "\n".join(line for line, _ in lines)
    pages = [{"page": 1, "text": text, "lines": [{"text": t, "box": b} for t, b in lines]}]
    props = string_fields(("brand", "Brand"), ("total_sample", "Total Sample"))
    fields = fill(text, props, pages=pages)
    assert fields["brand"].value == "BELAIR"
    assert fields["total_sample"].value == "285"
    assert fields["brand"].grounded


def string_fields(*fields: tuple[str, str]) -> dict:
    """Template properties: a string field for each (name, title)."""
    return {name: {"type": "string", "title": title} for name, title in fields}


def ocr_page(lines: list[tuple[str, list[int]]]) -> tuple[str, list[dict]]:
    """An invented OCR page: the text and the digitize result's pages with line boxes."""
    text = "\n".join(line for line, _ in lines)
    return text, [{"page": 1, "text": text, "lines": [{"text": t, "box": b} for t, b in lines]}]


def test_a_value_on_a_line_the_ocr_read_unsurely_is_found_but_not_grounded():
    text, pages = ocr_page([
        ("KEEPER: Ivo Sand", [10, 10, 200, 24]),
        ("BATCH NO.", [10, 40, 90, 54]),
        ("77-4O1", [12, 58, 80, 72]),  # an "0" the OCR doubted
        ("YARD", [10, 90, 60, 104]),  # a label read unsurely; its value read surely
        ("East gate", [12, 108, 100, 122]),
    ])  # fmt: skip
    for unsure in (2, 3):
        pages[0]["lines"][unsure]["needs_review"] = True
    props = string_fields(("keeper", "KEEPER"), ("batch", "BATCH NO"), ("yard", "YARD"))
    fields = fill(text, props, pages=pages)
    values = [fields[n].value for n in ("keeper", "batch", "yard")]
    assert values == ["Ivo Sand", "77-4O1", "East gate"]
    assert fields["batch"].read_unsurely and not fields["batch"].grounded
    assert occurs_in(fields["batch"].evidence, text)  # its evidence is still shown on the page
    assert fields["keeper"].grounded and fields["yard"].grounded
    assert not (fields["keeper"].read_unsurely or fields["yard"].read_unsurely)
    checks = [tables.checks_text(asdict(fields[n])) for n in ("keeper", "batch")]
    assert checks == ["grounded, valid", "valid, read unsurely by OCR"]
    assert tables.review_state(asdict(fields["batch"])) == "check"


def test_a_text_layer_page_then_a_scan_each_value_is_read_on_its_own_page():
    # A PDF's typed first page (lines without boxes), then a scanned page whose first line,
    # the same figure, the OCR doubted: the doubt is the scan's, not the typed page's.
    typed = "Pallets: 12"
    scan = [("12", [10, 10, 40, 24]), ("GATE: North", [10, 40, 120, 54])]
    text = typed + PAGE_BREAK + "\n".join(line for line, _ in scan)
    pages = [
        {"page": 1, "text": typed, "lines": [{"text": typed, "box": None}]},
        {"page": 2, "text": text.split(PAGE_BREAK)[1],
         "lines": [{"text": t, "box": b, "needs_review": t == "12"} for t, b in scan]},
    ]  # fmt: skip
    fields = fill(text, string_fields(("pallets", "Pallets"), ("gate", "GATE")), pages=pages)
    assert (fields["pallets"].value, fields["gate"].value) == ("12", "North")
    assert fields["pallets"].grounded and not fields["pallets"].read_unsurely


def test_a_doubted_line_the_user_corrected_is_not_found_inside_another():
    text, pages = ocr_page([
        ("BATCH NO.", [10, 10, 90, 24]),
        ("12", [12, 28, 40, 42]),  # doubted by the OCR, then corrected by the user to "72"
        ("GATE: North 12", [10, 60, 160, 74]),
    ])  # fmt: skip
    pages[0]["lines"][1]["needs_review"] = True
    corrected = text.replace("\n12\n", "\n72\n")
    fields = fill(corrected, string_fields(("gate", "GATE")), pages=pages)
    assert fields["gate"].value == "North 12"
    assert fields["gate"].grounded and not fields["gate"].read_unsurely


def test_a_row_of_column_labels_has_its_values_below():
    text, pages = ocr_page([
        ("ALLOY", [10, 10, 60, 24]),
        ("GLAZE", [120, 10, 180, 24]),
        ("COATING TYPE BX", [250, 10, 400, 24]),  # a label, and OCR ran a value into it
        ("A2", [12, 28, 40, 42]),
        ("Gloss", [122, 28, 170, 42]),
        ("Epoxy", [252, 28, 300, 42]),
    ])  # fmt: skip
    props = string_fields(("alloy", "ALLOY"), ("glaze", "GLAZE"), ("coating", "COATING TYPE"))
    fields = fill(text, props, pages=pages)
    assert [fields[n].value for n in ("alloy", "glaze")] == ["A2", "Gloss"]


def test_a_row_of_labels_read_as_one_line_has_each_value_in_its_column_below():
    text, pages = ocr_page([
        ("SHELF NO. BIN NO. AISLE", [10, 10, 250, 24]),  # three labels OCR ran into one line
        ("B-12 7 North", [10, 28, 250, 42]),  # and their three values below them, likewise
    ])  # fmt: skip
    props = string_fields(("shelf", "SHELF NO"), ("bin", "BIN NO"), ("aisle", "AISLE"))
    fields = fill(text, props, pages=pages)
    assert [fields[n].value for n in ("shelf", "bin")] == ["B-12", "7"]
    assert fields["shelf"].grounded and fields["bin"].grounded


def test_a_capitals_label_in_lower_case_inside_a_sentence_is_prose():
    text, pages = ocr_page([
        ("REMARKS: The sample was cut to the gauge marked.", [10, 10, 400, 24]),
        ("GAUGE: 14", [10, 30, 90, 44]),
    ])  # fmt: skip
    props = string_fields(("remarks", "REMARKS"), ("gauge", "GAUGE"))
    fields = fill(text, props, pages=pages)
    assert fields["remarks"].value == "The sample was cut to the gauge marked"
    assert fields["gauge"].value == "14"
    # but with a colon after it, a label the form prints in lower case is that label
    text, pages = ocr_page([("attn:", [10, 10, 50, 30]), ("B. M. ROSS", [48, 34, 150, 54])])
    fields = fill(text, {"attn": {"type": "string", "title": "ATTN"}}, pages=pages)
    assert fields["attn"].value == "B. M. ROSS"


def test_a_label_the_description_quotes_asks_for_no_unit():
    text, pages = ocr_page([("CARTON UNITS: 2,400", [10, 10, 200, 24])])
    props = {"carton_units": {
        "type": "string", "title": "CARTON UNITS",
        "description": 'What the form gives for "CARTON UNITS".'}}  # fmt: skip
    assert fill(text, props, pages=pages)["carton_units"].value == "2,400"


def test_a_bracket_after_a_label_qualifies_it():
    text, pages = ocr_page([
        ("WEIGHT (kg)", [10, 10, 110, 24]),
        ("62", [200, 10, 230, 24]),  # the value, right of its label and its unit
    ])  # fmt: skip
    fields = fill(text, {"weight": {"type": "string", "title": "WEIGHT"}}, pages=pages)
    assert fields["weight"].value == "62"


def test_a_row_of_a_table_of_figures_gives_the_cell_next_to_its_label():
    text, pages = ocr_page([
        ("HARDNESS 2.75* 3.10 2.98** 3.40", [10, 10, 400, 24]),  # OCR ran the row's cells on
        ("(1 = soft)", [14, 26, 90, 38]),  # the label's bracket, printed under it
        ("Yield", [10, 50, 60, 64]),
        ("12.5 (40)", [200, 50, 290, 64]),  # a box right of its label, two cells
        ("Batch ref", [10, 80, 90, 94]),
        ("40 118 07", [200, 80, 290, 94]),  # whole numbers alone: one number spaced out
        ("Phone", [10, 110, 60, 124]),
        ("(555) 201-3344", [200, 110, 330, 124]),  # no table row either
    ])  # fmt: skip
    props = string_fields(
        ("hardness", "HARDNESS (1 = soft)"), ("yield_", "Yield"), ("batch", "Batch ref"),
        ("phone", "Phone"),
    )
    fields = fill(text, props, pages=pages)
    assert fields["hardness"].value == "2.75*"
    assert fields["yield_"].value == "12.5"
    assert fields["batch"].value == "40 118 07"
    assert fields["phone"].value == "(555) 201-3344"
    assert fields["hardness"].grounded and fields["yield_"].grounded


def ocr_parts_page(lines: list[tuple[str, list[tuple[int, list[int]]]]]) -> tuple[str, list]:
    """An invented OCR page whose lines keep their fragments: (start in the line, box)."""
    text = "\n".join(line for line, _ in lines)
    rows = [{"text": t, "box": [parts[0][1][0], parts[0][1][1], parts[-1][1][2], parts[-1][1][3]],
             "parts": parts} for t, parts in lines]  # fmt: skip
    return text, [{"page": 1, "text": text, "lines": rows}]


def test_table_cells_are_placed_by_the_ocr_fragments_under_their_headings():
    text, pages = ocr_parts_page([
        ("GRADE MASS WIDTH", [(0, [300, 10, 480, 24])]),  # three headings, one fragment
        # the row below: a labelled value, then a cell under each heading (one space apart
        # in the text, far apart on the page)
        ("PEN: 7 Oak strip, sawn B 1.25 90", [
            (0, [10, 30, 60, 44]), (5, [70, 30, 250, 44]), (23, [305, 30, 320, 44]),
            (25, [360, 30, 400, 44]), (30, [445, 30, 470, 44])]),
        ("TALLIES 12 40 7", [(0, [10, 60, 80, 74]), (8, [150, 60, 170, 74]),
                             (11, [250, 60, 270, 74]), (14, [350, 60, 360, 74])]),
        ("Ref 4 12", [(0, [10, 90, 40, 104]), (4, [150, 90, 160, 104]),
                      (6, [164, 90, 180, 104])]),  # two whole numbers: one value
        ("FINISH, SHEEN", [(0, [300, 120, 420, 134])]),  # a title naming labels
        ("Maker: Alder Paints 5 L", [(0, [300, 140, 350, 154]), (7, [355, 140, 480, 154])]),
    ])  # fmt: skip
    props = string_fields(
        ("grade", "GRADE"), ("mass", "MASS"), ("width", "WIDTH"), ("pen", "PEN"),
        ("tallies", "TALLIES"), ("ref", "Ref"), ("sheen", "SHEEN"),
    )
    fields = fill(text, props, pages=pages)
    assert [fields[n].value for n in ("grade", "mass", "width")] == ["B", "1.25", "90"]
    assert fields["tallies"].value == "12"
    assert fields["ref"].value == "4 12"
    assert fields["sheen"].value != "Alder Paints 5 L"  # the words after "Maker:" are its


def test_a_value_ends_where_a_wide_gap_parts_the_ocr_fragments_of_its_row():
    text, pages = ocr_parts_page([
        ("CURING 14 days Kiln 3", [(0, [10, 10, 70, 30]), (7, [80, 10, 140, 30]),
                                   (15, [220, 10, 280, 30])]),  # a gap of four heights
        ("Batch: Pale ash wood", [(0, [10, 40, 60, 60]), (7, [66, 40, 110, 60]),
                                  (12, [114, 40, 180, 60])]),  # word gaps: one value
        ("Site", [(0, [10, 70, 50, 90])]),
        ("North yard Gate 2", [(0, [120, 70, 220, 90]), (11, [300, 70, 360, 90])]),
    ])  # fmt: skip
    props = string_fields(("curing", "CURING"), ("batch", "Batch"), ("site", "Site"))
    fields = fill(text, props, pages=pages)
    assert fields["curing"].value == "14 days"
    assert fields["batch"].value == "Pale ash wood"
    assert fields["site"].value == "North yard"


def test_a_doubled_tick_a_value_below_and_right_and_a_heading_printed_apart():
    text, pages = ocr_page([
        ("xx HOLD", [10, 10, 90, 30]),  # a tick written twice before an option
        ("Grand total", [10, 50, 110, 70]),
        ("88.5%", [114, 74, 170, 94]),  # under the label's end, starting just right of it
    ])  # fmt: skip
    props = string_fields(("hold", "HOLD"), ("total", "Grand total"))
    fields = fill(text, props, pages=pages)
    assert fields["hold"].value == "xx"
    assert fields["total"].value == "88.5%"
    # A heading and its label in one title: the form may print the heading apart.
    (spec,) = field_specs({"properties": {"planned_handover": {"title": "Planned: Handover"}}})
    assert "Handover" in spec.labels


def test_headings_of_one_word_in_a_row_have_their_values_under_them():
    text, pages = ocr_page([
        ("ASHFORD", [100, 10, 170, 28]),
        ("KELSO", [260, 10, 310, 28]),  # the next heading (no field of the template)
        ("4/11/20", [104, 32, 170, 50]),  # the value right under the label
        ("7/11/20", [262, 32, 330, 50]),
    ])  # fmt: skip
    fields = fill(text, {"ashford": {"type": "string", "title": "ASHFORD"}}, pages=pages)
    assert fields["ashford"].value == "4/11/20"
    text, pages = ocr_page([
        ("BIN NO.", [100, 10, 170, 28]),  # a heading ending with an abbreviation's stop
        ("CHECKED BY", [260, 10, 350, 28]),
        ("4411", [104, 32, 150, 50]),
    ])  # fmt: skip
    fields = fill(text, {"bin_no": {"type": "string", "title": "BIN NO."}}, pages=pages)
    assert fields["bin_no"].value == "4411"
    text, pages = ocr_page([
        ("DEPTH (MM)", [100, 10, 190, 28]),  # a heading with its unit
        ("CHECKED BY", [260, 10, 350, 28]),
        ("35", [104, 32, 130, 50]),
    ])  # fmt: skip
    fields = fill(text, {"depth": {"type": "string", "title": "DEPTH"}}, pages=pages)
    assert fields["depth"].value == "35"


def test_a_paragraph_in_capitals_wrapped_at_its_margin_goes_on():
    text, pages = ocr_page([
        ("NOTES:", [10, 10, 70, 30]),
        ("ROOF TILES ON THE NORTH SIDE WERE LIFTED BY THE STORM AND", [80, 10, 600, 30]),
        ("THE GUTTER BELOW THEM IS LOOSE AT BOTH ENDS.", [80, 32, 520, 52]),
        ("CREW:", [10, 70, 70, 90]),
        ("PAT LEE", [80, 70, 160, 90]),  # a list of short items: each one stands alone
        ("JO WREN", [80, 92, 160, 112]),
    ])  # fmt: skip
    props = string_fields(("notes", "NOTES"), ("crew", "CREW"))
    fields = fill(text, props, pages=pages)
    assert fields["notes"].value == (
        "ROOF TILES ON THE NORTH SIDE WERE LIFTED BY THE STORM AND\n"
        "THE GUTTER BELOW THEM IS LOOSE AT BOTH ENDS"
    )
    assert fields["crew"].value == "PAT LEE"


def test_column_headings_printed_on_two_rows_have_their_values_under_them():
    text, pages = ocr_parts_page([
        ("NO. OF UNIT", [(0, [100, 10, 150, 28]), (7, [250, 10, 290, 28])]),
        ("DEPOT BAYS COST", [(0, [10, 30, 60, 48]), (6, [105, 30, 145, 48]),
                             (11, [250, 30, 290, 48])]),  # fmt: skip
        ("Kirkby 14 3.20", [(0, [10, 52, 60, 70]), (7, [115, 52, 135, 70]),
                            (10, [255, 52, 290, 70])]),  # fmt: skip
    ])  # fmt: skip
    props = string_fields(("bay_count", "NO. OF BAYS"), ("unit_cost", "UNIT COST"))
    fields = fill(text, props, pages=pages)
    assert fields["bay_count"].value == "14"
    assert fields["unit_cost"].value == "3.20"
    assert fields["bay_count"].grounded and fields["unit_cost"].grounded


def test_of_two_places_a_label_is_written_the_one_with_a_separator_gives_the_value():
    text, pages = ocr_page([
        ("Fuel", [10, 10, 50, 30]),  # the label's word alone, a line under it
        ("Tank 4", [12, 34, 70, 54]),
        ("Fuel ---- Red diesel", [10, 80, 220, 100]),  # the label, a leader, its value
    ])  # fmt: skip
    fields = fill(text, {"fuel": {"type": "string", "title": "Fuel"}}, pages=pages)
    assert fields["fuel"].value == "Red diesel"


def test_a_title_in_capitals_that_starts_with_a_label_is_no_value():
    text, pages = ocr_page([("PART NO ASSEMBLY DRAWING", [10, 10, 260, 24])])
    fields = fill(text, {"part": {"type": "string", "title": "PART NO"}}, pages=pages)
    assert fields["part"].value is None


def test_ocr_labels_with_a_wrong_letter_and_later_labels_on_the_line():
    text, pages = ocr_page([
        ("INSPECTQR CODE: K-12", [10, 10, 200, 24]),
        ("FABRICATOR: Granite Works BATCH NO.: 77-A", [10, 30, 400, 44]),
        ("Countersigned Total Hours: 12", [10, 50, 220, 64]),
        ("Countersigned: J. Ortiz", [10, 70, 180, 84]),
    ])  # fmt: skip
    props = string_fields(
        ("inspector_code", "INSPECTOR CODE"), ("fabricator", "FABRICATOR"), ("batch", "BATCH NO"),
        ("countersigned", "Countersigned"),
    )
    fields = fill(text, props, pages=pages)
    assert fields["inspector_code"].value == "K-12"
    assert fields["fabricator"].value == "Granite Works"  # not into the next label
    assert fields["batch"].value == "77-A"
    assert fields["countersigned"].value == "J. Ortiz"  # its longer label is another
    assert all(fields[n].grounded for n in props)


def test_numbered_properties_with_one_label_take_its_places_in_order():
    text, pages = ocr_page([
        ("Signed: R. Okafor", [10, 10, 200, 24]),
        ("Date: 4 May", [250, 10, 380, 24]),
        ("Witness: T. Brandt", [10, 40, 200, 54]),
        ("Date: 9 May", [250, 40, 380, 54]),
        ("ALLOY, GLAZE", [10, 70, 200, 84]),  # a title listing labels gives none a value
        ("ALLOY", [10, 90, 60, 104]),
        ("GLAZE", [120, 90, 180, 104]),
        ("B7", [10, 108, 40, 122]),
        ("Gloss", [120, 108, 170, 122]),
    ])  # fmt: skip
    props = {"when": {"type": "string", "title": "Date"},
             "when_2": {"type": "string", "title": "Date"},
             "alloy": {"type": "string", "title": "ALLOY"},
             "glaze": {"type": "string", "title": "GLAZE"}}  # fmt: skip
    fields = fill(text, props, pages=pages)
    assert fields["when"].value == "4 May"
    assert fields["when_2"].value == "9 May"
    assert fields["alloy"].value == "B7"


def test_fill_in_rules_brackets_and_abbreviations_around_ocr_labels():
    text, pages = ocr_page([
        ("(4) KILN LOAD:_", [10, 10, 180, 24]),
        ("2963", [300, 10, 330, 24]),  # far along the row, past the fill-in rule
        ("Panel(s)", [10, 40, 80, 54]),
        ("6", [200, 40, 215, 54]),
        ("Cert. No. 88-C Mill Heat Number: 5521", [10, 70, 400, 84]),
    ])  # fmt: skip
    props = string_fields(("kiln_load", "KILN LOAD"), ("panels", "Panel(s"), ("cert", "Cert No"))
    fields = fill(text, props, pages=pages)
    assert fields["kiln_load"].value == "2963"
    assert fields["panels"].value == "6"
    assert fields["cert"].value == "88-C"  # "Mill Heat Number:" is the next label


def test_an_ocr_value_wrapped_onto_lines_under_it_is_taken_whole():
    text, pages = ocr_page([
        ("Findings: hairline cracks along the north", [10, 10, 400, 30]),
        ("parapet and at two lintels", [102, 26, 330, 46]),  # starts under the value
        ("Crew: Sam Reyes", [10, 60, 200, 80]),
        ("Al Cho", [65, 78, 130, 98]),  # a list's next item, not a wrapped line
        ("Site: Pier 9 east", [10, 110, 200, 130]),
        ("Gate: 4", [10, 128, 80, 148]),  # the next row has its own label
    ])  # fmt: skip
    props = {n: {"type": "string", "title": n.title()} for n in ("findings", "crew", "site")}
    fields = fill(text, props, pages=pages)
    assert fields["findings"].value == "hairline cracks along the north\nparapet and at two lintels"
    assert fields["findings"].grounded
    assert fields["crew"].value == "Sam Reyes"
    assert fields["site"].value == "Pier 9 east"


def test_a_label_written_on_two_lines_has_its_value_below_it():
    text, pages = ocr_page([
        ("Crates, in", [10, 10, 100, 24]),
        ("lots of six", [10, 24, 100, 38]),
        ("Seal Colour", [200, 10, 300, 24]),
        ("where fitted", [200, 24, 290, 38]),
        ("14", [40, 60, 60, 74]),
        ("Amber", [210, 60, 260, 74]),
    ])  # fmt: skip
    props = string_fields(
        ("lot_count", "Crates, in lots of six"), ("closure", "Seal Colour where fitted")
    )
    fields = fill(text, props, pages=pages)
    assert fields["lot_count"].value == "14"  # not the next label's first line
    assert fields["closure"].value == "Amber"


def test_a_row_of_column_headings_run_together_has_each_value_in_its_column():
    text, pages = ocr_page([
        ("DEPOT NAME BAY COUNT DEPOT NAME BAY COUNT", [10, 10, 410, 24]),  # OCR ran the headings on
        # A tilted scan: the boxes of the row below overlap the headings' row.
        ("Elm Yard", [10, 18, 90, 32]),
        ("12", [160, 18, 180, 32]),
        ("Oak Row", [210, 18, 290, 32]),
        ("7", [360, 18, 370, 32]),
    ])  # fmt: skip
    props = string_fields(("depot", "DEPOT NAME"), ("depot_2", "DEPOT NAME"))
    fields = fill(text, props, pages=pages)
    assert fields["depot"].value == "Elm Yard"
    assert fields["depot_2"].value == "Oak Row"
    # One heading run on by capitals is a title: what lies under it is no value of it.
    text, pages = ocr_page([
        ("DEPOT NAME SURVEY REPORT", [10, 10, 300, 24]),
        ("Elm Yard", [10, 28, 90, 42]),
        ("Depot name: Oak Row", [10, 60, 200, 74]),
    ])  # fmt: skip
    assert fill(text, {"depot": props["depot"]}, pages=pages)["depot"].value == "Oak Row"


def test_a_tilted_scans_wrapped_value_is_taken_whole():
    # The boxes of a tilted scan overlap the row above; the OCR's deskewed layout put the
    # lines in one paragraph (one line break between them).
    text, pages = ocr_page([
        ("Remarks: cracked render along the", [10, 10, 400, 40]),
        ("west gable and chimney stack", [100, 22, 380, 52]),
    ])  # fmt: skip
    fields = fill(text, {"remarks": {"type": "string", "title": "Remarks"}}, pages=pages)
    assert fields["remarks"].value == "cracked render along the\nwest gable and chimney stack"


def test_ocr_labels_are_found_through_confusable_letters_brackets_and_case():
    text, pages = ocr_page([
        ("GRAOEO: 7/14/21 SHIFT2", [10, 10, 220, 24]),  # D read as O; a label run into a number
        ("FLOW (l/min)", [10, 40, 120, 54]),  # the template writes "FLOW l/min"
        ("4.5", [200, 40, 230, 54]),
        ("Reason: chosen for timing of the contract and cost", [10, 70, 420, 84]),
    ])  # fmt: skip
    props = {"graded": {"type": "string", "title": "GRADED"},
             "shift": {"type": "string", "title": "SHIFT"},
             "flow": {"type": "string", "title": "FLOW l/min"},
             "reason": {"type": "string", "title": "Reason"},
             "contract_no": {"type": "string", "title": "Contract No"}}  # fmt: skip
    fields = fill(text, props, pages=pages)
    assert fields["graded"].value == "7/14/21"
    assert fields["shift"].value == "2"
    assert fields["flow"].value == "4.5"
    # "contract and" in lower case is prose, however like "Contract No" it reads.
    assert fields["reason"].value == "chosen for timing of the contract and cost"
    assert fields["contract_no"].value is None
    line = "Notes: two quotes, the third contractor had not replied"
    text, pages = ocr_page([(line, [10, 10, 420, 24])])
    props = string_fields(("notes", "Notes"), ("contractor", "Contractor"))
    fields = fill(text, props, pages=pages)
    assert fields["notes"].value == "two quotes, the third contractor had not replied"
    assert fields["contractor"].value is None  # a word of the sentence, after one in lower case
    # A label read through OCR's confusables is the label: the first one written is the field's.
    text, pages = ocr_page([
        ("Batch Nurnber: 77", [10, 10, 200, 24]),
        ("Notes: Batch Number on each tin", [10, 40, 300, 54]),
    ])  # fmt: skip
    batch = {"batch": {"type": "string", "title": "Batch Number"}}
    assert fill(text, batch, pages=pages)["batch"].value == "77"
    # A number run into the next label ends at it: OCR reads "4471 Site no:" "4471Site no:".
    text, pages = ocr_page([("Depot tel: 555 4471Site no: 12", [10, 10, 300, 24])])
    props = string_fields(("tel", "Depot tel"), ("site", "Site no"))
    fields = fill(text, props, pages=pages)
    assert (fields["tel"].value, fields["site"].value) == ("555 4471", "12")


def test_function_words_alone_are_no_value():
    text, pages = ocr_page([
        ("Charge per", [200, 10, 290, 24]),  # a heading's first line: "per" is no value
        ("Charge", [200, 90, 260, 104]),
        ("$40", [300, 90, 330, 104]),
    ])  # fmt: skip
    fields = fill(text, {"charge": {"type": "string", "title": "Charge"}}, pages=pages)
    assert fields["charge"].value == "$40"


def test_a_tick_before_an_ocr_label_is_its_value():
    text, pages = ocr_page([
        ("FINISH: _MATT X_SATIN _GLOSS", [10, 10, 300, 24]),
        ("RESEAL NEEDED? XYES NO", [10, 40, 250, 54]),
        ("(2) LINED:_ X UNLINED:", [10, 70, 250, 84]),
    ])  # fmt: skip
    props = {n: {"type": "string", "title": n.upper()}
             for n in ("matt", "satin", "gloss", "yes", "unlined")}  # fmt: skip
    fields = fill(text, props, pages=pages)
    assert fields["satin"].value == "X"
    assert fields["satin"].grounded
    assert fields["yes"].value == "X"
    assert fields["matt"].value is None  # left unticked: not the rest of the row
    assert fields["gloss"].value is None
    assert fields["unlined"].value is None  # the mark after "LINED:" is that label's


def test_a_label_printed_under_its_fill_in_line_has_its_value_above():
    text, pages = ocr_page([
        ("Ivy Marsh", [40, 10, 140, 24]),  # written on the line, the label printed under it
        ("4/7/21", [300, 10, 360, 24]),
        ("INSPECTOR", [30, 27, 150, 41]),
        ("DATE", [305, 27, 345, 41]),
        ("REMARKS", [30, 80, 120, 94]),  # nothing on or under it: no value
    ])  # fmt: skip
    props = {n: {"type": "string", "title": n.upper()} for n in ("inspector", "date", "remarks")}
    fields = fill(text, props, pages=pages)
    assert fields["inspector"].value == "Ivy Marsh"
    assert fields["date"].value == "4/7/21"
    assert fields["remarks"].value is None


def test_a_field_no_label_names_best_takes_a_label_another_field_has_twice():
    text, pages = ocr_page([
        ("INSPECTED BY: Ann Ode", [10, 10, 200, 24]),
        ("INSPECTED BY: Raj Iyer", [10, 40, 200, 54]),
    ])  # fmt: skip
    # ("inspected by" is a synonym of "inspector")
    props = string_fields(("inspector", "INSPECTOR"), ("field_2", "INSPECTED BY LEAD"))
    fields = fill(text, props, pages=pages)
    assert fields["inspector"].value == "Ann Ode"
    assert fields["field_2"].value == "Raj Iyer"


def test_a_label_stacked_on_lines_goes_on_with_its_value_after_the_colon():
    text, pages = ocr_page([
        ("TALLY OF", [10, 10, 90, 24]),
        ("VISITORS: 12", [10, 26, 120, 40]),
        ("GATE WARDEN", [10, 60, 80, 74]),
        ("ON DUTY", [10, 76, 80, 90]),
        ("ROTA: 9 to 5", [10, 92, 130, 106]),
    ])  # fmt: skip
    # (Names that are no words of the labels: a property's name is a label of its own.)
    props = string_fields(("field_1", "TALLY OF VISITORS"), ("field_2", "GATE WARDEN ON DUTY ROTA"))
    fields = fill(text, props, pages=pages)
    assert fields["field_1"].value == "12"
    assert fields["field_2"].value == "9 to 5"


def test_labels_printed_under_their_values_one_after_another():
    text, pages = ocr_page([
        ("COMMITTED TO DATE: 900", [10, 0, 250, 14]),  # a longer label holding "DATE"
        ("4/7/21", [300, 20, 360, 34]),
        ("DATE", [305, 37, 345, 51]),
        ("5/7/21", [300, 60, 360, 74]),  # under the first DATE, but the second one's value
        ("DATE", [305, 77, 345, 91]),
    ])  # fmt: skip
    props = string_fields(("date", "DATE"), ("date_2", "DATE"))
    fields = fill(text, props, pages=pages)
    assert fields["date"].value == "4/7/21"
    assert fields["date_2"].value == "5/7/21"


def test_a_label_ending_a_line_takes_the_words_under_it_and_headings_run_on_in_a_row():
    text, pages = ocr_page([
        ("FORM 12 REV. 3 DATE", [300, 10, 500, 24]),
        ("USE ONE SHEET FOR EACH SITE VISITED 4 May 2021", [10, 28, 560, 42]),
        ("ITEM", [10, 60, 60, 74]),
        ("UNIT COST", [300, 60, 390, 74]),  # the next heading of the row, not ITEM's value
        ("Ladder hire", [10, 78, 110, 92]),
        ("40", [300, 78, 320, 92]),
    ])  # fmt: skip
    props = string_fields(("date", "DATE"), ("item", "ITEM"))
    fields = fill(text, props, pages=pages)
    assert fields["date"].value == "4 May 2021"
    assert fields["item"].value == "Ladder hire"


def test_a_sentence_wrapped_onto_an_indented_line_goes_on_but_not_into_a_label():
    text, pages = ocr_page([
        ("Note: the hoist was left in", [10, 10, 300, 30]),
        ("the yard overnight", [120, 28, 300, 48]),  # indented, and the sentence goes on
        ("Plan: fit new rails", [10, 60, 200, 80]),
        ("cc: A. Ray", [63, 78, 160, 98]),  # under the value, but a label with its own
    ])  # fmt: skip
    props = {n: {"type": "string", "title": n.title()} for n in ("note", "plan")}
    fields = fill(text, props, pages=pages)
    assert fields["note"].value == "the hoist was left in\nthe yard overnight"
    assert fields["plan"].value == "fit new rails"


def test_a_bracketed_label_under_its_line_and_no_value_written_up_the_margin():
    text, pages = ocr_page([
        ("Ivy Marsh", [300, 10, 400, 24]),
        ("(Witness)", [320, 27, 390, 41]),  # printed under the line it names
        ("Return the form by post.", [100, 70, 300, 84]),
        ("99120311", [600, 0, 630, 90]),  # a filing number written up the margin
        ("Ref:", [420, 50, 460, 64]),
    ])  # fmt: skip
    props = string_fields(("witness", "Witness"), ("ref", "Ref"))
    fields = fill(text, props, pages=pages)
    assert fields["witness"].value == "Ivy Marsh"
    assert fields["ref"].value is None


def test_a_misspelt_long_label_keeps_the_short_one_it_holds_and_a_date_ends_its_value():
    text, pages = ocr_page([
        ("Projected Start Date", [10, 10, 200, 24]),
        ("4/2/21", [300, 10, 360, 24]),
        ("Due: 9/2/21", [10, 40, 120, 54]),
        ("w/o 16/2/21", [50, 56, 150, 70]),  # a note of its own under the date
    ])  # fmt: skip
    props = {"start": {"type": "string", "title": "Projectd Start Date"},  # the template's typo
             "date": {"type": "string", "title": "Date"},
             "due": {"type": "string", "title": "Due"}}  # fmt: skip
    fields = fill(text, props, pages=pages)
    assert fields["start"].value == "4/2/21"
    assert fields["date"].value is None
    assert fields["due"].value == "9/2/21"
    # "Spent to Date:" is one label, not "Date" after two words of another value.
    text, pages = ocr_page([("Spent to Date:", [10, 10, 150, 24]), ("4,750", [300, 10, 350, 24])])
    props = string_fields(("date", "Date"), ("field_1", "Spent to Date (this year)"))
    fields = fill(text, props, pages=pages)
    assert fields["field_1"].value == "4,750"
    assert fields["date"].value is None


def test_a_person_named_for_one_field_is_no_guess_for_another():
    props = {"patient_name": {"type": "string", "x-kind": "name", "title": "Patient"},
             "clinician_name": {"type": "string", "x-kind": "name",
                                "description": "Who saw the patient."}}  # fmt: skip
    text = "Patient: Mrs J. Ode\nMrs Ode, 80, lives with her son and walks with a frame.\n"
    fields = fill(text, props)
    assert fields["patient_name"].value == "Mrs J. Ode"
    assert fields["clinician_name"].value is None  # not the patient again
    # Capitalised words opening a sentence or a list item are no name, nor a unit's letter
    # and a pronoun.
    text = "Patient: Mrs J. Ode\nPlan\n- Reduce Ramipril to once daily.\n"
    assert fill(text, props)["clinician_name"].value is None
    names = find_names("Sugar 7 mmol/L. He slept, said Ann Ode.")
    assert [span.value for span in names if looks_like_name(span.value)] == ["Sugar", "Ann Ode"]


def test_typed_values_keep_their_meaning():
    props = {
        "dose": {"type": "number", "description": "Dose of the drug."},
        "weight": {"type": "string", "description": "Body weight with its unit, as written."},
        "temperature": {"type": "number", "description": "Body temperature."},
        "patient": {"type": "string", "x-kind": "name", "description": "Name of the patient."},
        "oedema": {"type": "string", "enum": ["oedema", "none"], "title": "Swelling",
                   "description": "Ankle swelling."},
    }  # fmt: skip
    text = ("Patient: José Ñúñez\nDose: 0.25 mg\nWeight: 167\nKnee flexed to 30 degrees.\n"
            "Swelling: no oedema\n")  # fmt: skip
    fields = fill(text, props)
    assert fields["dose"].value == 0.25  # a decimal, not a clock time
    assert fields["weight"].value == "167"  # no unit written: none assumed
    assert fields["temperature"].value is None  # degrees of flexion are no temperature
    assert fields["patient"].value == "José Ñúñez"
    assert fields["oedema"].value is None  # "no oedema" is not "oedema"
    assert fill("Weight: 180 pounds\n", props)["weight"].value == "180 pounds"
    for name in ("Mary McDonald", "O'Neil", "SMITH, John"):
        assert fill(f"Patient: {name}\n", props)["patient"].value == name


def test_a_labelled_address_is_kept_as_written():
    props = {"site": {"type": "string", "x-kind": "address", "title": "Site address"}}
    for address in ("7 Mill Lane, Flat 2, Exeter", "Flat 2, 7 Mill Lane", "Mühlenweg 12, Kiel",
                    "1400 Elm St NW, Suite 300"):  # fmt: skip
        assert fill(f"Site address: {address}\nInspector: A. Person\n", props)["site"].value == (
            address
        )
    # Without a label, an address is still found by its shape in prose.
    prose = "We called at 7 Mill Lane, Exeter on Monday.\n"
    assert fill(prose, props)["site"].value == "7 Mill Lane, Exeter"


def test_dates_in_each_order_and_two_digit_years_in_the_past():
    prop = {"date": {"type": "string", "format": "date"}}
    assert fill("Date: 2026-03-04\n", prop)["date"].value == "2026-03-04"
    assert fill("Date: 03/04/2026\n", prop, date_order="MDY")["date"].value == "2026-03-04"
    assert fill("Date: 03/04/2026\n", prop, date_order="DMY")["date"].value == "2026-04-03"
    year = dt.date.today().year % 100
    assert find_dates(f"1/2/{year + 1:02d}")[0].value.startswith(str(1900 + year + 1))
    assert find_dates("1/2/92")[0].value == "1992-02-01"


def test_a_heading_is_never_a_value_and_none_is_not_found():
    props = {"assessment": {"type": "string", "description": "The assessment."},
             "procedure": {"type": "string", "description": "Procedure performed."}}  # fmt: skip
    fields = fill("ASSESSMENT:\nASSESSMENT AND PLAN:\nPROCEDURE:\nNone.\n", props)
    assert fields["assessment"].value is None
    assert fields["procedure"].value is None
    # "N/A" says the question does not apply: an answer, kept as written
    fields = fill("PROCEDURE: N/A\n", props)
    assert fields["procedure"].value == "N/A" and fields["procedure"].grounded


def test_lists_become_arrays_of_strings_and_of_objects():
    text = "MEDICATIONS:\n1. Lisinopril 10 mg daily.\n2. Metformin 500 mg twice a day.\nPLAN:\nx\n"
    fields = fill(text, {"medications": {"type": "array", "items": {"type": "string"},
                                         "description": "Current medications."}})  # fmt: skip
    assert fields["medications"].value == ["Lisinopril 10 mg daily", "Metformin 500 mg twice a day"]
    assert fields["medications"].grounded
    inline = fill("Medications: aspirin 81 mg, Norvasc 5 mg, 1 tablet daily, and Tylenol\n",
                  {"medications": {"type": "array", "items": {"type": "string"}}})  # fmt: skip
    assert inline["medications"].value == ["aspirin 81 mg", "Norvasc 5 mg, 1 tablet daily",
                                           "Tylenol"]  # fmt: skip
    objects = fill(text, {"medications": {"type": "array", "items": {
        "type": "object", "properties": {"name": {"type": "string"}, "dose": {"type": "string"}}}}})
    assert objects["medications"].value[0] == {"name": "Lisinopril 10 mg daily"}
    assert objects["medications"].valid


def test_a_list_goes_on_under_its_own_sub_heading_and_leaves_out_unnamed_items():
    text = ("DRUGS:\n1. Warfarin 3 mg nightly.\n2. An inhaler, unsure which.\n"
            "AS NEEDED DRUGS:\n1. Ibuprofen 200 mg.\nDEFECTS:\n1. Cracked tile.\n")  # fmt: skip
    props = {"drugs": {"type": "array", "items": {"type": "string"}, "title": "Drugs"}}
    assert fill(text, props)["drugs"].value == ["Warfarin 3 mg nightly", "Ibuprofen 200 mg"]


def test_a_medication_list_written_as_prose_gives_its_doses_not_its_clauses():
    props = {"medications": {"type": "array", "items": {"type": "string"}}}
    prose = ("MEDICATIONS:\nShe is now taking ramipril 5 mg, which was started by her GP. "
             "Her cough and cetirizine 10 mg at night, plus insulin 8 to 12 units before meals.\n")
    fields = fill(prose, props)
    assert fields["medications"].value == ["ramipril 5 mg", "cetirizine 10 mg",
                                           "insulin 8 to 12 units"]  # fmt: skip
    assert fields["medications"].grounded
    # A list that is a list keeps its items whole, dose or not.
    listed = fill("MEDICATIONS:\nramipril 5 mg daily, cetirizine at night\n", props)
    assert listed["medications"].value == ["ramipril 5 mg daily", "cetirizine at night"]


def test_a_field_asking_for_a_lists_item_does_not_take_a_sentence_of_prose():
    props = {"diagnosis": {"type": "string",
                           "description": "The first item of the impression list."},
             "history": {"type": "string", "description": "The history as told."}}  # fmt: skip
    prose = "IMPRESSION:\nHe has a long history of knee pain and now a swollen joint.\n"
    assert fill(prose, props)["diagnosis"].value is None
    listed = "IMPRESSION:\n1. Septic arthritis of the left knee.\n2. Gout.\n"
    assert fill(listed, props)["diagnosis"].value == "Septic arthritis of the left knee"
    twice = ("IMPRESSION:\nAn unremarkable scan, see the report below.\nREPORT:\nx\n"
             "IMPRESSION:\n1. Septic arthritis of the left knee.\n")  # fmt: skip
    assert fill(twice, props)["diagnosis"].value == "Septic arthritis of the left knee"
    told = "HISTORY:\nShe was well until last week.\n"
    assert fill(told, props)["history"].value == "She was well until last week"


def test_an_age_joined_to_its_label_word_beats_a_later_number():
    props = {"age": {"type": "integer", "description": "The patient's age, in years."}}
    text = "PLAN: A 61-year-old woman, gravida 3, seen again today.\n"
    assert fill(text, props)["age"].value == 61


def test_a_reading_in_the_unit_the_schema_names_beats_a_bare_number():
    props = {"sat": {"type": "integer", "description": "Oxygen saturation, percent."}}
    text = ("Cord gas: pH 7.30, oxygen saturation of 48, base excess -3.\n"
            "Chest clear, oxygen saturation was then 95% on air.\n")  # fmt: skip
    assert fill(text, props)["sat"].value == 95
    bare = "Chest clear, oxygen saturation of 96 on air.\n"
    assert fill(bare, props)["sat"].value == 96


def test_grounded_means_the_evidence_span_is_in_the_source():
    source = "Re-inspection\n  due on 28/09/2026, exam-\nple"
    assert evidence_span("Re-inspection due on 28/09/2026", source) == (0, 33)
    assert occurs_in("example", source)
    assert not occurs_in("due on 29/09/2026", source)


def test_templates_take_arrays_and_objects_and_refuse_what_is_not_a_schema():
    check_template_schema({"type": "object", "properties": {
        "meds": {"type": "array", "items": {"type": "object", "properties": {
            "name": {"type": "string"}}}},
        "address": {"type": "object", "properties": {"town": {"type": "string"}}}}}, "t")
    refused_schemas = (
        ([], "not a JSON object"),
        ({"type": "array"}, "not a template"),
        ({"type": "object", "properties": {"a": {"type": "strng"}}}, "unknown type"),
        ({"type": "object", "properties": {"a": {"$ref": "#/x"}}}, "$ref"),
    )
    for bad, words in refused_schemas:
        with pytest.raises(BadInput) as refused:
            check_template_schema(bad, "t.json")
        assert words in str(refused.value) and "\n" not in str(refused.value)


def test_one_template_over_many_documents_is_one_audited_table(vault, tmp_path):
    from app import jobs
    from app.audit.log import read_events

    ids = []
    for number, text in enumerate(("Inspector: Ann Lee\n", "Nothing here.\n")):
        note = tmp_path / f"note{number}.txt"
        note.write_text(text, encoding="utf-8")
        document_id = jobs.import_document(vault, note)
        result = jobs.extract(vault, None, document_id, "building-inspection")
        ids.append((note.name, result.result_id))
    out = tmp_path / "table.csv"
    digest = tables.export_table(vault, ids, out)
    rows = list(csv.reader(out.read_text("utf-8-sig").splitlines()))
    column = rows[0].index("inspector_name")
    assert rows[0][0] == "document" and rows[0][column + 1] == "inspector_name (review)"
    assert [row[0] for row in rows[1:]] == ["note0.txt", "note1.txt"]
    assert rows[1][column : column + 2] == ["Ann Lee", "grounded"]
    assert rows[2][column : column + 2] == ["", "not found"]
    exported = [e for e in read_events(vault) if e.action == "result.export"]
    assert {e.object_id for e in exported} == {str(i) for _, i in ids}
    assert all(e.details["sha256"] == digest for e in exported)
    xlsx = tmp_path / "table.xlsx"
    tables.export_table(vault, ids, xlsx)
    from openpyxl import load_workbook

    sheet = load_workbook(xlsx).active
    assert sheet.cell(2, column + 1).value == "Ann Lee" and sheet.max_row == 3
    with pytest.raises(BadInput):
        tables.export_table(vault, ids, tmp_path / "table.txt")
    assert json.dumps(rows)  # plain strings only


def test_the_vault_setting_fixes_the_date_order(vault, tmp_path):
    from app import jobs
    from app.jobs.fieldparse import DATE_ORDER_SETTING
    from app.jobs.templates import save_template

    save_template(vault, "dated", {"type": "object", "properties": {
        "inspection_date": {"type": "string", "format": "date", "description": "When."}}})
    note = tmp_path / "dated.txt"
    note.write_text("Inspection date: 03/04/2026\n", encoding="utf-8")
    document_id = jobs.import_document(vault, note)
    for order, iso in (("MDY", "2026-03-04"), ("DMY", "2026-04-03")):
        with vault.transaction() as tx:
            tx.set_setting(DATE_ORDER_SETTING, order)
        result = jobs.extract(vault, None, document_id, "dated")
        assert result.content["fields"]["inspection_date"]["value"] == iso


def test_a_heading_naming_the_field_gives_way_to_the_label_that_has_its_value():
    # "INSPECTOR DETAILS" names the field better than the longer label under it, but has no
    # value of its own: the next-best label does.
    text, pages = ocr_page([
        ("INSPECTOR DETAILS:", [10, 10, 200, 24]),
        ("NAME OF LEAD INSPECTOR: Rosa Diaz", [10, 30, 330, 44]),
        ("OFFICE PHONE: 555 0182", [10, 50, 250, 64]),
    ])  # fmt: skip
    props = {"inspector": {"type": "string", "description": "Name of the inspector"},
             "phone": {"type": "string", "description": "Office phone number"}}  # fmt: skip
    fields = fill(text, props, pages=pages)
    assert (fields["inspector"].value, fields["phone"].value) == ("Rosa Diaz", "555 0182")


def test_a_schema_of_property_names_alone_finds_labels_ocr_garbled_or_capitalised():
    text, pages = ocr_page([
        ("Depaitment FIELD SERVICES", [10, 10, 260, 24]),  # OCR read an "r" as an "i"
        ("Ref 7781", [10, 30, 100, 44]),
        ("Notes: the depaitment van was late", [10, 50, 330, 64]),
    ])  # fmt: skip
    props = {"department": {"type": "string"}, "ref": {"type": "string"}}
    fields = fill(text, props, pages=pages)
    assert (fields["department"].value, fields["ref"].value) == ("FIELD SERVICES", "7781")
    # A word of a sentence in lower case is no label, however like the name it reads.
    text, pages = ocr_page([("Notes: the depaitment van was late", [10, 10, 330, 24])])
    assert fill(text, {"department": {"type": "string"}}, pages=pages)["department"].value is None
    text, pages = ocr_page([("REMARKS: This sample is kept for audit", [10, 10, 330, 24])])
    props = {"remarks": {"type": "string"}, "sample": {"type": "string"}}
    fields = fill(text, props, pages=pages)
    assert (fields["remarks"].value, fields["sample"].value) == ("This sample is kept for audit",
                                                                 None)  # fmt: skip


def test_a_number_that_ends_a_property_name_is_part_of_its_label_unless_a_single_digit():
    # "date_2" is the second date; "bay_14" is the label "bay 14", not a second "bay".
    text, pages = ocr_page([
        ("Bay 14: 3", [10, 10, 150, 24]),
        ("Bay 22: 9", [10, 30, 150, 44]),
    ])  # fmt: skip
    props = {"bay_14": {"type": "string"}, "bay_22": {"type": "string"}}
    fields = fill(text, props, pages=pages)
    assert (fields["bay_14"].value, fields["bay_22"].value) == ("3", "9")


def test_a_description_as_short_as_a_label_is_one_even_garbled_by_ocr():
    text, pages = ocr_page([
        ("PAGER NUMBFR 555 0101", [10, 10, 250, 24]),  # OCR read an "E" as an "F"
        ("What happened: van late", [10, 30, 250, 44]),
    ])  # fmt: skip
    props = {"f1": {"type": "string", "description": "The pager number."},
             "f2": {"type": "string", "description": "What happened, as written."}}  # fmt: skip
    fields = fill(text, props, pages=pages)
    # A description that explains is no label: "What happened" is not looked for.
    assert (fields["f1"].value, fields["f2"].value) == ("555 0101", None)


def test_fields_described_alike_take_their_labels_places_in_order():
    text, pages = ocr_page([
        ("DATE: 3/4/21", [10, 10, 150, 24]),
        ("CHECKED BY: A. Ray", [10, 30, 200, 44]),
        ("DATE: 9/4/21", [10, 50, 150, 64]),
    ])  # fmt: skip
    props = {"opened": {"type": "string", "description": "Date"},
             "checker": {"type": "string", "description": "Checked by"},
             "closed": {"type": "string", "description": "Date"}}  # fmt: skip
    fields = fill(text, props, pages=pages)
    assert (fields["opened"].value, fields["closed"].value) == ("3/4/21", "9/4/21")
