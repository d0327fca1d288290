"""RapidOCR 3.x, loaded once, from the model files inside its own wheel only.

Used in the OCR worker process, which reads one page at a time on one thread.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.errors import FieldscribeError
from app.ocr.page import DETECTION_MODEL, LINE_CLASSIFIER_MODEL, RECOGNITION_MODEL, ocr_version

log = logging.getLogger("fieldscribe.ocr")

_engine = None


@dataclass(frozen=True)
class Detection:
    quad: np.ndarray  # 4 × 2 corner points, clockwise from top-left, in the input's pixels
    text: str
    confidence: float


def load() -> None:
    """Import RapidOCR and create its ONNX sessions, once (a second or two)."""
    global _engine
    if _engine is None:
        _engine = _create()


def detect_and_read(image: np.ndarray, min_confidence: float) -> list[Detection]:
    """Text lines found in a BGR or grayscale image, those below `min_confidence` dropped."""
    load()
    # The engine keeps per-call settings on itself: safe only because pages are read one at a
    # time (and on two cores a second page read alongside would only slow both down).
    # Which steps run is such a setting too, so every call names them.
    result = _engine(image, use_det=True, use_cls=False, use_rec=True, text_score=min_confidence)
    if result.boxes is None or result.txts is None:
        return []
    return [
        Detection(np.asarray(quad, dtype=np.float32), text, float(score))
        for quad, text, score in zip(result.boxes, result.txts, result.scores, strict=True)
    ]


def read_line(image: np.ndarray) -> tuple[str, float]:
    """Recognition alone on an image that holds one line of text: its text and confidence;
    none for a line too long and thin to read whole (RapidOCR first fits an image within
    2,000 px a side, and such a line's height comes to nothing; its pieces can be read)."""
    from rapidocr.utils.process_img import ResizeImgError

    load()
    try:
        result = _engine(image, use_det=False, use_cls=False, use_rec=True)
    except ResizeImgError:
        return "", 0.0
    if not result.txts:
        return "", 0.0
    return result.txts[0], float(result.scores[0])


def _create():
    import rapidocr
    from rapidocr import RapidOCR

    _route_rapidocr_logs()
    models = Path(rapidocr.__file__).parent / "models"
    paths = {name: models / name for name in (DETECTION_MODEL, RECOGNITION_MODEL)}
    paths[LINE_CLASSIFIER_MODEL] = models / LINE_CLASSIFIER_MODEL
    missing = [name for name, path in paths.items() if not path.is_file()]
    if missing:
        raise FieldscribeError(
            f"The OCR models are missing from the rapidocr package ({', '.join(missing)}); "
            "reinstall Fieldscribe."
        )
    # Explicit model paths: RapidOCR then never resolves, checks or downloads model files.
    params = {
        "Global.log_level": "warning",
        "Global.use_cls": False,
        "Global.model_root_dir": str(models),
        "Det.model_path": str(paths[DETECTION_MODEL]),
        "Rec.model_path": str(paths[RECOGNITION_MODEL]),
        "Cls.model_path": str(paths[LINE_CLASSIFIER_MODEL]),
        # Wider boxes keep handwriting's ascenders and descenders: 1.8 instead of 1.6 lowered
        # the error on two separate sets of generated notes by a tenth (1.7 less, 2.0 worse).
        "Det.unclip_ratio": 1.8,
    }
    engine = RapidOCR(params=params)
    log.info("OCR engine ready: %s", ocr_version())
    return engine


class _ForwardToOurLogger(logging.Handler):
    """Re-issues RapidOCR's records as ours; its warnings (e.g. "The text detection result is
    empty" for a blank page) are routine here, so they arrive as INFO."""

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno < logging.ERROR:
            record.levelno, record.levelname = logging.INFO, "INFO"
        record.name = log.name
        if log.isEnabledFor(record.levelno):
            log.handle(record)


def _route_rapidocr_logs() -> None:
    """RapidOCR logs to its own colour console handler; send its records to ours instead."""
    rapidocr_log = logging.getLogger("RapidOCR")
    for handler in list(rapidocr_log.handlers):
        rapidocr_log.removeHandler(handler)
    rapidocr_log.addHandler(_ForwardToOurLogger())
    rapidocr_log.propagate = False
    rapidocr_log.setLevel(logging.WARNING)  # its INFO lines are chatter (which file, which engine)
