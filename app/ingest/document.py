"""What ingest hands to the vault and the jobs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# progress(done, total, message), called as work advances.
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Page:
    number: int  # 1-based
    text: str | None  # the text layer (PDF, DOCX, text); None for image-only pages
    # The page as an image for OCR and display, upright (any orientation tag already applied):
    # the original bytes of a photo or PNG, else a PNG; None for pages of pure text.
    image: bytes | None
    image_media_type: str | None


@dataclass(frozen=True)
class Document:
    source: str  # the path or name as given
    media_type: str  # detected from the bytes
    sha256: str  # of `content`
    content: bytes  # the original bytes
    pages: list[Page]
