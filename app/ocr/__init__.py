"""OCR: a page image becomes lines of text in reading order, each with a confidence and a box.

RapidOCR 3.x (PP-OCRv6 detection and recognition, shipped in its wheel) reads the lines; this
package adds what it lacks: page orientation, preprocessing, reading order and paragraphs, and
a review flag on doubtful lines.

The reading runs in a worker process (app/ocr/service.py), started on first use (or by
`warm_up()`) and kept warm: importing RapidOCR, onnxruntime and OpenCV, creating the ONNX
sessions and much of a page's pre- and post-processing hold the GIL, which in the desktop app's
process stalled the event loop. This module imports none of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from app.ocr.service import (
    find_pdf_text,
    parse_pages,
    recognize,
    render_pdf_page,
    shutdown,
    warm_up,
)

__all__ = [
    "OcrLine",
    "OcrPage",
    "find_pdf_text",
    "ocr_version",
    "parse_pages",
    "recognize",
    "render_pdf_page",
    "shutdown",
    "warm_up",
]

DETECTION_MODEL = "PP-OCRv6_det_small.onnx"
RECOGNITION_MODEL = "PP-OCRv6_rec_small.onnx"
# Never used (we turn pages, not lines; see reading.py), but named so nothing is ever fetched.
LINE_CLASSIFIER_MODEL = "ch_ppocr_mobile_v2.0_cls_mobile.onnx"

# Bumped whenever preprocessing or layout changes what the same image yields (provenance).
PIPELINE_VERSION = 1

# Lines below this are kept but flagged for a person to check. On handwritten notes it flags
# about 8 % of lines, two in three of them misread (bench/ocr.py's notes).
REVIEW_BELOW = 0.93


@dataclass(frozen=True)
class OcrLine:
    text: str
    confidence: float  # 0..1
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in the upright page image's pixels
    needs_review: bool  # confidence below REVIEW_BELOW


@dataclass(frozen=True)
class OcrPage:
    lines: list[OcrLine]  # in reading order
    paragraphs: list[list[int]]  # indices into lines
    text: str  # lines joined, paragraphs separated by a blank line
    engine: str  # provenance, e.g. "rapidocr 3.10.0 PP-OCRv6_det_small PP-OCRv6_rec_small; …"


def ocr_version() -> str:
    rapidocr = metadata.version("rapidocr")
    models = f"{Path(DETECTION_MODEL).stem} {Path(RECOGNITION_MODEL).stem}"
    return f"rapidocr {rapidocr} {models}; fieldscribe ocr {PIPELINE_VERSION}"
