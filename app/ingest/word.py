"""DOCX through python-docx: headings as Markdown `#` lines, paragraphs, tables as rows, pages
split where the author put a page break."""

from __future__ import annotations

import io
import zipfile

import docx
from docx.document import Document
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from app.errors import BadInput
from app.ingest import limits

_LIST_STYLES = ("List Bullet", "List Number", "List Paragraph")


def load_docx_pages(data: bytes, source: str) -> list[str]:
    """The document's text, a page per hard page break, with one block per paragraph or table
    and blank lines between. Page headers and footers (where a patient's name or a form number
    often is) come once each: the headers before the first page's text, the footers after the
    last page's. Pages with no text are left out; there is always at least one."""
    _check_zip(data, source)
    try:
        document = docx.Document(io.BytesIO(data))
        pages = [blocks for blocks in _body_pages(document) if any(blocks)] or [[]]
        headers, footers = _header_and_footer_blocks(document)
    # python-docx and lxml raise many exception types on malformed parts; all mean the same here.
    except Exception:
        raise BadInput(f"{source}: the Word document is damaged and cannot be read.") from None
    pages[0] = headers + pages[0]
    pages[-1] = pages[-1] + footers
    return ["\n\n".join(block for block in blocks if block) for blocks in pages]


def _body_pages(document: Document) -> list[list[str]]:
    pages: list[list[str]] = [[]]
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            pages[-1].append(_table_text(item))
            continue
        if item.paragraph_format.page_break_before:
            pages.append([])
        first, *after_breaks = _split_at_page_breaks(item)
        pages[-1].append(_paragraph_text(first, item))
        for piece in after_breaks:
            pages.append([_paragraph_text(piece, item)])
    return pages


def _split_at_page_breaks(paragraph: Paragraph) -> list[str]:
    """The paragraph's text, cut where its runs hold a hard page break (`w:br w:type="page"`);
    other breaks, tabs and hyphens become text as in python-docx's `Paragraph.text`."""
    pieces = [""]
    for run in paragraph._p.xpath("./w:r | ./w:hyperlink/w:r"):
        for item in run.xpath("w:br | w:cr | w:noBreakHyphen | w:ptab | w:t | w:tab"):
            if item.tag == qn("w:br") and item.get(qn("w:type")) == "page":
                pieces.append("")
            else:
                pieces[-1] += str(item)
    return pieces


def _header_and_footer_blocks(document: Document) -> tuple[list[str], list[str]]:
    """The text of every header and footer a section defines (first page, default, even
    pages), each distinct one once, in section order."""
    headers: list[str] = []
    footers: list[str] = []
    for section in document.sections:
        for part, found in (
            (section.first_page_header, headers),
            (section.header, headers),
            (section.even_page_header, headers),
            (section.first_page_footer, footers),
            (section.footer, footers),
            (section.even_page_footer, footers),
        ):
            if part.is_linked_to_previous:  # no definition of its own
                continue
            blocks = [
                _table_text(item) if isinstance(item, Table) else _paragraph_text(item.text, item)
                for item in part.iter_inner_content()
            ]
            text = "\n".join(block for block in blocks if block)
            if text and text not in found:
                found.append(text)
    return headers, footers


def _check_zip(data: bytes, source: str) -> None:
    """Refuse zip bombs from the central directory alone, before anything is inflated."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise BadInput(f"{source}: the Word document is damaged (not a valid zip).") from None
    if len(members) > limits.MAX_DOCX_MEMBERS:
        raise BadInput(f"{source}: the Word document has too many parts ({len(members)}).")
    names = {member.filename for member in members}
    if "word/document.xml" not in names:
        raise BadInput(f"{source}: is a zip archive, not a Word document.")
    # zipfile stops inflating a member at its declared size, so declared sizes bound the work.
    total = sum(member.file_size for member in members)
    if total > limits.MAX_DOCX_UNCOMPRESSED_BYTES:
        raise BadInput(
            f"{source}: the Word document would inflate to {total // (1024 * 1024)} MB, "
            f"over the limit of {limits.MAX_DOCX_UNCOMPRESSED_BYTES // (1024 * 1024)} MB."
        )
    for member in members:
        if member.flag_bits & 0x1:
            raise BadInput(f"{source}: the Word document is encrypted.")
        ratio = member.file_size / max(member.compress_size, 1)
        if (
            member.file_size >= limits.DOCX_RATIO_CHECK_FROM_BYTES
            and ratio > limits.MAX_DOCX_COMPRESSION_RATIO
        ):
            raise BadInput(
                f"{source}: the Word document looks like a zip bomb "
                f"({member.filename} is compressed {ratio:.0f}:1)."
            )


def _paragraph_text(text: str, paragraph: Paragraph) -> str:
    """`text` (all or part of the paragraph's) marked as its style says: `#` for headings and
    titles, `-` for list items."""
    text = text.strip()
    if not text:
        return ""
    style = paragraph.style.name if paragraph.style is not None else ""
    if style == "Title":
        return f"# {text}"
    if style.startswith("Heading "):
        level = style.removeprefix("Heading ")
        if level.isdigit():
            return f"{'#' * min(int(level), 6)} {text}"
    if style.startswith(_LIST_STYLES):
        return f"- {text}"
    return text


def _table_text(table: Table) -> str:
    """Two-column rows read as `Label: value`; wider rows as tab-separated cells."""
    lines = []
    for row in table.rows:
        cells = []
        previous = None
        for cell in row.cells:
            if cell._tc is previous:  # a merged cell is repeated once per grid column it spans
                continue
            previous = cell._tc
            cells.append(" ".join(cell.text.split()))
        if not any(cells):
            continue
        if len(cells) == 2 and cells[0]:
            label = cells[0] if cells[0].endswith(":") else f"{cells[0]}:"
            lines.append(f"{label} {cells[1]}".rstrip())
        else:
            lines.append("\t".join(cells).rstrip())
    return "\n".join(lines)
