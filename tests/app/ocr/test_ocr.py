"""OCR on images generated here: printed pages, handwritten notes, turned pages, layouts."""

from __future__ import annotations

import io
import json
import logging
import os
import random
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from app.cancel import CancelToken
from app.errors import BadInput, Cancelled
from app.ocr import REVIEW_BELOW, OcrPage, ocr_version, recognize
from app.paths import assets_dir
from tests.app.ocr.notes import (
    HANDWRITING_FONTS,
    PRINTED_FONT,
    available_fonts,
    character_error_rate,
    render_note,
    render_printed,
)

_REPO = Path(__file__).resolve().parents[3]
_EXIF_ORIENTATION = 0x0112
_VISIT = ["Blood pressure 142/91 at rest", "Ramipril 5 mg once daily", "", "Review on 12/03/2025"]


def _encode(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _assert_visit(page: OcrPage) -> None:
    assert [line.text for line in page.lines] == [line for line in _VISIT if line]
    assert page.paragraphs == [[0, 1], [2]]
    assert (
        page.text
        == "Blood pressure 142/91 at rest\nRamipril 5 mg once daily\n\nReview on 12/03/2025"
    )


def test_printed_page_lines_paragraphs_and_boxes():
    image = render_printed(_VISIT)
    width, height = Image.open(io.BytesIO(image)).size
    page = recognize(image)
    _assert_visit(page)
    assert page.engine == ocr_version()
    assert page.engine.startswith("rapidocr 3.")
    assert "PP-OCRv6" in page.engine
    tops = []
    for line in page.lines:
        x0, y0, x1, y1 = line.box
        assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height
        assert 0.95 <= line.confidence <= 1.0
        assert not line.needs_review
        tops.append(y0)
    assert tops == sorted(tops)
    assert page.lines[0].box[0] < 100 < page.lines[0].box[2]  # text starts at x = 60


def test_a_row_of_cells_keeps_each_cell_where_it_stands():
    # One printed row, its cells far apart: one line of text, and each cell's own box.
    page = recognize(render_printed(["Hardness" + " " * 12 + "2.75" + " " * 12 + "3.10"]))
    (line,) = page.lines
    assert line.text == "Hardness 2.75 3.10"
    starts = [start for start, _ in line.parts]
    assert [line.text[start:].split()[0] for start in starts] == ["Hardness", "2.75", "3.10"]
    lefts = [box[0] for _, box in line.parts]
    assert lefts == sorted(lefts) and lefts[0] == line.box[0]
    assert all(line.box[1] <= box[1] < box[3] <= line.box[3] for _, box in line.parts)


def test_handwritten_notes_are_read_within_a_cer_bound():
    assert available_fonts() == list(HANDWRITING_FONTS), "tests/fonts/ is incomplete"
    fonts = random.Random(7).sample(HANDWRITING_FONTS, 6)
    notes = [
        render_note(seed, font, style)
        for seed, font, style in zip(
            range(6), fonts, ["scan", "scan", "ruled", "ruled", "photo", "photo"], strict=True
        )
    ]
    errors = [character_error_rate(note.text, recognize(note.image).text) for note in notes]
    # RapidOCR's defaults make about 0.04 on such notes, our pipeline about 0.02.
    assert sum(errors) / len(errors) <= 0.05, errors
    assert max(errors) <= 0.15, errors


def test_ruled_paper_under_a_line_is_not_read_as_a_line_of_its_own():
    # The bundled sample: its descenders cross the ruling, which leaves a thin row of ink under
    # each line; read on its own, each such row came back as a line of junk.
    samples = assets_dir() / "samples"
    written = runpy.run_path(str(samples / "make_samples.py"))["NOTE"]
    page = recognize((samples / "handwritten-note.png").read_bytes())
    assert len(page.lines) == len(written), [line.text for line in page.lines]
    assert character_error_rate("\n".join(written), page.text) <= 0.05


def test_notes_side_by_side_on_one_wide_page_are_read():
    # Each row of ink runs across all five notes: too long and thin to read whole, it was
    # refused by RapidOCR ("ResizeImgError") and the whole page failed.
    note = Image.open(assets_dir() / "samples" / "handwritten-note.png")
    page_image = Image.new("L", (5 * note.width, note.height), 250)
    for column in range(5):
        page_image.paste(note, (column * note.width, 0))
    page = recognize(_encode(page_image))
    assert page.text.count("community nurse") == 5, page.text


@pytest.mark.parametrize(
    "transpose",
    [Image.Transpose.ROTATE_180, Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_270],
    ids=["upside-down", "turned-left", "turned-right"],
)
def test_turned_page_reads_upright_with_boxes_on_the_image_as_given(transpose):
    turned = Image.open(io.BytesIO(render_printed(_VISIT))).transpose(transpose)
    page = recognize(_encode(turned))
    _assert_visit(page)
    width, height = turned.size
    first = page.lines[0].box
    # The first line's box lies along the edge the page's top was turned to.
    if transpose == Image.Transpose.ROTATE_180:
        assert first[3] > height * 0.6
    elif transpose == Image.Transpose.ROTATE_90:  # counter-clockwise: top is now on the left
        assert first[2] < width * 0.4 and first[3] - first[1] > first[2] - first[0]
    else:
        assert first[0] > width * 0.6 and first[3] - first[1] > first[2] - first[0]


def test_exif_orientation_of_a_photo_is_applied_first():
    upright = Image.open(io.BytesIO(render_printed(_VISIT))).convert("RGB")
    exif = Image.Exif()
    exif[_EXIF_ORIENTATION] = 8  # stored turned clockwise; display turns it back
    stored = upright.transpose(Image.Transpose.ROTATE_270)
    page = recognize(_encode(stored, "JPEG", quality=92, exif=exif))
    _assert_visit(page)
    assert page.lines[0].box[2] - page.lines[0].box[0] > 400  # boxes on the upright image


def _page_with_text(size: tuple[int, int], lines: list[str], font_size: int) -> Image.Image:
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(PRINTED_FONT, font_size)
    for row, line in enumerate(lines):
        draw.text((100, 100 + row * font_size * 2), line, font=font, fill=0)
    return image


def test_large_photo_is_read_reduced_with_boxes_in_its_own_pixels():
    lines = ["Moisture 21% at skirting", "Recheck by 14/06"]
    image = _page_with_text((2600, 1800), lines, 90)
    page = recognize(_encode(image))
    assert [line.text for line in page.lines] == lines
    x0, y0, x1, y1 = page.lines[0].box
    assert 60 < x0 < 100 < 1000 < x1 < 1300 and 60 < y0 < 110 < y1 < 220


def test_small_print_on_a_large_page_is_read_at_full_size():
    lines = ["Item 1: wall section 7 inspected, moisture 11% ok", "Item 2: lintel cracked 3 mm"]
    page = recognize(_encode(_page_with_text((1700, 2200), lines, 22)))  # 8 pt at 200 dpi
    assert [line.text for line in page.lines] == lines


def test_two_columns_under_a_title_read_column_by_column():
    font = ImageFont.truetype(PRINTED_FONT, 30)
    image = Image.new("L", (1400, 500), 255)
    draw = ImageDraw.Draw(image)
    draw.text((60, 40), "Site report for the north wing", font=font, fill=0)
    left = ["Left column line one", "left column line two", "left column line three"]
    right = ["Right column first", "right column second", "right column third"]
    for row, (left_text, right_text) in enumerate(zip(left, right, strict=True)):
        draw.text((60, 150 + row * 50), left_text, font=font, fill=0)
        draw.text((760, 150 + row * 50), right_text, font=font, fill=0)
    page = recognize(_encode(image))
    assert [line.text for line in page.lines] == ["Site report for the north wing", *left, *right]
    assert page.paragraphs == [[0], [1, 2, 3], [4, 5, 6]]


def test_doubtful_line_is_kept_and_flagged_for_review():
    font = ImageFont.truetype(PRINTED_FONT, 34)
    image = Image.new("L", (1000, 260), 255)
    ImageDraw.Draw(image).text((40, 40), "Recheck the smoke alarm", font=font, fill=0)
    rng = random.Random(3)
    x = 40
    for char in "Recheck the smoke alarm":  # the same words, letters tumbled every which way
        glyph = Image.new("L", (50, 60), 0)
        ImageDraw.Draw(glyph).text((8, 8), char, font=font, fill=255)
        glyph = glyph.rotate(rng.uniform(-50, 50), resample=Image.Resampling.BICUBIC)
        image.paste(0, (x, 160 + rng.randint(-10, 10)), glyph)
        x += int(font.getlength(char)) + 4
    clear, tumbled = recognize(_encode(image)).lines
    assert clear.text == "Recheck the smoke alarm"
    assert not clear.needs_review
    assert tumbled.confidence < REVIEW_BELOW
    assert tumbled.needs_review


def test_sixteen_bit_grey_scan_is_scaled_not_clipped():
    grey = Image.open(io.BytesIO(render_printed(_VISIT))).convert("L")
    sixteen = Image.fromarray(np.asarray(grey, dtype=np.uint16) * 257)  # 0..65535
    assert sixteen.mode == "I;16"
    _assert_visit(recognize(_encode(sixteen)))


def test_blank_page_has_no_lines():
    page = recognize(_encode(Image.new("L", (800, 600), 250)))
    assert (page.lines, page.paragraphs, page.text) == ([], [], "")


def test_bad_image_is_a_bad_input():
    with pytest.raises(BadInput, match=r"^scan\.png: "):
        recognize(b"\x89PNG\r\n\x1a\nnot really", source="scan.png")


def test_cancelled_before_reading():
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        recognize(render_printed(["Anything"]), cancel=token)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_rapidocr_logs_reach_our_logger_from_the_worker_and_stay_quiet():
    collect = _Collect()
    ours = logging.getLogger("fieldscribe.ocr")
    ours.addHandler(collect)
    level = ours.level
    ours.setLevel(logging.INFO)
    try:
        recognize(_encode(Image.new("L", (64, 64), 255)))  # RapidOCR warns: nothing detected
    finally:
        ours.removeHandler(collect)
        ours.setLevel(level)
    # Its chatter (which file, which engine) stays in the worker; its warning arrives as INFO.
    assert [(r.name, r.levelno, r.getMessage()) for r in collect.records] == [
        ("fieldscribe.ocr", logging.INFO, "The text detection result is empty"),
    ]


_OFFLINE_CHILD = """
import json, sys, threading
connections = []
def watch(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "urllib.Request"):
        connections.append(event)
sys.addaudithook(watch)
from app.ocr import reading
from tests.app.ocr.notes import render_printed
# Here, not in the OCR worker process, so that the audit hook sees all RapidOCR does.
page = reading.read_page(render_printed(["Offline reading works"]), "page", threading.Event())
print(json.dumps({"text": page.text, "connections": connections}))
"""


def test_reads_with_the_network_unreachable_and_never_tries_it():
    dead_proxy = "http://127.0.0.1:9"  # the discard port: nothing listens there
    env = {
        **os.environ,
        "HTTP_PROXY": dead_proxy,
        "HTTPS_PROXY": dead_proxy,
        "ALL_PROXY": dead_proxy,
        "NO_PROXY": "",
    }
    done = subprocess.run(
        [sys.executable, "-c", _OFFLINE_CHILD],
        cwd=_REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"text": "Offline reading works", "connections": []}
    assert "Download" not in done.stderr
