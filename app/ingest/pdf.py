"""PDF through pdfium: each page's text layer, or the page rendered for OCR when it has none."""

from __future__ import annotations

import io
import threading

import pypdfium2
import pypdfium2.raw as pdfium_c

from app.cancel import CancelToken
from app.errors import BadInput
from app.ingest import limits, sniff
from app.ingest.document import Page, Progress

# pdfium is not thread-safe: one document at a time in this process.
_PDFIUM_LOCK = threading.Lock()
_TAIL = 1024


def load_pdf_pages(
    data: bytes,
    source: str,
    progress: Progress | None,
    cancel: CancelToken | None,
    deadline: limits.Deadline,
) -> list[Page]:
    # pdfium silently repairs a cut-off file and shows whatever pages survive; refuse it instead.
    if b"%%EOF" not in data[-_TAIL:]:
        raise BadInput(f"{source}: the PDF is truncated (no end-of-file marker).")
    with _PDFIUM_LOCK:
        pdf = _open(data, source)
        try:
            count = len(pdf)
            limits.check_page_count(source, count)
            if count == 0:
                raise BadInput(f"{source}: the PDF has no pages.")
            pages = []
            for index in range(count):
                if cancel:
                    cancel.raise_if_cancelled()
                deadline.check()
                pages.append(_load_page(pdf, index, source))
                if progress:
                    progress(index + 1, count, f"page {index + 1} of {count}")
            return pages
        finally:
            pdf.close()


def _open(data: bytes, source: str) -> pypdfium2.PdfDocument:
    try:
        return pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as error:
        if error.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            raise BadInput(f"{source}: the PDF is encrypted with a password.") from None
        if error.err_code == pdfium_c.FPDF_ERR_SECURITY:
            raise BadInput(f"{source}: the PDF uses an unsupported encryption.") from None
        raise BadInput(f"{source}: the PDF is damaged and cannot be read.") from None


def _load_page(pdf: pypdfium2.PdfDocument, index: int, source: str) -> Page:
    number = index + 1
    try:
        page = pdf[index]
    except pypdfium2.PdfiumError:
        raise BadInput(f"{source}: page {number} of the PDF is damaged.") from None
    try:
        textpage = page.get_textpage()
        try:
            text = textpage.get_text_bounded().replace("\r\n", "\n").replace("\r", "\n")
        finally:
            textpage.close()
        if _readable_characters(text) >= limits.PDF_MIN_TEXT_CHARS:
            return Page(number, text, None, None)
        return Page(number, None, _render_png(page, source, number), sniff.PNG)
    except pypdfium2.PdfiumError:
        raise BadInput(f"{source}: page {number} of the PDF is damaged.") from None
    finally:
        page.close()


def _readable_characters(text: str) -> int:
    """Visible characters that mean something. A font without a Unicode map yields U+FFFD,
    private-use or control characters instead, and such a layer is no better than none."""
    return sum(char.isprintable() and not char.isspace() and char != "\ufffd" for char in text)


def _render_scale(page: pypdfium2.PdfPage) -> float:
    """Pixels per point of a rendered page."""
    width_pt, height_pt = page.get_size()
    scale = limits.PDF_RENDER_DPI / 72
    pixels = width_pt * height_pt * scale * scale
    if pixels > limits.MAX_IMAGE_PIXELS:
        # A poster-sized page: render it smaller rather than refuse it.
        scale *= (limits.MAX_IMAGE_PIXELS / pixels) ** 0.5
    return scale


def _render_png(page: pypdfium2.PdfPage, source: str, number: int) -> bytes:
    width_pt, height_pt = page.get_size()
    scale = _render_scale(page)
    if width_pt * scale < 1 or height_pt * scale < 1:
        raise BadInput(f"{source}: page {number} of the PDF has no size.")
    bitmap = page.render(scale=scale)
    try:
        image = bitmap.to_pil()
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
    finally:
        bitmap.close()
    return buffer.getvalue()


def render_page(data: bytes, number: int, source: str) -> bytes:
    """Page `number` (from 1) of a stored PDF as a PNG, to show beside its text layer."""
    with _PDFIUM_LOCK:
        pdf = _open(data, source)
        try:
            page = pdf[number - 1]
            try:
                return _render_png(page, source, number)
            finally:
                page.close()
        except (pypdfium2.PdfiumError, IndexError):
            raise BadInput(f"{source}: page {number} of the PDF is damaged.") from None
        finally:
            pdf.close()


def find_text(data: bytes, number: int, needle: str, source: str) -> list[tuple[int, ...]]:
    """Where `needle` occurs in page `number`'s text layer: boxes (x0, y0, x1, y1) in the pixels
    of `render_page`'s image, one per line of each occurrence."""
    with _PDFIUM_LOCK:
        pdf = _open(data, source)
        try:
            page = pdf[number - 1]
            textpage = page.get_textpage()
            try:
                scale, (_, height_pt) = _render_scale(page), page.get_size()
                boxes = []
                searcher = textpage.search(needle)
                while (found := searcher.get_next()) is not None:
                    index, count = found
                    for rect in range(textpage.count_rects(index, count)):
                        left, bottom, right, top = textpage.get_rect(rect)
                        top, bottom = height_pt - top, height_pt - bottom  # y runs down
                        boxes.append(tuple(round(v * scale) for v in (left, top, right, bottom)))
                return boxes
            finally:
                textpage.close()
                page.close()
        except (pypdfium2.PdfiumError, IndexError):
            raise BadInput(f"{source}: page {number} of the PDF is damaged.") from None
        finally:
            pdf.close()
