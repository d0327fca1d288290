"""What an OCR reading is: lines with confidences and boxes, and the provenance of the engine.

Imported by the package's other modules (never the other way round), so that the package's
import arrows run one way: `app.ocr` -> service -> worker -> reading -> engine -> page.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

DETECTION_MODEL = "PP-OCRv6_det_small.onnx"
RECOGNITION_MODEL = "PP-OCRv6_rec_small.onnx"
# Never used (we turn pages, not lines; see reading.py), but named so nothing is ever fetched.
LINE_CLASSIFIER_MODEL = "ch_ppocr_mobile_v2.0_cls_mobile.onnx"

# Bumped whenever preprocessing or layout changes what the same image yields (provenance).
# 2: handwriting lines found in the ink and read whole (app/ocr/lines.py).
# 3: a fragment much taller or shorter than a line is a line of its own (app/ocr/layout.py);
#    a row of ink inside a detection's box is part of what it read (app/ocr/reading.py).
# 4: each line keeps its fragments' boxes (`OcrLine.parts`); the text is as in 3.
PIPELINE_VERSION = 4

# Lines below this are kept but flagged for a person to check. On handwritten notes it flags
# about 8 % of lines, two in three of them misread (bench/ocr.py's notes).
REVIEW_BELOW = 0.93


@dataclass(frozen=True)
class OcrLine:
    text: str
    confidence: float  # 0..1
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in the upright page image's pixels
    needs_review: bool  # confidence below REVIEW_BELOW
    # Each fragment detection read on the line: where it starts in `text`, and its box (the
    # line's text joins fragments with one space, so only these say how far apart they are).
    parts: tuple[tuple[int, tuple[int, int, int, int]], ...] = ()


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
