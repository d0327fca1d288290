"""Export a result to hand in: PDF (drawn here with QPdfWriter), DOCX, CSV or JSON (app.jobs).

Leaving the vault in plain form is deliberate: the user ticks a confirmation, and every written
file is recorded as a `result.export` audit event with its SHA-256.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QBuffer, QIODevice, Qt, Signal
from PySide6.QtGui import QFont, QPageSize, QPdfWriter, QTextCharFormat, QTextCursor, QTextDocument
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import jobs
from app.errors import BadInput
from app.fsutil import atomic_write_bytes
from app.jobs.exports import READ_UNSURELY
from app.jobs.pipeline import text_is_corrected
from app.jobs.tables import cell_text, checks_text
from app.vault.documents import StoredDocument
from ui.jobs import JobQueue

ZERO_WIDTH_SPACE = "\u200b"
KINDS = (("digitize", "Text"), ("summarize", "Summary"), ("extract", "Fields"))
# One template's fields over several documents: a row per document (app.jobs.tables).
TABLE_FORMATS = {"csv-table": "csv", "xlsx-table": "xlsx"}
FORMATS = (
    ("pdf", "PDF"),
    ("docx", "Word (DOCX)"),
    ("csv", "CSV (fields only)"),
    ("json", "JSON"),
    ("csv-table", "Table of documents, CSV (fields)"),
    ("xlsx-table", "Table of documents, XLSX (fields)"),
)


def breakable(sentence: str) -> str:
    """A long path has no spaces to wrap at: let it break after each folder."""
    return sentence.replace(os.sep, os.sep + ZERO_WIDTH_SPACE)


def result_pdf(document_name: str, result: jobs.Result) -> bytes:
    """The result as a PDF; all text goes in through QTextCursor as plain text."""
    document = QTextDocument()
    cursor = QTextCursor(document)
    body = QTextCharFormat()
    heading = QTextCharFormat()
    heading.setFontWeight(QFont.Weight.Bold)
    heading.setFontPointSize(14)
    subheading = QTextCharFormat()
    subheading.setFontWeight(QFont.Weight.Bold)

    def write(text: str, fmt: QTextCharFormat = body) -> None:
        cursor.insertText(text, fmt)
        cursor.insertBlock()

    kind_name = dict(KINDS)[result.kind]
    write(f"{document_name} — {kind_name}", heading)
    write(f"Revision {result.revision}, exported from Fieldscribe.")
    write("")
    content = result.content
    if result.kind == "digitize" and text_is_corrected(content):
        write(content["text"])  # corrected by the user as a whole
    elif result.kind == "digitize":
        for page in content.get("pages", []):
            write(f"Page {page['page']}", subheading)
            write(page.get("text", ""))
    elif result.kind == "summarize":
        # The summary is made of the sections' summaries: print it once, then what its
        # citations refer to.
        write(content.get("summary", ""))
        if content.get("sections"):
            write("Sections cited", subheading)
        for section in content.get("sections", []):
            write(f"[{section['id']}] {section.get('title', '')}")
        if content.get("ungrounded"):
            write("Not found in the source", subheading)
            for item in content["ungrounded"]:
                write(f"• {item}")
        if content.get("read_unsurely"):
            write(READ_UNSURELY, subheading)
            for item in content["read_unsurely"]:
                write(f"• {item}")
    else:
        write(f"Template: {content.get('template', '')}", subheading)
        fields = content.get("fields", {})
        table = cursor.insertTable(len(fields) + 1, 4)
        for column, title in enumerate(("Field", "Value", "Evidence", "Checks")):
            table.cellAt(0, column).firstCursorPosition().insertText(title, subheading)
        for row, (name, field) in enumerate(fields.items(), start=1):
            value, evidence = cell_text(field.get("value")), field.get("evidence") or ""
            cells = (name, value, evidence, checks_text(field))
            for column, text in enumerate(cells):
                table.cellAt(row, column).firstCursorPosition().insertText(text, body)
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setCreator("Fieldscribe")
    document.print_(writer)
    del writer  # finishes the PDF into the buffer
    return bytes(buffer.data())


class ExportStore(Protocol):
    """What the dialog reads and writes, each export audited (app.session.Session is one)."""

    def latest_result(self, document_id: int, kind: str) -> jobs.Result | None: ...
    def latest_extract(self, document_id: int, template_name: str) -> jobs.Result | None: ...
    def documents(self) -> list[StoredDocument]: ...
    def export_result(self, result_id: int, path: Path, fmt: str) -> str: ...
    def record_export(self, result_id: int, path: Path, fmt: str) -> str: ...
    def export_table(self, results: list[tuple[str, int]], path: Path, fmt: str) -> str: ...


def table_scopes(
    store: ExportStore, document: StoredDocument, selection: list[StoredDocument]
) -> list[tuple[str, list[StoredDocument]]]:
    """Which documents a table can hold: this one, the selected ones, the ones in its case."""
    scopes = [("This document", [document])]
    if len(selection) > 1:
        scopes.append((f"The {len(selection)} selected documents", selection))
    if document.case_id is not None:
        case = [d for d in store.documents() if d.case_id == document.case_id]
        scopes.append((f"All {len(case)} documents in its case", case))
    return scopes


class ExportDialog(QDialog):
    exported = Signal(str)  # the written file's SHA-256

    def __init__(
        self,
        store: ExportStore,
        tasks: JobQueue,
        document: StoredDocument,
        parent: QWidget | None = None,
        selection: list[StoredDocument] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("exportDialog")
        self.setWindowTitle(f"Export — {document.name}")
        self.store = store
        self.tasks = tasks
        self.document = document
        self.results = {
            kind: result
            for kind, _ in KINDS
            if (result := store.latest_result(document.id, kind)) is not None
        }
        self.kind = QComboBox(objectName="exportKind")
        self.kind.setAccessibleName("Result to export")
        for kind, label in KINDS:
            if kind in self.results:
                self.kind.addItem(f"{label} (revision {self.results[kind].revision})", kind)
        self.format = QComboBox(objectName="exportFormat")
        self.format.setAccessibleName("Format")
        for fmt, label in FORMATS:
            self.format.addItem(label, fmt)
        self.scope = QComboBox(objectName="exportScope")
        self.scope.setAccessibleName("Documents in the table")
        for label, documents in table_scopes(store, document, selection or []):
            self.scope.addItem(label, documents)
        self.path = QLineEdit(objectName="exportResultPath")
        self.path.setAccessibleName("File to write")
        browse = QPushButton("Browse…", objectName="exportBrowse")
        browse.setAccessibleName("Choose the file to write")
        browse.clicked.connect(self._browse)
        self.confirm = QCheckBox(
            "I understand this file is written unencrypted, outside the vault.",
            objectName="exportConfirm",
        )
        self.status = QLabel(objectName="exportStatus")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        self.export_button = QPushButton("Export", objectName="exportResultButton")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.export)
        close = QPushButton("Close", objectName="exportClose")
        close.clicked.connect(self.reject)
        for signal in (self.kind.currentIndexChanged, self.format.currentIndexChanged,
                       self.path.textChanged, self.confirm.toggled,
                       self.scope.currentIndexChanged):  # fmt: skip
            signal.connect(self._update)

        path_row = QHBoxLayout()
        path_row.addWidget(self.path, 1)
        path_row.addWidget(browse)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(close)
        form = QFormLayout()
        form.addRow("Result:", self.kind)
        form.addRow("Format:", self.format)
        form.addRow("Documents:", self.scope)
        form.addRow("File:", path_row)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.confirm)
        layout.addWidget(self.status)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self.confirm.setMinimumWidth(self.confirm.sizeHint().width())
        self.setMinimumWidth(560)
        if not self.results:
            self._say("This document has no results yet: digitize it first.")
        self._update()

    def _say(self, sentence: str) -> None:
        self.status.setText(breakable(sentence))
        # Qt does not grow a window for a wrapped label's new height: make room for it.
        needed = self.heightForWidth(self.width())
        if needed > self.height():
            self.resize(self.width(), needed)

    def _problem(self) -> str | None:
        if self.kind.currentData() is None:
            return "There is nothing to export yet."
        if self.format.currentData() == "csv" and self.kind.currentData() != "extract":
            return "CSV holds extracted fields: choose Fields, or another format."
        if self.format.currentData() in TABLE_FORMATS and self.kind.currentData() != "extract":
            return "A table of documents holds extracted fields: choose Fields."
        return None

    def _update(self) -> None:
        self.scope.setEnabled(self.format.currentData() in TABLE_FORMATS)
        problem = self._problem()
        if problem and self.results:
            self._say(problem)
        self.export_button.setEnabled(
            problem is None and bool(self.path.text().strip()) and self.confirm.isChecked()
        )

    def _browse(self) -> None:
        fmt = TABLE_FORMATS.get(self.format.currentData(), self.format.currentData())
        suggested = f"{Path(self.document.name).stem}-{self.kind.currentData()}.{fmt}"
        path, _ = QFileDialog.getSaveFileName(
            self, "Export to", suggested, f"{fmt.upper()} (*.{fmt})"
        )
        if path:
            self.path.setText(path)

    def export(self) -> None:
        if not self.export_button.isEnabled():
            return
        result = self.results[self.kind.currentData()]
        fmt = self.format.currentData()
        path = Path(self.path.text().strip())
        store = self.store
        if fmt == "pdf":
            pdf = result_pdf(self.document.name, result)  # drawn here: Qt text layout

            def work(progress, cancel) -> str:
                if not path.parent.is_dir():
                    raise BadInput(f"{path}: the folder {path.parent} does not exist.")
                try:
                    atomic_write_bytes(path, pdf)
                except OSError as exc:
                    raise BadInput(f"{path}: cannot write the file ({exc.strerror}).") from None
                return store.record_export(result.result_id, path, "pdf")

        elif fmt in TABLE_FORMATS:
            template = result.content.get("template", "")
            documents = self.scope.currentData() or [self.document]

            def work(progress, cancel) -> str:
                rows = []
                for number, document in enumerate(documents):
                    progress(number, len(documents), document.name)
                    found = store.latest_extract(document.id, template)
                    if found is not None:
                        rows.append((document.name, found.result_id))
                return store.export_table(rows, path, TABLE_FORMATS[fmt])

        else:

            def work(progress, cancel) -> str:
                return store.export_result(result.result_id, path, fmt)

        self.export_button.setEnabled(False)
        self._say("Exporting…")
        self.tasks.submit(
            f"Export {self.document.name}", work, on_success=self._done, on_failure=self._failed
        )

    def _done(self, sha256: str) -> None:
        path = Path(self.path.text().strip())
        self._say(f"Wrote {path.name} (SHA-256 {sha256[:16]}…) in {path.parent}.")
        self.status.setToolTip(str(path))
        self.confirm.setChecked(False)  # another export is another deliberate act
        self.exported.emit(sha256)

    def _failed(self, sentence: str) -> None:
        self._say(sentence)
        self._update()
