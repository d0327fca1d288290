"""Ingest: a file's bytes become a `Document` of pages, typed by content and within the limits.

Every refusal is `BadInput("<file name>: <reason>.")`; nothing a parser raises escapes otherwise.

PDF and image decoding is `parse_pages`. The app never runs it in its own process: it passes
`parser=app.ocr.parse_pages`, which runs the same function in the worker process under a hard
deadline, so a file that hangs pdfium or Pillow is killed, not the window with it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from app.cancel import CancelToken
from app.errors import BadInput
from app.ingest import limits, sniff
from app.ingest.document import Document, Page, Progress
from app.ingest.images import load_image_pages
from app.ingest.pdf import load_pdf_pages
from app.ingest.text import decode_text, split_pages
from app.ingest.word import load_docx_pages

__all__ = [
    "Document",
    "Page",
    "PageParser",
    "Progress",
    "load_bytes",
    "load_document",
    "parse_pages",
]

# parse_pages, or something that runs it elsewhere: (media_type, data, name, progress, cancel).
PageParser = Callable[[str, bytes, str, Progress | None, CancelToken | None], list[Page]]


def parse_pages(
    media_type: str,
    data: bytes,
    name: str,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> list[Page]:
    """The pages of a PDF, PNG, JPEG or TIFF, in this process (see the module's note)."""
    deadline = limits.Deadline(name)
    if media_type == sniff.PDF:
        return load_pdf_pages(data, name, progress, cancel, deadline)
    return load_image_pages(data, name, media_type, progress, cancel, deadline)


def load_document(
    path: Path | str,
    *,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
    parser: PageParser = parse_pages,
) -> Document:
    source = str(path)
    name = Path(path).name
    try:
        with open(path, "rb") as file:
            if os.fstat(file.fileno()).st_size > limits.MAX_FILE_BYTES:
                raise _too_big(name)
            # One byte past the limit: a file that grew since, or a device, is still caught.
            data = file.read(limits.MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise BadInput(f"{name}: no such file.") from None
    except IsADirectoryError:
        raise BadInput(f"{name}: is a folder, not a file.") from None
    except PermissionError:
        raise BadInput(f"{name}: permission denied.") from None
    except OSError as error:
        raise BadInput(f"{name}: cannot be read ({error.strerror or error}).") from None
    return _load(data, source, name, progress, cancel, parser)


def load_bytes(
    data: bytes,
    source: str,
    *,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
    parser: PageParser = parse_pages,
) -> Document:
    return _load(data, source, Path(source).name or source, progress, cancel, parser)


def _load(
    data: bytes,
    source: str,
    name: str,
    progress: Progress | None,
    cancel: CancelToken | None,
    parser: PageParser,
) -> Document:
    """`name` (the file name without its folders) is what refusals show."""
    if not data:
        raise BadInput(f"{name}: the file is empty.")
    if len(data) > limits.MAX_FILE_BYTES:
        raise _too_big(name)
    media_type = sniff.sniff(data)
    if media_type in (sniff.PDF, sniff.PNG, sniff.JPEG, sniff.TIFF):
        pages = parser(media_type, data, name, progress, cancel)
    elif media_type == sniff.DOCX:
        pages = _text_pages(load_docx_pages(data, name))
    elif kind := sniff.unsupported_kind(data):
        raise BadInput(f"{name}: is {kind}, which is not supported.")
    else:
        media_type = sniff.TEXT
        pages = _text_pages(split_pages(_decode_named(data, name)))
    return Document(source, media_type, hashlib.sha256(data).hexdigest(), data, pages)


# Names that promise a format whose first bytes were not found: the file is damaged, or is
# something else under that name.
_NAMED_FORMATS = {".pdf": "PDF", ".docx": "Word document", ".png": "PNG image",
                  ".jpg": "JPEG image", ".jpeg": "JPEG image", ".tif": "TIFF image",
                  ".tiff": "TIFF image"}  # fmt: skip


def _decode_named(data: bytes, name: str) -> str:
    """Text, or for a file named like a format we read whose bytes are not text either: that
    it is a damaged file of that format, not merely an unsupported one."""
    try:
        return decode_text(data, name)
    except BadInput:
        kind = _NAMED_FORMATS.get(Path(name).suffix.lower())
        if kind is None:
            raise
        raise BadInput(
            f"{name}: is a damaged {kind} (its content does not start as a {kind} does)."
        ) from None


def _text_pages(texts: list[str]) -> list[Page]:
    return [Page(number, text, None, None) for number, text in enumerate(texts, 1)]


def _too_big(name: str) -> BadInput:
    return BadInput(
        f"{name}: the file is over the limit of {limits.MAX_FILE_BYTES // (1024 * 1024)} MB."
    )
