"""Handwritten lines found in the ink itself, and read whole.

Text detection trained on print drops whole handwritten lines and cuts others into fragments
that it then reads out of order. Here the page is binarised against its own background, ruled
lines are removed, and the rows holding ink are grouped into text lines (a horizontal
projection). Each line is read by recognition alone in three ways — whole, whole and widened
by a fifth, and in pieces cut at word gaps — and the most confident reading is kept: on the
dev set of real handwriting lines that choice erred on about 0.12 of characters where any one
way erred on 0.13–0.14 and detection on 0.27 (bench/ocr.py --lines).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from app.ocr import engine

# Ink is at least this much darker than the paper around it (0..255).
_MIN_CONTRAST = 40
# A text line is at least this tall, in pixels, and holds at least this many ink pixels.
_MIN_LINE_HEIGHT = 8
_MIN_LINE_INK = 60
# Rows with less ink than this share of the page's inkiest row separate two lines.
_VALLEY = 0.06
# A run of rows is a line of its own when its densest row is inked at least this share as
# densely as the page's densest line; sparser runs are the tails of the lines beside them.
_DENSE = 0.35
# A line under this share of the tallest line's height and of the widest line's width is a
# sliver of a neighbouring line that the scan cut through.
_SLIVER = 0.45
# Widening a line by a fifth reads narrow, slanted hands better (0.130 against 0.144 CER).
_WIDENED = 1.2
# Pieces read one at a time are at most this many line heights wide, cut at word gaps at least
# this share of a line height wide: recognition was trained on short crops.
_PIECE_MAX_WIDTH = 10.0
_WORD_GAP = 0.25


@dataclass(frozen=True)
class InkLine:
    """A line of ink on the page: its bounds in the page's pixels, and how it was read."""

    x0: int
    y0: int
    x1: int
    y1: int
    text: str
    confidence: float


def ink_mask(grey: np.ndarray) -> np.ndarray:
    """True where a pixel is ink: clearly darker than the paper's local brightness, with
    long ruled lines taken out."""
    height, width = grey.shape
    window = max(15, (min(height, width) // 8) | 1)
    paper = cv2.dilate(grey, np.ones((5, 5), np.uint8))  # strokes closed over by the paper
    paper = cv2.blur(paper, (window, window))
    darker = cv2.subtract(paper, grey)
    mask = darker > _MIN_CONTRAST
    if width >= 200:
        # Rules and table borders: runs of ink much longer than any handwritten stroke.
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (max(width // 6, 40), 1))
        rules = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, kernel) > 0
        mask &= ~cv2.dilate(rules.astype(np.uint8), np.ones((3, 1), np.uint8)).astype(bool)
    return mask


def find_lines(mask: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Text lines (x0, y0, x1, y1), top to bottom: runs of rows with ink, split at valleys."""
    rows = mask.sum(axis=1).astype(np.float32)
    if rows.max(initial=0) == 0:
        return []
    rows = np.convolve(rows, np.ones(3, np.float32) / 3, mode="same")
    inked = rows > _VALLEY * rows.max()
    cores = []
    y = 0
    while y < len(inked):
        if not inked[y]:
            y += 1
            continue
        start = y
        while y < len(inked) and inked[y]:
            y += 1
        cores.append((start, y))
    cores = _strong(mask, cores)
    lines = []
    for index, (top, bottom) in enumerate(cores):
        # Ascenders and descenders reach past the dense core, up to halfway to the next line.
        above = (cores[index - 1][1] + top) // 2 if index else 0
        below = (bottom + cores[index + 1][0]) // 2 if index + 1 < len(cores) else len(rows)
        band = mask[above:below]
        ink_rows = np.flatnonzero(band.any(axis=1))
        columns = np.flatnonzero(band.any(axis=0))
        if len(ink_rows) == 0 or band.sum() < _MIN_LINE_INK:
            continue
        y0, y1 = above + int(ink_rows[0]), above + int(ink_rows[-1]) + 1
        if y1 - y0 >= _MIN_LINE_HEIGHT:
            lines.append((int(columns[0]), y0, int(columns[-1]) + 1, y1))
    if not lines:
        return []
    # A short, low sliver is the edge of a line cut off by the photo or scan, not a line.
    tallest = max(y1 - y0 for _, y0, _, y1 in lines)
    widest = max(x1 - x0 for x0, _, x1, _ in lines)
    return [
        (x0, y0, x1, y1)
        for x0, y0, x1, y1 in lines
        if y1 - y0 >= _SLIVER * tallest or x1 - x0 >= _SLIVER * widest
    ]


def _strong(mask: np.ndarray, cores: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The runs of rows that are lines of text, not the descenders or ascenders of one: a
    line's densest row is inked across a good share of its width, a run of loops and tails
    only sparsely."""
    density = []
    for top, bottom in cores:
        band = mask[top:bottom]
        columns = np.flatnonzero(band.any(axis=0))
        width = columns[-1] - columns[0] + 1
        density.append(band.sum(axis=1).max() / width if bottom - top >= 2 else 0.0)
    densest = max(density, default=0.0)
    return [core for core, dense in zip(cores, density, strict=True) if dense >= _DENSE * densest]


def read_lines(grey: np.ndarray, mask: np.ndarray | None = None) -> list[InkLine]:
    """Every line of ink on the page, read whole."""
    mask = ink_mask(grey) if mask is None else mask
    found = []
    for x0, y0, x1, y1 in find_lines(mask):
        text, confidence = read_line(grey[y0:y1, x0:x1], mask[y0:y1, x0:x1])
        if text.strip():
            found.append(InkLine(x0, y0, x1, y1, text.strip(), confidence))
    return found


def read_line(crop: np.ndarray, mask: np.ndarray) -> tuple[str, float]:
    """The most confident of three readings of one line of ink."""
    height, width = crop.shape
    readings = [
        engine.read_line(crop),
        engine.read_line(cv2.resize(crop, (round(width * _WIDENED), height), cv2.INTER_CUBIC)),
    ]
    pieces = _pieces(mask)
    if len(pieces) > 1:
        readings.append(_read_pieces(crop, pieces))
    return max(readings, key=lambda reading: reading[1])


def _pieces(mask: np.ndarray) -> list[tuple[int, int]]:
    """Column ranges of at most _PIECE_MAX_WIDTH line heights, cut in the middle of word gaps."""
    height, width = mask.shape
    inked = mask.any(axis=0)
    gaps = []
    x = 0
    while x < width:
        if inked[x]:
            x += 1
            continue
        start = x
        while x < width and not inked[x]:
            x += 1
        if start > 0 and x < width and x - start >= _WORD_GAP * height:
            gaps.append((start + x) // 2)
    pieces, start = [], 0
    longest = _PIECE_MAX_WIDTH * height
    while width - start > longest:
        cuts = [cut for cut in gaps if start < cut <= start + longest]
        if not cuts:
            break
        pieces.append((start, cuts[-1]))
        start = cuts[-1]
    pieces.append((start, width))
    return pieces


def _read_pieces(crop: np.ndarray, pieces: list[tuple[int, int]]) -> tuple[str, float]:
    """The pieces read one by one and joined; confidence weighted by characters read."""
    texts, weighted, characters = [], 0.0, 0
    for x0, x1 in pieces:
        text, confidence = engine.read_line(crop[:, x0:x1])
        if text.strip():
            texts.append(text.strip())
            weighted += confidence * len(text)
            characters += len(text)
    return " ".join(texts), weighted / max(characters, 1)
