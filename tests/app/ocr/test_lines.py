"""Handwritten lines found in the ink and read whole: strips, notes, ruled paper, scribbles."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from app.ingest.images import decode_image
from app.ocr import REVIEW_BELOW, recognize
from app.ocr.lines import find_lines, ink_mask
from app.ocr.preprocess import prepare
from tests.app.ocr.notes import (
    HANDWRITING_FONTS,
    PRINTED_FONT,
    character_error_rate,
    render_note,
    render_strip,
)


def _grey(image: bytes) -> np.ndarray:
    return prepare(decode_image(image, "page"))


def test_a_strip_of_one_handwritten_line_is_read_whole():
    text = "Ramipril 5 mg once daily, review in two weeks"
    for seed, font in enumerate(HANDWRITING_FONTS[:3]):
        image = render_strip(text, font, seed)
        width = Image.open(io.BytesIO(image)).width
        page = recognize(image)
        assert len(page.lines) == 1, page.text
        x0, _, x1, _ = page.lines[0].box
        assert x1 - x0 > 0.8 * width  # one line, not fragments
        assert character_error_rate(text, page.text) <= 0.1, page.text


def test_each_written_line_of_a_note_is_one_line_of_ink():
    for seed, font in enumerate(HANDWRITING_FONTS[:4]):
        note = render_note(seed, font, "scan")
        assert len(find_lines(ink_mask(_grey(note.image)))) == len(note.lines), font


def test_ruled_lines_alone_are_not_ink():
    page = Image.new("L", (1000, 700), 245)
    draw = ImageDraw.Draw(page)
    for y in range(80, 700, 70):
        draw.line([(0, y), (1000, y)], fill=150, width=2)
    buffer = io.BytesIO()
    page.save(buffer, "PNG")
    assert find_lines(ink_mask(_grey(buffer.getvalue()))) == []
    assert recognize(buffer.getvalue()).text == ""


def test_an_image_with_ink_is_never_read_as_empty():
    # Scribbles: no detector finds text in them, yet the page has ink, so its best reading
    # comes back, flagged for a person to check.
    rng = np.random.default_rng(1)
    page = Image.new("L", (900, 120), 255)
    draw = ImageDraw.Draw(page)
    for x in range(20, 820, 20):
        points = [(x + rng.uniform(0, 20), 40 + rng.uniform(0, 40)) for _ in range(4)]
        draw.line(points, fill=60, width=3)
    buffer = io.BytesIO()
    page.save(buffer, "PNG")
    result = recognize(buffer.getvalue())
    assert result.text.strip()
    assert all(line.needs_review and line.confidence < REVIEW_BELOW for line in result.lines)


def test_a_forms_label_and_its_answer_far_along_the_row_stay_two_lines():
    # Printed labels, handwritten answers half a page to their right: read as one row of ink
    # they ran together ("Site address:12Mill Lane"), and the form lost its geometry.
    rows = [("Date of visit:", "4 March 2026"), ("Inspector:", "Grace Okafor"),
            ("Site address:", "12 Mill Lane")]  # fmt: skip
    for font_path in HANDWRITING_FONTS[:5]:
        page = Image.new("L", (1400, 80 * len(rows) + 60), 255)
        draw = ImageDraw.Draw(page)
        printed = ImageFont.truetype(PRINTED_FONT, 26)
        handwritten = ImageFont.truetype(font_path, 34)
        for row, (label, answer) in enumerate(rows):
            draw.text((40, 40 + 80 * row), label, font=printed, fill=0)
            draw.text((700, 36 + 80 * row), answer, font=handwritten, fill=20)
        buffer = io.BytesIO()
        page.save(buffer, "PNG")
        lines = recognize(buffer.getvalue()).lines
        labels = [line for line in lines if line.box[2] < 700]
        assert [line.text for line in labels] == [label for label, _ in rows], font_path
        assert len(lines) == 2 * len(rows), [line.text for line in lines]
