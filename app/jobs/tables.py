"""One template over many documents, as one table: a row per document, a column per field and,
beside each, whether the value needs review. Written as CSV or XLSX and audited like every export
(a `result.export` event for every result the table holds, with the file's SHA-256).

A field needs review when it is empty, not grounded in its document, invalid for the schema, or
was chosen by the model; a value the user typed or accepted is marked "you" (the user is its
source).
Arrays and nested objects are flattened to one cell: items separated by "; ", an object's
properties as "name: value".
"""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path
from typing import Any

from app.errors import BadInput
from app.fsutil import atomic_write_bytes
from app.jobs.results import Result, get_result
from app.vault import Vault

TABLE_FORMATS = ("csv", "xlsx")


def cell_text(value: Any) -> str:
    """A field's value as one line of text: lists joined by "; ", objects as "name: value"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(cell_text(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{key}: {cell_text(item)}" for key, item in value.items() if item)
    return str(value)


def shown_source(field: dict[str, Any]) -> str:
    """Who gave the value, as exports and the window say it: "you" for the user's own."""
    source = field.get("source")
    return "you" if source == "user" else (source or "")


def checks_text(field: dict[str, Any]) -> str:
    """The checks of one field in words, for a printed or exported table of fields."""
    if field.get("source") == "user":
        return "Source: you"
    if field.get("value") in (None, "", []):
        return "not found"
    words = [word for word in ("grounded", "valid") if field.get(word)]
    if field.get("read_unsurely"):
        words.append("read unsurely by OCR")
    if field.get("source") == "model":
        words.append("chosen by the model")
    return ", ".join(words) or "not verified"


def review_state(field: dict[str, Any]) -> str:
    """"you" (typed or accepted by the user), "not found", "check" (not grounded, as a value
    the OCR read unsurely is not; invalid; or the model's choice) or "grounded"."""
    if field.get("source") == "user":
        return "you"
    if field.get("value") in (None, "", []):
        return "not found"
    if not field.get("grounded") or not field.get("valid") or field.get("source") == "model":
        return "check"
    return "grounded"


def table_rows(results: list[tuple[str, Result]]) -> list[list[str]]:
    """The header and one row per (document name, extract result), fields in template order."""
    names: list[str] = []
    for _, result in results:
        for name in result.content["fields"]:
            if name not in names:
                names.append(name)
    header = ["document"]
    for name in names:
        header += [name, f"{name} (review)"]
    rows = [header]
    for document, result in results:
        row = [document]
        for name in names:
            field = result.content["fields"].get(name) or {}
            row += [cell_text(field.get("value")), review_state(field) if field else "not found"]
        rows.append(row)
    return rows


def export_table(
    vault: Vault, results: list[tuple[str, int]], path: str | Path, fmt: str | None = None
) -> str:
    """Write the extract results (document name, result id) of one template as one table;
    the file's SHA-256. `fmt` defaults to the file's extension."""
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in TABLE_FORMATS:
        raise BadInput(f"{path}: a table is written as .csv or .xlsx.")
    if not path.parent.is_dir():
        raise BadInput(f"{path}: the folder {path.parent} does not exist.")
    loaded = [(document, get_result(vault, result_id)) for document, result_id in results]
    if not loaded:
        raise BadInput("There are no extraction results to put in a table.")
    templates = {result.content.get("template") for _, result in loaded}
    if any(result.kind != "extract" for _, result in loaded) or len(templates) != 1:
        raise BadInput("A table holds the extraction results of one template.")
    rows = table_rows(loaded)
    data = _csv_bytes(rows) if fmt == "csv" else _xlsx_bytes(rows, templates.pop() or "fields")
    atomic_write_bytes(path, data)
    sha256 = hashlib.sha256(data).hexdigest()
    with vault.transaction() as tx:
        for _, result_id in results:
            details = {"format": f"{fmt} table", "sha256": sha256, "rows": len(results)}
            tx.audit("result.export", "result", result_id, details)
    return sha256


def _csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows([[inert_cell(cell) for cell in row] for row in rows])
    return out.getvalue().encode("utf-8-sig")  # the BOM lets spreadsheet apps read UTF-8


def _xlsx_bytes(rows: list[list[str]], title: str) -> bytes:
    from openpyxl import Workbook  # only needed when someone asks for XLSX

    book = Workbook()
    sheet = book.active
    sheet.title = "".join(c for c in title if c not in "[]:*?/\\")[:31] or "fields"
    for row in rows:
        sheet.append([inert_cell(cell) for cell in row])
    sheet.freeze_panes = "B2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def inert_cell(cell: str) -> str:
    """Document text never becomes a spreadsheet formula ("=HYPERLINK(…)" from a scan)."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell
