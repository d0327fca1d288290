"""Handwritten lines found in the ink and read whole: strips, notes, ruled paper, scribbles."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw

from app.ingest.images import decode_image
from app.ocr import REVIEW_BELOW, recognize
from app.ocr.lines import find_lines, ink_mask
from app.ocr.preprocess import prepare
from tests.app.ocr.notes import (
    HANDWRITING_FONTS,
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
