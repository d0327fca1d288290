"""Results leave the vault only as a deliberate act: each written file is an audit event."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

from app.errors import BadInput
from app.fsutil import atomic_write_bytes
from app.jobs.pipeline import text_is_corrected
from app.jobs.results import Result, get_result
from app.jobs.tables import cell_text, checks_text, inert_cell, shown_source
from app.vault import Vault

FORMATS = ("json", "csv", "docx")  # PDF is drawn by the desktop app with QPdfWriter
# The heading of a summary's facts that a scan states only on lines the OCR doubted.
READ_UNSURELY = "Read unsurely by the OCR — check against the page"


def record_export(vault: Vault, result_id: int, path: Path, fmt: str) -> str:
    """Write the `result.export` event for a file already written; its SHA-256."""
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    with vault.transaction() as tx:
        tx.audit("result.export", "result", result_id, {"format": fmt, "sha256": sha256})
    return sha256


def export_result(vault: Vault, result_id: int, path: str | Path, fmt: str) -> str:
    """Write a result as JSON, CSV (extracted fields) or DOCX; the file's SHA-256."""
    path = Path(path)
    if fmt not in FORMATS:
        raise BadInput(f"Results can be exported as {', '.join(FORMATS)} (or PDF from the app).")
    if not path.parent.is_dir():
        raise BadInput(f"{path}: the folder {path.parent} does not exist.")
    result = get_result(vault, result_id)
    writers = {"json": _json_bytes, "csv": _csv_bytes, "docx": _docx_bytes}
    atomic_write_bytes(path, writers[fmt](result))
    return record_export(vault, result_id, path, fmt)


def _json_bytes(result: Result) -> bytes:
    content = dict(result.content)
    if result.kind == "extract":  # a value the user typed or accepted says so: "source": "you"
        content["fields"] = {
            name: {**field, "source": shown_source(field) or None}
            for name, field in content["fields"].items()
        }
    document = {"kind": result.kind, "revision": result.revision, **content}
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _csv_bytes(result: Result) -> bytes:
    if result.kind != "extract":
        raise BadInput("CSV export is for extracted fields; use JSON or DOCX for this result.")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["field", "value", "evidence", "grounded", "read_unsurely", "valid", "source"])
    for name, field in result.content["fields"].items():
        row = [name, cell_text(field["value"]), field["evidence"] or "", field["grounded"],
               field.get("read_unsurely", False), field["valid"], shown_source(field)]  # fmt: skip
        writer.writerow([inert_cell(str(cell)) for cell in row])
    return out.getvalue().encode("utf-8")


def _docx_bytes(result: Result) -> bytes:
    import docx  # python-docx: only needed when someone exports a DOCX

    document = docx.Document()
    content = result.content
    if result.kind == "digitize":
        document.add_heading("Digitized text", level=1)
        if text_is_corrected(content):  # the user's text as a whole: page breaks unknown
            document.add_paragraph(content["text"])
        else:
            for page in content["pages"]:
                document.add_heading(f"Page {page['page']}", level=2)
                document.add_paragraph(page["text"])
    elif result.kind == "summarize":
        document.add_heading("Summary", level=1)
        document.add_paragraph(content["summary"])
        for section in content["sections"]:
            document.add_heading(f"[{section['id']}] {section['title']}", level=2)
            document.add_paragraph(section["summary"])
        if content["ungrounded"]:
            document.add_heading("Not found in the source", level=2)
            for item in content["ungrounded"]:
                document.add_paragraph(str(item), style="List Bullet")
        if content.get("read_unsurely"):
            document.add_heading(READ_UNSURELY, level=2)
            for item in content["read_unsurely"]:
                document.add_paragraph(str(item), style="List Bullet")
    else:
        document.add_heading(content["template"], level=1)
        table = document.add_table(rows=1, cols=4)
        for cell, title in zip(
            table.rows[0].cells, ["Field", "Value", "Evidence", "Checks"], strict=True
        ):
            cell.text = title
        for name, field in content["fields"].items():
            row = table.add_row().cells
            row[0].text, row[1].text = name, cell_text(field["value"])
            row[2].text, row[3].text = field["evidence"] or "", checks_text(field)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
