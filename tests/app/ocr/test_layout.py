"""Reading order and number repair on hand-made detections: no engine, no images."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.ocr.engine import Detection
from app.ocr.layout import reading_order, skew_degrees
from app.ocr.numbers import repair_blood_pressure, repair_numbers


def _fragment(text: str, x: float, y: float, width: float, height: float = 40, tilt=0.0):
    """A detection whose box starts at (x, y), turned by `tilt` degrees about the origin."""
    corners = np.array(
        [[x, y], [x + width, y], [x + width, y + height], [x, y + height]], np.float32
    )
    angle = math.radians(tilt)
    rotation = np.array(
        [[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]], np.float32
    )
    return Detection(corners @ rotation.T, text, 0.99)


def _texts(paragraphs) -> list[list[str]]:
    return [[line.text for line in paragraph] for paragraph in paragraphs]


def test_a_line_keeps_where_each_of_its_fragments_starts_and_lies():
    # A row of table cells: the text joins them with one space, the parts keep their gaps.
    fragments = [_fragment("Shelf B 4", 100, 100, 200), _fragment("2.5", 380, 100, 60),
                 _fragment(" 7.25 ", 520, 100, 80)]  # fmt: skip
    ((line,),) = reading_order(fragments[::-1])
    assert line.text == "Shelf B 4 2.5 7.25"
    assert line.parts(2000, 1000) == [
        (0, (100, 100, 300, 140)), (10, (380, 100, 440, 140)), (14, (520, 100, 600, 140))
    ]  # fmt: skip
    assert [line.text[start:].split()[0] for start, _ in line.parts(2000, 1000)] == [
        "Shelf", "2.5", "7.25"]  # fmt: skip


def test_tilted_lines_with_word_gaps_group_by_line_not_by_height():
    # At 5° the right end of a 1000-pixel line sits lower than the next line's left end.
    fragments = [
        _fragment(text, x, y, 250, tilt=5)
        for y, words in ((100, ("Visit", "on", "12/03")), (165, ("BP", "142/91", "seated")))
        for x, text in zip((100, 450, 800), words, strict=True)
    ]
    assert skew_degrees(fragments) == pytest.approx(5, abs=0.1)
    assert _texts(reading_order(fragments[::-1])) == [["Visit on 12/03", "BP 142/91 seated"]]


def test_far_apart_fields_on_one_row_stay_separate_lines_left_to_right():
    fragments = [_fragment("Date: 12/03", 1000, 102, 200), _fragment("Name: Okafor", 50, 100, 250)]
    assert _texts(reading_order(fragments)) == [["Name: Okafor", "Date: 12/03"]]


def test_a_number_printed_tall_beside_a_line_is_a_line_of_its_own():
    # A stamp or a turned number level with a form's line, a few heights along it.
    fragments = [
        _fragment("Sent to: R. Okafor", 50, 100, 300),
        _fragment("40213377", 450, 60, 60, height=140),
    ]
    texts = [text for paragraph in _texts(reading_order(fragments)) for text in paragraph]
    assert sorted(texts) == ["40213377", "Sent to: R. Okafor"]


def test_a_blank_line_starts_a_new_paragraph():
    fragments = [
        _fragment("first", 50, 100, 200),
        _fragment("second", 50, 160, 200),
        _fragment("after a gap", 50, 300, 300),
    ]
    assert _texts(reading_order(fragments)) == [["first", "second"], ["after a gap"]]


def test_columns_are_read_one_after_the_other():
    fragments = [
        _fragment(f"{side} {row}", x, 100 + 60 * row, 300)
        for row in range(3)
        for side, x in (("left", 50), ("right", 700))
    ]
    assert _texts(reading_order(fragments)) == [
        ["left 0", "left 1", "left 2"],
        ["right 0", "right 1", "right 2"],
    ]


def test_nothing_detected_reads_as_nothing():
    assert reading_order([]) == []


@pytest.mark.parametrize(
    ("read", "repaired"),
    [
        ("Ramipril 1O mg", "Ramipril 10 mg"),
        ("Pain 2/1O", "Pain 2/10"),
        ("on O7/04/2O25", "on 07/04/2025"),
        ("SpO2 94% on O2 2l", "SpO2 94% on O2 2l"),  # oxygen and litres stay as written
        ("lO weeks", "lO weeks"),  # no digit: not plainly a number
        ("I saw 3 of them", "I saw 3 of them"),
    ],
)
def test_letters_inside_numbers_are_repaired(read, repaired):
    assert repair_numbers(read) == repaired


@pytest.mark.parametrize(
    ("read", "repaired"),
    [
        ("BP 148192 HR 84", "BP 148/92 HR 84"),
        ("B/P: 90160 sitting", "B/P: 90/60 sitting"),
        ("bp 120180", "bp 120/80"),
        ("BP 110170", "BP 110/70"),  # the first 1 would leave a one-digit systolic
    ],
)
def test_a_blood_pressure_slash_read_as_1_is_restored_and_flagged(read, repaired):
    assert repair_blood_pressure(read) == (repaired, True)


@pytest.mark.parametrize(
    "read",
    [
        "BP 148/92 HR 84",  # already right
        "BP 14892",  # no 1 where a slash could be
        "BP 80190",  # 80/90 is no reading: the systolic pressure is the higher
        "BP 3001120",  # 300 is no systolic pressure
        "Ref 148192",  # no BP label: a number like any other
        "BP 1481920",  # 148/1920 and 1481/920: neither is plausible
    ],
)
def test_other_numbers_near_bp_are_left_as_read(read):
    assert repair_blood_pressure(read) == (read, False)
