"""The OCR pipeline as the worker process runs it (app/ocr/worker.py): decode, preprocess, read
with RapidOCR, check every line of ink was read (app/ocr/lines.py), order into lines and
paragraphs. Importing this module loads numpy and OpenCV."""

from __future__ import annotations

from multiprocessing.synchronize import Event

import numpy as np

from app.errors import Cancelled
from app.ingest.images import decode_image
from app.ocr import engine, layout, preprocess
from app.ocr.engine import Detection
from app.ocr.lines import find_lines, ink_mask, read_line
from app.ocr.numbers import repair_blood_pressure, repair_numbers
from app.ocr.page import REVIEW_BELOW, OcrLine, OcrPage, ocr_version

# Lines read with less confidence than this are dropped as noise (specks, ruled lines).
MIN_CONFIDENCE = 0.5
# Pages are first read with their long side reduced to this many pixels; their text, if the
# median line box is shorter than MIN_TEXT_HEIGHT there, is read again at full size.
FIRST_LONG_SIDE = 1280
MIN_TEXT_HEIGHT = 32
# A page read with a mean confidence under this may be upside down: try it turned round.
_DOUBTFUL_PAGE = 0.75
# A line of ink whose pixels detection's boxes cover at least this share of, all read surely,
# is not read again whole.
_COVERED = 0.9
# Items on one row of ink this many line heights apart are separate (cells, label and answer)
_ITEM_GAP = 2
# A gap between them with ink in at most this share of its columns is paper (ticks, dotted
# leaders); more is text that detection missed. On 12 dev forms: a fifth fewer rows re-read.
_INKED_GAP = 0.5
# A row of ink this much inside a detection's box is part of what the detection read.
_WITHIN = 0.9
# An image this many times wider than high, whose one line of ink fills it, is read as a line.
_STRIP_RATIO = 4


def read_page(image: bytes, source: str, cancel: Event) -> OcrPage:
    """Read a PNG, JPEG or TIFF page (its orientation tag applied). `source` names it in errors.

    Boxes refer to the image as displayed upright, whichever way the text itself was turned.
    Raises Cancelled at the next step once `cancel` (the worker's cancel event) is set.
    """
    _check(cancel)
    pixels = preprocess.prepare(decode_image(image, source))
    mask = ink_mask(pixels)
    found = find_lines(mask)
    if _one_line(found, pixels.shape):
        # A strip holding one line (a crop, a label): detection, built for pages, only cuts
        # it into fragments, and at its tenfold upscaling of so low an image takes seconds.
        turn, detections, upright = 0, [], pixels
    else:
        turn, detections = _read_at_text_scale(pixels, cancel)
        upright = pixels
        if turn:
            upright = np.ascontiguousarray(np.rot90(pixels, k=-turn // 90))
            mask = ink_mask(upright)
            found = find_lines(mask)
    detections = _with_ink_lines(upright, mask, found, detections, cancel)
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
            parts = tuple(
                (start, _unturn_box(part, turn, width, height))
                for start, part in line.parts(*turned_size)
            )  # fmt: skip
            lines.append(OcrLine(read, confidence, box, review, parts))
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


def _one_line(found: list[tuple[int, int, int, int]], shape: tuple[int, ...]) -> bool:
    """Whether the image is a strip of one line of text: its only line fills most of its
    height, and it is several times wider than high."""
    height, width = shape[:2]
    if len(found) != 1 or width < _STRIP_RATIO * height:
        return False
    _, y0, _, y1 = found[0]
    return y1 - y0 >= 0.6 * height


def _with_ink_lines(
    upright: np.ndarray,
    mask: np.ndarray,
    found: list[tuple[int, int, int, int]],
    detections: list[Detection],
    cancel: Event,
) -> list[Detection]:
    """`detections` with every line of ink that they miss, split or doubt read whole: per line,
    the more confident of detection's fragments and the whole line's reading is kept. A page
    with ink never comes back empty: its lines' best readings are kept however doubtful (and
    so flagged for review)."""
    kept = list(detections)
    doubtful: list[Detection] = []
    for x0, y0, x1, y1 in found:
        _check(cancel)
        inside = [d for d in kept if _centre_in(d, x0, y0, x1, y1)]
        if not inside and any(_within(d, x0, y0, x1, y1) for d in kept):
            continue  # descenders and a ruled line under a line that detection has read
        if _separate_items(inside, mask[y0:y1, x0:x1], x0):
            continue
        sure = inside and min(d.confidence for d in inside) >= REVIEW_BELOW
        if sure and _coverage(mask, inside, x0, y0, x1, y1) >= _COVERED:
            continue
        text, confidence = read_line(upright[y0:y1, x0:x1], mask[y0:y1, x0:x1])
        if not text.strip() or confidence <= _mean_confidence(inside):
            continue
        quad = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)
        whole = Detection(quad, text.strip(), confidence)
        if confidence < MIN_CONFIDENCE and not inside:
            doubtful.append(whole)
            continue
        kept = [d for d in kept if not any(d is other for other in inside)] + [whole]
    return kept or doubtful


def _separate_items(detections: list[Detection], mask: np.ndarray, left: int) -> bool:
    """Whether detection found several items on this row of ink with blank paper between them
    (a form's label and its answer, a table's cells): read whole they would run into one line.
    A gap mostly inked is text that detection missed, and is read whole. `mask` is the row's
    ink, `left` its left edge on the page."""
    height = mask.shape[0]
    spans = sorted((float(d.quad[:, 0].min()), float(d.quad[:, 0].max())) for d in detections)
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        if start - end > _ITEM_GAP * height:
            gap = mask[:, max(0, int(end) - left) : max(0, int(start) - left)]
            if gap.any(axis=0).mean() <= _INKED_GAP:
                return True
    return False


def _centre_in(detection: Detection, x0: int, y0: int, x1: int, y1: int) -> bool:
    cx, cy = detection.quad.mean(axis=0)
    return x0 <= cx <= x1 and y0 <= cy <= y1


def _within(detection: Detection, x0: int, y0: int, x1: int, y1: int) -> bool:
    """Whether the row of ink (x0, y0, x1, y1) lies inside the detection's box."""
    left, top = detection.quad.min(axis=0)
    right, bottom = detection.quad.max(axis=0)
    overlap = max(0.0, min(x1, right) - max(x0, left)) * max(0.0, min(y1, bottom) - max(y0, top))
    return overlap >= _WITHIN * (x1 - x0) * (y1 - y0)


def _coverage(
    mask: np.ndarray, detections: list[Detection], x0: int, y0: int, x1: int, y1: int
) -> float:
    """The share of the line's ink inside the detections' boxes."""
    inked = mask[y0:y1, x0:x1]
    boxed = np.zeros_like(inked)
    for detection in detections:
        left, top = np.floor(detection.quad.min(axis=0)).astype(int) - (x0, y0)
        right, bottom = np.ceil(detection.quad.max(axis=0)).astype(int) - (x0, y0)
        boxed[max(top, 0) : max(bottom, 0), max(left, 0) : max(right, 0)] = True
    return float((inked & boxed).sum()) / max(int(inked.sum()), 1)


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
