"""DOCX through python-docx: headings as Markdown `#` lines, paragraphs, tables as rows."""

from __future__ import annotations

import io
import zipfile

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph

from app.errors import BadInput
from app.ingest import limits

_LIST_STYLES = ("List Bullet", "List Number", "List Paragraph")


def load_docx_text(data: bytes, source: str) -> str:
    """The document's body as text: one block per paragraph or table, blank lines between."""
    _check_zip(data, source)
    try:
        document = docx.Document(io.BytesIO(data))
        blocks = [
            _table_text(item) if isinstance(item, Table) else _paragraph_text(item)
            for item in document.iter_inner_content()
        ]
    # python-docx and lxml raise many exception types on malformed parts; all mean the same here.
    except Exception:
        raise BadInput(f"{source}: the Word document is damaged and cannot be read.") from None
    return "\n\n".join(block for block in blocks if block)


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


def _paragraph_text(paragraph: Paragraph) -> str:
    text = paragraph.text.strip()
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
