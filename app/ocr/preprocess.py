"""From a decoded page to the pixels RapidOCR reads best (each step measured in bench/ocr.py)."""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

_SIXTEEN_BIT_MODES = ("I", "I;16", "I;16L", "I;16B", "I;16N")


def prepare(image: Image.Image) -> np.ndarray:
    """The page as one 8-bit grey channel.

    Grey alone lowers the error on notes: blue ruled lines and coloured paper fade into the
    background, while blue or black ink stays dark. Flattening the light (dividing by a blurred
    background), CLAHE and the darkest channel were measured too and changed nothing.
    """
    if image.mode in _SIXTEEN_BIT_MODES:
        # Pillow clips 16-bit grey to 8 bits instead of scaling it, which whitens the page.
        values = np.asarray(image, dtype=np.float32)
        top = 65535.0 if values.max() > 255 else 255.0
        return np.clip(values * (255.0 / top), 0, 255).astype(np.uint8)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        # Transparent areas are paper, not black.
        background = Image.new("RGBA", image.size, "white")
        image = Image.alpha_composite(background, image.convert("RGBA"))
    return np.asarray(image.convert("L"))


def resize(pixels: np.ndarray, scale: float) -> np.ndarray:
    """`pixels` reduced by `scale` (< 1), averaging rather than skipping pixels."""
    height, width = pixels.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)
