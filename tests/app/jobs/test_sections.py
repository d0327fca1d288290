"""Sectioning by structure: headings, dated entries, numbered items, page breaks."""

from __future__ import annotations

from app.jobs.sections import (
    citation_code,
    join_wrapped_lines,
    section_kind,
    split_sections,
    split_sentences,
)

CASE_FILE = """\
RIVERSIDE NURSING — CONFIDENTIAL
Visit 1 — 02/03/2026
Seen at home. Ramipril 5 mg started.
1. Check BP weekly.
2. Review bloods.
RIVERSIDE NURSING — CONFIDENTIAL
Visit 2 — 09/03/2026
BP 128/80. Dizzy on standing.
"""


def _check_offsets(text, sections):
    assert [s.id for s in sections] == [f"S{n}" for n in range(1, len(sections) + 1)]
    for section in sections:
        assert section.text == text[section.start : section.end]
        assert section.text == section.text.strip()


def test_dated_entries_split_and_a_repeated_letterhead_does_not():
    sections = split_sections(CASE_FILE)
    _check_offsets(CASE_FILE, sections)
    assert [s.title for s in sections] == ["Visit 1 — 02/03/2026", "Visit 2 — 09/03/2026"]
    assert sections[0].text.startswith("RIVERSIDE NURSING")  # the letterhead, not a section
    assert "2. Review bloods." in sections[0].text  # the numbered plan stays in its visit


def test_markdown_caps_and_title_lines_are_headings():
    text = "# Report\nIntro line.\n\nFINDINGS\nCrack in wall.\n\nRecommendations:\nRepair it.\n"
    sections = split_sections(text)
    _check_offsets(text, sections)
    assert [s.title for s in sections] == ["Report", "FINDINGS", "Recommendations"]
    assert sections[1].text == "FINDINGS\nCrack in wall."


def test_a_label_with_a_value_is_not_a_heading():
    text = "Address: 14 Harbour Road\nInspector: Maria Lindqvist\nCondition: fair\n"
    assert len(split_sections(text)) == 1


def test_numbered_items_split_a_document_without_headings():
    text = "1. Roof tiles missing.\n2. Gutter blocked.\n3) Fence leaning."
    sections = split_sections(text)
    _check_offsets(text, sections)
    assert [s.text for s in sections] == [
        "1. Roof tiles missing.",
        "2. Gutter blocked.",
        "3) Fence leaning.",
    ]


def test_page_breaks_always_split():
    text = "First page text.\n\f\nSecond page text.\n\f\n\f\nThird."
    sections = split_sections(text)
    _check_offsets(text, sections)
    assert [s.title for s in sections] == ["First page text.", "Page 2", "Page 4"]
    assert sections[2].text == "Third."


def test_a_bare_heading_joins_the_entry_below_it():
    text = (
        "VISIT THREE\n12 March 2026 home visit\nWound dressed.\n\nVISIT FOUR\n19 March 2026\nWell."
    )
    sections = split_sections(text)
    _check_offsets(text, sections)
    assert [s.title for s in sections] == [
        "VISIT THREE — 12 March 2026 home visit",
        "VISIT FOUR — 19 March 2026",
    ]


def test_blank_text_has_no_sections():
    assert split_sections("") == []
    assert split_sections(" \n\f\n ") == []


def test_sentences_respect_abbreviations_decimals_and_lines():
    text = "Seen by Dr. Chen at 10.30. Temp 37.2 today! Ref no. BI-5521\nNext line"
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == [
        "Seen by Dr. Chen at 10.30.",
        "Temp 37.2 today!",
        "Ref no. BI-5521",
        "Next line",
    ]


def test_an_all_caps_label_with_text_after_it_opens_a_section():
    text = "HISTORY: Fell at home.\nVITAL SIGNS: BP 150/90, pulse 96.\nPLAN: Review in 1 week."
    sections = split_sections(text)
    _check_offsets(text, sections)
    assert [s.title for s in sections] == ["HISTORY", "VITAL SIGNS", "PLAN"]
    assert [section_kind(s) for s in sections] == ["history", "vitals_labs", "plan"]


def test_a_cited_section_opens_a_finding_titled_with_its_code_and_name():
    text = (
        "3.125(a) Repeat\nFacilities, general.\nThe fence was broken.\nCorrect by 2 May 2025.\n\n"
        "3.131(c)\nSANITATION: PESTS.\nMice were seen in the feed store.\n"
    )
    sections = split_sections(text)
    _check_offsets(text, sections)
    assert [s.title for s in sections] == [
        "3.125(a) Repeat Facilities, general",
        "3.131(c) SANITATION: PESTS",  # the name is no heading of its own
    ]
    assert [section_kind(s) for s in sections] == ["citation", "citation"]
    assert citation_code("2.40(b)(2) Critical") == "2.40(b)(2)"
    assert citation_code("3.5 metres of fence") is None


def test_diagnosis_headings_of_every_form_are_one_kind():
    for heading in ("IMPRESSION:", "PREOPERATIVE DIAGNOSIS:", "DISCHARGE DIAGNOSES:",
                    "ASSESSMENT AND PLAN:"):  # fmt: skip
        (section,) = split_sections(f"{heading}\n1. Pneumonia.")
        assert section_kind(section) == "diagnoses", heading


def test_lines_wrapped_mid_sentence_are_joined_and_nothing_else():
    text = (
        "The trailer had exposed electric wires and cords running along both upper sides, and a\n"
        "light fixture without a cover was found beside the door of the animal compartment.\n"
        "Correct by August 5, 2014.\n"
        "Seen today for review of\n"
        "her blood pressure.\n"
        "PLAN:\n"
        "1. Recheck in two weeks\n"
        "2. Bloods\n"
    )
    joined = join_wrapped_lines(text)
    assert len(joined) == len(text)  # offsets hold
    lines = joined.splitlines()
    assert lines[0].endswith("and a light fixture without a cover was found beside the door "
                             "of the animal compartment.")  # fmt: skip
    assert lines[1:] == [
        "Correct by August 5, 2014.",
        "Seen today for review of her blood pressure.",
        "PLAN:",
        "1. Recheck in two weeks",
        "2. Bloods",
    ]
