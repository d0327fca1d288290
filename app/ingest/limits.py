"""The limits of DESIGN.md §8 that every loader enforces on untrusted input."""

from __future__ import annotations

import time

from app.errors import BadInput

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_IMAGE_PIXELS = 50_000_000
MAX_PAGES = 1000  # PDF pages and TIFF frames alike

# DOCX is a zip: refuse before parsing when inflating it would cost more than any real document.
MAX_DOCX_UNCOMPRESSED_BYTES = 300 * 1024 * 1024
MAX_DOCX_MEMBERS = 10_000
MAX_DOCX_COMPRESSION_RATIO = 100  # real XML reaches ~20:1; zip bombs reach 1000:1 and more
DOCX_RATIO_CHECK_FROM_BYTES = 1024 * 1024  # small members may compress very well and are harmless

# Decoding runs in the worker process (app.ocr.parse_pages), where the caller enforces both
# deadlines by killing it: a whole document gets DECODE_SECONDS, and each page (each progress
# step) PAGE_DECODE_SECONDS. A real page renders in a few seconds at most; a page made to hang
# pdfium (a shading evaluated per pixel by a huge function) would run for hours.
DECODE_SECONDS = 300
PAGE_DECODE_SECONDS = 30

PDF_RENDER_DPI = 200
PDF_MIN_TEXT_CHARS = 16  # fewer non-space characters than this is a scan with a stray label


class Deadline:
    """The time left to decode one document."""

    def __init__(self, source: str, seconds: float = DECODE_SECONDS) -> None:
        self._source = source
        self._seconds = seconds
        self._end = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self._end:
            raise BadInput(f"{self._source}: took longer than {self._seconds:.0f} s to decode.")


def check_pixels(source: str, width: int, height: int) -> None:
    if width * height > MAX_IMAGE_PIXELS:
        raise BadInput(
            f"{source}: the image is {width}×{height} pixels, over the limit of "
            f"{MAX_IMAGE_PIXELS // 1_000_000} megapixels."
        )


def check_page_count(source: str, count: int) -> None:
    if count > MAX_PAGES:
        raise BadInput(f"{source}: has {count} pages, over the limit of {MAX_PAGES}.")
