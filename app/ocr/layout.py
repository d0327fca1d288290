"""Reading order: detected fragments become lines, lines are ordered by columns and grouped into
paragraphs. Geometry is judged on a deskewed copy of the coordinates so that a tilted photo
groups like a straight scan; the boxes reported stay in the image's own pixels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from app.ocr.engine import Detection

# Fragments on one line further apart than this many line heights are separate lines (a form's
# "Name: …      Date: …" stays two lines, a handwritten word gap does not split a line).
_SAME_LINE_MAX_GAP = 3.0
# A fragment more than this many times as tall as a line, or as short, is no part of it: a stamp
# or a number printed large or turned beside a line of the form is read as a line of its own.
_SAME_LINE_MAX_HEIGHTS = 2.0
# A gutter between columns is at least this many line heights wide and has 2+ lines each side.
_GUTTER_MIN = 1.5
_COLUMN_MIN_LINES = 2
# A vertical gap wider than this many line heights starts a new paragraph.
_PARAGRAPH_GAP = 0.8
_MAX_SKEW_DEGREES = 15.0


@dataclass(frozen=True)
class _Placed:
    """A fragment with its deskewed bounds."""

    detection: Detection
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass
class Line:
    fragments: list[_Placed]  # left to right
    x0: float  # deskewed bounds, used only for ordering
    y0: float
    x1: float
    y1: float

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def text(self) -> str:
        return " ".join(fragment.detection.text.strip() for fragment in self.fragments)

    @property
    def confidence(self) -> float:
        """The least sure fragment: one doubtful word makes the line doubtful."""
        return min(fragment.detection.confidence for fragment in self.fragments)

    def box(self, width: int, height: int) -> tuple[int, int, int, int]:
        """The bounding box in the image's own pixels, clipped to the image."""
        return _bounds([fragment.detection.quad for fragment in self.fragments], width, height)

    def parts(self, width: int, height: int) -> list[tuple[int, tuple[int, int, int, int]]]:
        """Each fragment's start in `text` and its box: where the words of a line that runs
        over a table's cells sit (the text joins them with one space, however wide the gap)."""
        parts, start = [], 0
        for fragment in self.fragments:
            parts.append((start, _bounds([fragment.detection.quad], width, height)))
            start += len(fragment.detection.text.strip()) + 1
        return parts

    def add(self, fragment: _Placed) -> None:
        self.fragments.append(fragment)
        self.fragments.sort(key=lambda placed: placed.x0)
        self.x0, self.y0 = min(self.x0, fragment.x0), min(self.y0, fragment.y0)
        self.x1, self.y1 = max(self.x1, fragment.x1), max(self.y1, fragment.y1)

    def takes(self, fragment: _Placed) -> bool:
        """Whether `fragment` continues this line: level with it, beside it, not too far."""
        height = fragment.y1 - fragment.y0
        vertical_overlap = min(fragment.y1, self.y1) - max(fragment.y0, self.y0)
        gap = max(fragment.x0 - self.x1, self.x0 - fragment.x1)
        return (
            vertical_overlap > 0.5 * min(height, self.height)
            and max(height, self.height) <= _SAME_LINE_MAX_HEIGHTS * min(height, self.height)
            and gap < _SAME_LINE_MAX_GAP * max(height, self.height)
            and -gap < 0.3 * min(fragment.x1 - fragment.x0, self.x1 - self.x0)
        )


def _bounds(quads: list[np.ndarray], width: int, height: int) -> tuple[int, int, int, int]:
    points = np.concatenate(quads)
    x0, y0 = np.floor(points.min(axis=0))
    x1, y1 = np.ceil(points.max(axis=0))
    return int(max(x0, 0)), int(max(y0, 0)), int(min(x1, width)), int(min(y1, height))


def skew_degrees(detections: list[Detection]) -> float:
    """The page's tilt: the median slope of the top edges of wide fragments."""
    angles = []
    for detection in detections:
        (left, top), (right, top_right) = detection.quad[0], detection.quad[1]
        run, rise = right - left, top_right - top
        height = np.linalg.norm(detection.quad[3] - detection.quad[0])
        if run > 2 * height:
            angles.append(math.degrees(math.atan2(rise, run)))
    if not angles:
        return 0.0
    return float(np.clip(np.median(angles), -_MAX_SKEW_DEGREES, _MAX_SKEW_DEGREES))


