"""The OCR pipeline as the worker process runs it (app/ocr/worker.py): decode, preprocess, read
with RapidOCR, order into lines and paragraphs. Importing this module loads numpy and OpenCV."""

from __future__ import annotations

from multiprocessing.synchronize import Event

import numpy as np

from app.errors import Cancelled
from app.ingest.images import decode_image
from app.ocr import REVIEW_BELOW, OcrLine, OcrPage, engine, layout, ocr_version, preprocess
from app.ocr.engine import Detection
from app.ocr.numbers import repair_blood_pressure, repair_numbers

# Lines read with less confidence than this are dropped as noise (specks, ruled lines).
MIN_CONFIDENCE = 0.5
# Pages are first read with their long side reduced to this many pixels; their text, if the
# median line box is shorter than MIN_TEXT_HEIGHT there, is read again at full size.
FIRST_LONG_SIDE = 1280
MIN_TEXT_HEIGHT = 32
# A page read with a mean confidence under this may be upside down: try it turned round.
_DOUBTFUL_PAGE = 0.75


def read_page(image: bytes, source: str, cancel: Event) -> OcrPage:
    """Read a PNG, JPEG or TIFF page (its orientation tag applied). `source` names it in errors.

    Boxes refer to the image as displayed upright, whichever way the text itself was turned.
    Raises Cancelled at the next step once `cancel` (the worker's cancel event) is set.
    """
    _check(cancel)
    pixels = preprocess.prepare(decode_image(image, source))
    turn, detections = _read_at_text_scale(pixels, cancel)
    paragraphs = layout.reading_order(detections)
    height, width = pixels.shape[:2]
    turned_size = (height, width) if turn in (90, 270) else (width, height)
    lines: list[OcrLine] = []
    indices: list[list[int]] = []
    for paragraph in paragraphs:
        indices.append(list(range(len(lines), len(lines) + len(paragraph))))
        for line in paragraph:
            box = _unturn_box(line.box(*turned_size), turn, width, height)
            confidence = round(line.confidence, 4)
            read, slash_restored = repair_blood_pressure(repair_numbers(line.text))
            review = confidence < REVIEW_BELOW or slash_restored
            lines.append(OcrLine(read, confidence, box, review))
    text = "\n\n".join("\n".join(lines[i].text for i in group) for group in indices)
    return OcrPage(lines, indices, text, ocr_version())


def _read_at_text_scale(pixels: np.ndarray, cancel: Event) -> tuple[int, list[Detection]]:
    """Read a large page reduced first, since detection time grows with its pixels; read it
    again at full size only when its text proves too small to read reduced (a scanned A4 page
    of print, unlike a photo of a handwritten note)."""
    scale = FIRST_LONG_SIDE / max(pixels.shape)
    if scale >= 1:
        return _read_upright(pixels, cancel)
    turn, detections = _read_upright(preprocess.resize(pixels, scale), cancel)
    heights = [np.linalg.norm(d.quad[3] - d.quad[0]) for d in detections]
    if heights and np.median(heights) >= MIN_TEXT_HEIGHT:
        return turn, [Detection(d.quad / scale, d.text, d.confidence) for d in detections]
    _check(cancel)
    return _read_upright(pixels, cancel)


def _read_upright(pixels: np.ndarray, cancel: Event) -> tuple[int, list[Detection]]:
    """The detections of the page turned so its text reads upright, and that turn in degrees.

    RapidOCR's own line classifier flips single lines and misreads handwriting as upside down,
    so it is off; the page is judged as a whole, and only a doubtful page is read again.
    """
    first = engine.detect_and_read(pixels, MIN_CONFIDENCE)
    if _mostly_vertical(first):
        # RapidOCR reads tall lines turned one way, so the first reading may be right in text
        # yet wrong in geometry: compare the two quarter turns only.
        candidates = [(turn, _read_turned(pixels, turn, cancel)) for turn in (90, 270)]
    elif first and _mean_confidence(first) < _DOUBTFUL_PAGE:
        candidates = [(0, first), (180, _read_turned(pixels, 180, cancel))]
    else:
        return 0, first
    return max(candidates, key=lambda candidate: _evidence(candidate[1]))


def _read_turned(pixels: np.ndarray, turn: int, cancel: Event) -> list[Detection]:
    """Read the page turned clockwise by `turn` degrees."""
    _check(cancel)
    turned = np.ascontiguousarray(np.rot90(pixels, k=-turn // 90))
    return engine.detect_and_read(turned, MIN_CONFIDENCE)


def _check(cancel: Event) -> None:
    if cancel.is_set():
        raise Cancelled()


def _mostly_vertical(detections: list[Detection]) -> bool:
    tall = 0
    for detection in detections:
        width = np.linalg.norm(detection.quad[1] - detection.quad[0])
        height = np.linalg.norm(detection.quad[3] - detection.quad[0])
        tall += height > 1.5 * width
    return tall > len(detections) / 2


def _mean_confidence(detections: list[Detection]) -> float:
    characters = sum(len(detection.text) for detection in detections)
    weighted = sum(detection.confidence * len(detection.text) for detection in detections)
    return weighted / max(characters, 1)


def _evidence(detections: list[Detection]) -> float:
    """How much text was read, and how surely: the better of two readings has more."""
    return sum(detection.confidence**2 * len(detection.text) for detection in detections)


def _unturn_box(
    box: tuple[int, int, int, int], turn: int, width: int, height: int
) -> tuple[int, int, int, int]:
    """A box found on the page turned clockwise by `turn`, in the unturned page's pixels."""
    x0, y0, x1, y1 = box
    if turn == 90:
        return y0, height - x1, y1, height - x0
    if turn == 180:
        return width - x1, height - y1, width - x0, height - y0
    if turn == 270:
        return width - y1, x0, width - y0, x1
    return box
