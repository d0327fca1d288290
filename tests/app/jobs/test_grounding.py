"""Facts in text and whether a source states them: what keeps summaries and fields honest."""

from __future__ import annotations

from app.jobs.grounding import find_facts, occurs_in, read_unsurely, ungrounded

SOURCE = (
    "Visit 2 — 12/03/2026\n"
    "Mrs Patel was seen by Nurse Amy Chen. BP 142/91, pulse 78 bpm, weight 81.5 kg.\n"
    "Furosemide 40 mg once daily was started. Review on 26 March 2026.\n"
)


def test_facts_are_typed_and_keep_their_source_text():
    facts = {(fact.kind, fact.text) for fact in find_facts(SOURCE)}
    assert ("date", "12/03/2026") in facts
    assert ("date", "26 March 2026") in facts
    assert ("measurement", "142/91") in facts
    assert ("measurement", "78 bpm") in facts
    assert ("dose", "40 mg") in facts
    assert ("name", "Nurse Amy Chen") in facts
    assert ("name", "Furosemide") in facts  # a drug opening a sentence, before its dose


def test_a_faithful_restatement_is_grounded_whatever_the_spelling():
    summary = "12 March 2026: Furosemide 40mg started for Mrs Patel; BP 142/91, 81.5 kg. [S1]"
    assert ungrounded(summary, SOURCE) == []


def test_invented_numbers_dates_doses_and_names_are_listed():
    summary = (
        "On 13/03/2026 Dr Smith started Furosemide 80 mg; pulse 78 bpm, weight 81 kg, "
        "review on 26 March 2026."
    )
    assert ungrounded(summary, SOURCE) == ["13/03/2026", "Dr Smith", "80 mg", "81 kg"]


def test_a_number_with_another_unit_is_another_fact():
    assert ungrounded("Weight 78 kg.", SOURCE) == ["78 kg"]
    assert ungrounded("Pulse 78.", SOURCE) == []  # a bare number the source has


def test_section_citations_are_not_facts():
    assert ungrounded("Furosemide was started [S2]. [S1, S3]", SOURCE) == []


def test_ordinary_sentence_openers_are_not_names():
    assert ungrounded("The patient was well. Observations stable.", "patient seen") == []


def test_evidence_must_be_a_passage_of_the_source():
    assert occurs_in("pulse 78 bpm", SOURCE)
    assert occurs_in("Visit 2 —\n  12/03/2026", SOURCE)  # line breaks and spaces aside
    assert not occurs_in("pulse 79 bpm", SOURCE)
    assert not occurs_in("   ", SOURCE)


def test_units_and_leads_written_inside_words_are_not_names():
    source = "Potassium chloride 20 mEq daily. BP 150/90 mmHg. T waves flat in aVL. i-STAT done."
    summary = "Potassium chloride 20 mEq daily; BP 150/90 mmHg; T waves flat in aVL; i-STAT done."
    assert ungrounded(summary, source) == []


def test_facts_stated_only_on_lines_the_ocr_doubted_are_listed_to_check():
    source = "Seen by Nurse Ivo Lark.\nBP 152/88 HR 96 Pulse 96 Cara Vell\nWeight 64 kg, HR 96\n"
    doubted_line = source.index("BP"), source.index("\nWeight")
    summary = "Nurse Ivo Lark: BP 152/88, HR 96, Pulse 96; weight 64 kg; seen with Cara Vell."
    # 152/88 and the name rest on the doubted line alone; 96 is written again on a line read
    # surely; "BP", "HR" and "Pulse" are the readings' labels, not facts.
    assert read_unsurely(summary, source, [doubted_line]) == ["152/88", "Cara Vell"]
    assert read_unsurely(summary, source, []) == []