def reading_order(detections: list[Detection]) -> list[list[Line]]:
    """Paragraphs of lines, in reading order."""
    if not detections:
        return []
    angle = math.radians(skew_degrees(detections))
    # Rotating by -skew makes the text lines horizontal.
    rotation = np.array(
        [[math.cos(angle), math.sin(angle)], [-math.sin(angle), math.cos(angle)]], np.float32
    )
    placed = []
    for detection in detections:
        points = detection.quad @ rotation.T
        placed.append(_Placed(detection, *points.min(axis=0), *points.max(axis=0)))
    lines = _lines(placed)
    unit = float(np.median([line.height for line in lines]))
    paragraphs = []
    for column in _columns(lines, unit):
        paragraphs.extend(_paragraphs(column, unit))
    return paragraphs


def _lines(placed: list[_Placed]) -> list[Line]:
    lines: list[Line] = []
    # Left to right, so that each line grows from its start and word gaps are bridged in turn.
    for fragment in sorted(placed, key=lambda item: item.x0):
        line = next((line for line in lines if line.takes(fragment)), None)
        if line is None:
            lines.append(Line([fragment], fragment.x0, fragment.y0, fragment.x1, fragment.y1))
        else:
            line.add(fragment)
    return lines


def _columns(lines: list[Line], unit: float) -> list[list[Line]]:
    """Recursive XY-cut: split at column gutters first, else at the widest gap between lines."""
    if len(lines) <= 1:
        return [lines]
    gutter = _widest_gutter(lines, unit)
    if gutter is not None:
        left = [line for line in lines if line.x1 <= gutter]
        right = [line for line in lines if line.x1 > gutter]
        return _columns(left, unit) + _columns(right, unit)
    by_top = sorted(lines, key=lambda line: line.y0)
    gaps = []
    bottom = by_top[0].y1
    for index in range(1, len(by_top)):
        gaps.append((by_top[index].y0 - bottom, index))
        bottom = max(bottom, by_top[index].y1)
    # Among equally wide gaps (evenly spaced print) cut nearest the middle: shallow recursion.
    widest, cut = max(gaps, key=lambda gap: (round(gap[0]), -abs(gap[1] - len(by_top) / 2)))
    if widest <= 0:
        # No clean horizontal gap either: lines side by side or overlapping.
        return [_rows(by_top)]
    upper, lower = _columns(by_top[:cut], unit), _columns(by_top[cut:], unit)
    if len(upper) == 1 and len(lower) == 1:
        return [upper[0] + lower[0]]  # one column, cut only to look for gutters inside
    return upper + lower


def _rows(lines: list[Line]) -> list[Line]:
    """Top to bottom, and left to right among lines level with each other."""
    rows: list[list[Line]] = []
    for line in sorted(lines, key=lambda line: (line.y0 + line.y1) / 2):
        row = rows[-1] if rows else None
        if row and min(line.y1, row[-1].y1) - max(line.y0, row[-1].y0) > 0.5 * line.height:
            row.append(line)
        else:
            rows.append([line])
    return [line for row in rows for line in sorted(row, key=lambda line: line.x0)]


def _widest_gutter(lines: list[Line], unit: float) -> float | None:
    """The x of the widest clear vertical strip with enough lines on both sides, if any."""
    by_left = sorted(lines, key=lambda line: line.x0)
    best, best_width = None, _GUTTER_MIN * unit
    right_edge = by_left[0].x1
    for index in range(1, len(by_left)):
        width = by_left[index].x0 - right_edge
        if (
            width >= best_width
            and index >= _COLUMN_MIN_LINES
            and len(by_left) - index >= _COLUMN_MIN_LINES
        ):
            best, best_width = right_edge + width / 2, width
        right_edge = max(right_edge, by_left[index].x1)
    return best


def _paragraphs(column: list[Line], unit: float) -> list[list[Line]]:
    paragraphs = [[column[0]]]
    for previous, line in zip(column, column[1:], strict=False):
        if line.y0 - previous.y1 > _PARAGRAPH_GAP * unit:
            paragraphs.append([line])
        else:
            paragraphs[-1].append(line)
    return paragraphs
