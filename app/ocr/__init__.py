"""OCR: a page image becomes lines of text in reading order, each with a confidence and a box.

RapidOCR 3.x (PP-OCRv6 detection and recognition, shipped in its wheel) reads the lines; this
package adds what it lacks: page orientation, preprocessing, reading order and paragraphs, and
a review flag on doubtful lines, and a line finder for handwriting that detection misses or
splits (lines.py).

The reading runs in a worker process (app/ocr/service.py), started on first use (or by
`warm_up()`) and kept warm: importing RapidOCR, onnxruntime and OpenCV, creating the ONNX
sessions and much of a page's pre- and post-processing hold the GIL, which in the desktop app's
process stalled the event loop. This module imports none of them.
"""

from __future__ import annotations

from app.ocr.page import (
    DETECTION_MODEL,
    LINE_CLASSIFIER_MODEL,
    PIPELINE_VERSION,
    RECOGNITION_MODEL,
    REVIEW_BELOW,
    OcrLine,
    OcrPage,
    ocr_version,
)
from app.ocr.service import (
    find_pdf_text,
    parse_pages,
    recognize,
    render_pdf_page,
    shutdown,
    warm_up,
)

__all__ = [
    "DETECTION_MODEL",
    "LINE_CLASSIFIER_MODEL",
    "PIPELINE_VERSION",
    "RECOGNITION_MODEL",
    "REVIEW_BELOW",
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
