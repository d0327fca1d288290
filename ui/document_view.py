"""One document: its page image beside its text, summary and extracted fields.

Document text and model output are only ever set as plain text: citations become links through
QTextCursor anchors on plain text, never by building HTML from what the model wrote.
"""

from __future__ import annotations

import json
import re
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QBrush, QColor, QImage, QPixmap, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from app import jobs
from app.errors import BadInput
from app.jobs import templates
from app.vault import Vault
from app.vault.documents import StoredDocument, record_view
from ui.jobs import JobQueue
from ui.settings import DEFAULT_TEMPLATE_SETTING

REVIEW_COLOR = QColor(255, 214, 102, 140)  # low-confidence lines: amber, readable in dark mode
EVIDENCE_COLOR = QColor(102, 178, 255, 140)
UNGROUNDED_COLOR = QColor(231, 76, 60, 110)
GOOD_COLOR = QColor(46, 204, 113, 90)
BAD_COLOR = QColor(231, 76, 60, 90)
CITATION = re.compile(r"\[(S\d+(?:\s*,\s*S\d+)*)\]")


def plain_label(text: str = "", object_name: str = "") -> QLabel:
    label = QLabel(text, objectName=object_name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def highlight(editor: QPlainTextEdit | QTextEdit, needles: list[str], color: QColor,
              tooltip: str = "") -> list[QTextEdit.ExtraSelection]:  # fmt: skip
    """Mark each needle's first occurrence (after the previous one) as an extra selection;
    returns the selections made."""
    text = editor.toPlainText()
    selections = []
    position = 0
    fmt = QTextCharFormat()
    fmt.setBackground(QBrush(color))
    if tooltip:
        fmt.setToolTip(tooltip)
    for needle in needles:
        needle = needle.strip()
        if not needle:
            continue
        at = text.find(needle, position)
        if at < 0:
            at = text.find(needle)
        if at < 0:
            continue
        selection = QTextEdit.ExtraSelection()
        selection.cursor = QTextCursor(editor.document())
        selection.cursor.setPosition(at)
        selection.cursor.setPosition(at + len(needle), QTextCursor.MoveMode.KeepAnchor)
        selection.format = fmt
        selections.append(selection)
        position = at + len(needle)
    editor.setExtraSelections(selections)
    return selections


class PageView(QWidget):
    """The page image with zoom; pages are decoded off the GUI thread."""

    def __init__(self, vault: Vault, tasks: JobQueue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pageView")
        self.vault = vault
        self.tasks = tasks
        self.images: list[tuple[int, QImage | None]] = []
        self.zoom = 1.0
        self.fit_width = True
        self.document_id: int | None = None
        self.page = QSpinBox(objectName="pageSelector")
        self.page.setAccessibleName("Page")
        self.page.setPrefix("Page ")
        self.page.valueChanged.connect(self._render)
        self.zoom_label = plain_label("", "zoomLabel")
        buttons = []
        for text, name, slot in (("−", "zoomOutButton", lambda: self.zoom_by(0.8)),
                                 ("+", "zoomInButton", lambda: self.zoom_by(1.25)),
                                 ("Fit", "zoomFitButton", self.fit)):  # fmt: skip
            button = QPushButton(text, objectName=name)
            button.setAccessibleName({"−": "Zoom out", "+": "Zoom in"}.get(text, "Fit width"))
            button.clicked.connect(slot)
            buttons.append(button)
        self.image = QLabel(objectName="pageImage")
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setAccessibleName("Page image")
        self.scroll = QScrollArea()
        self.scroll.setWidget(self.image)
        self.scroll.setWidgetResizable(True)
        self.scroll.setAlignment(Qt.AlignmentFlag.AlignCenter)

        bar = QHBoxLayout()
        bar.addWidget(self.page)
        bar.addStretch(1)
        bar.addWidget(self.zoom_label)
        for button in buttons:
            bar.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.scroll, 1)
        self.show_document(None)

    def show_document(self, document: StoredDocument | None) -> None:
        self.document_id = document.id if document else None
        self.images = []
        self.page.setRange(1, max(1, document.page_count if document else 1))
        self.image.setText("Loading the page…" if document else "")
        self.image.setPixmap(QPixmap())
        if document is None:
            return
        vault, document_id = self.vault, document.id

        def decode(progress, cancel) -> tuple[int, list[tuple[int, QImage | None]]]:
            pages = []
            for number, data, _media_type in jobs.page_images(vault, document_id):
                cancel.raise_if_cancelled()
                pages.append((number, QImage.fromData(data) if data else None))
            return document_id, pages

        self.tasks.submit("Open the pages", decode, on_success=self._loaded)

    def _loaded(self, loaded: tuple[int, list[tuple[int, QImage | None]]]) -> None:
        document_id, images = loaded
        if document_id != self.document_id:  # the user moved on meanwhile
            return
        self.images = images
        self.page.setRange(1, max(1, len(images)))
        self._render()

    def zoom_by(self, factor: float) -> None:
        self.zoom = min(8.0, max(0.1, self._current_scale() * factor))
        self.fit_width = False
        self._render()

    def fit(self) -> None:
        self.fit_width = True
        self._render()

    def _current_image(self) -> QImage | None:
        index = self.page.value() - 1
        return self.images[index][1] if 0 <= index < len(self.images) else None

    def _current_scale(self) -> float:
        image = self._current_image()
        if not self.fit_width or image is None or image.isNull():
            return self.zoom
        return max(0.05, (self.scroll.viewport().width() - 4) / image.width())

    def _render(self) -> None:
        image = self._current_image()
        if image is None or image.isNull():
            self.image.setPixmap(QPixmap())
            self.image.setText("No page image: this page is text only." if self.images else "")
            self.zoom_label.clear()
            return
        scale = self._current_scale()
        self.image.setPixmap(
            QPixmap.fromImage(image).scaledToWidth(
                max(1, round(image.width() * scale)), Qt.TransformationMode.SmoothTransformation
            )
        )
        self.zoom_label.setText(f"{scale:.0%}")

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.fit_width:
            self._render()


class TextTab(QWidget):
    """The digitized text, editable; saving stores a new revision."""

    digitize_requested = Signal()

    def __init__(self, vault: Vault, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("textTab")
        self.vault = vault
        self.result: jobs.Result | None = None
        self.editor = QPlainTextEdit(objectName="digitizedText")
        self.editor.setAccessibleName("Digitized text")
        self.editor.document().modificationChanged.connect(self._update_buttons)
        self.status = plain_label("", "textStatus")
        self.digitize_button = QPushButton("Digitize", objectName="digitizeButton")
        self.digitize_button.setToolTip("Read the text of every page (Ctrl+D)")
        self.digitize_button.clicked.connect(self.digitize_requested)
        self.save_button = QPushButton("Save edits", objectName="saveTextButton")
        self.save_button.setToolTip("Store the corrected text as a new revision (Ctrl+S)")
        self.save_button.clicked.connect(self.save)
        bar = QHBoxLayout()
        bar.addWidget(self.status, 1)
        bar.addWidget(self.digitize_button)
        bar.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.editor, 1)
        self.show_result(None)

    def show_result(self, result: jobs.Result | None) -> None:
        self.result = result
        self.editor.setPlainText(result.content.get("text", "") if result else "")
        self.editor.setReadOnly(result is None)
        self.editor.document().setModified(False)
        if result is None:
            self.editor.setPlaceholderText("Not digitized yet: press Digitize (Ctrl+D).")
            self.status.setText("")
        else:
            review = [
                line["text"]
                for page in result.content.get("pages", [])
                for line in page.get("lines", [])
                if line.get("needs_review")
            ]
            highlight(self.editor, review, REVIEW_COLOR, "Read with low confidence: check it")
            note = f"  ·  {len(review)} lines highlighted for review" if review else ""
            self.status.setText(f"Revision {result.revision}{note}")
        self._update_buttons()

    @property
    def has_unsaved_edits(self) -> bool:
        return self.result is not None and self.editor.document().isModified()

    def save(self) -> None:
        if not self.has_unsaved_edits:
            return
        assert self.result is not None
        content = {**self.result.content, "text": self.editor.toPlainText()}
        self.show_result(jobs.edit_result(self.vault, self.result.result_id, content))

    def _update_buttons(self) -> None:
        self.save_button.setEnabled(self.has_unsaved_edits)


class SummaryTab(QWidget):
    """The summary, streamed while it is generated; citations link to their sections."""

    summarize_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("summaryTab")
        self.sections: dict[str, dict[str, Any]] = {}
        self.text = QTextBrowser(objectName="summaryText")
        self.text.setAccessibleName("Summary")
        self.text.setOpenLinks(False)
        self.text.anchorClicked.connect(self._citation_clicked)
        self.status = plain_label("", "summaryStatus")
        self.summarize_button = QPushButton("Summarize", objectName="summarizeButton")
        self.summarize_button.setToolTip("Summarize this document with the local model (Ctrl+M)")
        self.summarize_button.clicked.connect(self.summarize_requested)
        self.ungrounded = QListWidget(objectName="ungroundedList")
        self.ungrounded.setAccessibleName("Not found in the source")
        self.ungrounded_label = plain_label(
            "⚠ Not found in the source — check these before relying on the summary:",
            "ungroundedLabel",
        )
        self.section_title = plain_label("", "sectionTitle")
        self.section_text = QPlainTextEdit(objectName="sectionText")
        self.section_text.setReadOnly(True)
        self.section_text.setAccessibleName("Cited section")
        self.section_text.setPlaceholderText("Click a citation such as [S1] to read its section.")

        bar = QHBoxLayout()
        bar.addWidget(self.status, 1)
        bar.addWidget(self.summarize_button)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.ungrounded_label)
        lower_layout.addWidget(self.ungrounded)
        lower_layout.addWidget(self.section_title)
        lower_layout.addWidget(self.section_text, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.text)
        splitter.addWidget(lower)
        splitter.setSizes([300, 200])
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)
        self.show_result(None)

    def start_streaming(self) -> None:
        self.text.clear()
        self.sections = {}
        self.ungrounded.clear()
        self.status.setText("Generating…")

    def append_streamed(self, piece: str) -> None:
        cursor = self.text.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(piece)  # plain text, whatever the model wrote
        self.text.ensureCursorVisible()

    def show_result(self, result: jobs.Result | None) -> None:
        self.text.clear()
        self.ungrounded.clear()
        self.section_title.clear()
        self.section_text.clear()
        if result is None:
            self.sections = {}
            self.text.setPlaceholderText("No summary yet: press Summarize (Ctrl+M).")
            self.status.clear()
            self._show_ungrounded([])
            return
        content = result.content
        self.sections = {section["id"]: section for section in content.get("sections", [])}
        self._write_with_citations(content.get("summary", ""))
        items = [_item_text(item) for item in content.get("ungrounded", [])]
        self._show_ungrounded(items)
        highlight(self.text, items, UNGROUNDED_COLOR, "Not found in the source")
        self.status.setText(f"Revision {result.revision}  ·  {len(self.sections)} sections")

    def _show_ungrounded(self, items: list[str]) -> None:
        self.ungrounded.addItems(items)
        self.ungrounded_label.setVisible(bool(items))
        self.ungrounded.setVisible(bool(items))

    def _write_with_citations(self, summary: str) -> None:
        cursor = QTextCursor(self.text.document())
        plain = QTextCharFormat()
        position = 0
        for match in CITATION.finditer(summary):
            cursor.insertText(summary[position : match.start()], plain)
            cursor.insertText("[", plain)
            for index, section_id in enumerate(re.findall(r"S\d+", match.group(1))):
                if index:
                    cursor.insertText(", ", plain)
                link = QTextCharFormat()
                link.setAnchor(True)
                link.setAnchorHref(f"section:{section_id}")
                link.setForeground(self.palette().link())
                link.setFontUnderline(True)
                link.setToolTip(self.sections.get(section_id, {}).get("title", section_id))
                cursor.insertText(section_id, link)
            cursor.insertText("]", plain)
            position = match.end()
        cursor.insertText(summary[position:], plain)

    def show_section(self, section_id: str) -> None:
        section = self.sections.get(section_id)
        if section is None:
            self.section_title.setText(f"{section_id}: no such section in this document")
            self.section_text.clear()
            return
        self.section_title.setText(f"{section_id} — {section.get('title', '')}")
        self.section_text.setPlainText(section.get("text") or section.get("summary", ""))

    def _citation_clicked(self, url: QUrl) -> None:
        if url.scheme() == "section":
            self.show_section(url.path())


def _item_text(item: Any) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, dict) and isinstance(item.get("text"), str):
        return item["text"]
    return json.dumps(item, ensure_ascii=False)


def _value_text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _parse_value(text: str, previous: Any) -> Any:
    """The edited cell as the field's type where it clearly is one, else the text."""
    if text == "":
        return None
    if isinstance(previous, bool):
        return {"true": True, "yes": True, "false": False, "no": False}.get(text.lower(), text)
    if isinstance(previous, int | float):
        try:
            return int(text) if isinstance(previous, int) else float(text)
        except ValueError:
            return text
    return text


class ExtractTab(QWidget):
    """Fields extracted with a template; values are editable, evidence shown in the text."""

    extract_requested = Signal(str)  # template name
    COLUMNS = ("Field", "Value", "Evidence", "Grounded", "Valid", "Source")

    def __init__(self, vault: Vault, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("extractTab")
        self.vault = vault
        self.result: jobs.Result | None = None
        self.template_problem = ""  # why no templates could be listed, if so
        self.template = QComboBox(objectName="templateCombo")
        self.template.setAccessibleName("Template")
        self.extract_button = QPushButton("Extract", objectName="extractButton")
        self.extract_button.setToolTip("Fill the template from this document (Ctrl+Shift+X)")
        self.extract_button.clicked.connect(
            lambda: self.extract_requested.emit(self.template.currentText())
        )
        self.status = plain_label("", "extractStatus")
        self.table = QTableWidget(0, len(self.COLUMNS), objectName="fieldsTable")
        self.table.setAccessibleName("Extracted fields")
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.itemChanged.connect(self._value_edited)
        self.table.currentCellChanged.connect(lambda row, *_: self._show_evidence(row))
        self.source_text = QPlainTextEdit(objectName="evidenceText")
        self.source_text.setReadOnly(True)
        self.source_text.setAccessibleName("Document text with the selected field's evidence")
        self.evidence_status = plain_label("", "evidenceStatus")

        bar = QHBoxLayout()
        bar.addWidget(QLabel("Template:"))
        bar.addWidget(self.template, 1)
        bar.addWidget(self.extract_button)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.evidence_status)
        lower_layout.addWidget(self.source_text, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(lower)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.status)
        layout.addWidget(splitter, 1)

    def reload_templates(self) -> None:
        current = self.template.currentText() or self.vault.get_setting(DEFAULT_TEMPLATE_SETTING)
        self.template.clear()
        self.template_problem = ""
        try:
            names = [template.name for template in templates.list_templates(self.vault)]
        except BadInput as exc:  # a broken template file: say so, the rest still works
            names = []
            self.template_problem = str(exc)
            self.status.setText(self.template_problem)
        self.template.addItems(names)
        if current:
            self.template.setCurrentText(current)
        self.extract_button.setEnabled(self.template.count() > 0)

    def show_result(self, result: jobs.Result | None, source_text: str) -> None:
        self.result = result
        self.source_text.setPlainText(source_text)
        self.evidence_status.setText(
            "Select a field to see its evidence." if source_text else "Digitize first."
        )
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        fields = result.content.get("fields", {}) if result else {}
        for row, (name, field) in enumerate(fields.items()):
            self.table.insertRow(row)
            grounded, valid = bool(field.get("grounded")), bool(field.get("valid"))
            cells = (
                name,
                _value_text(field.get("value")),
                field.get("evidence") or "",
                "✓ grounded" if grounded else "✗ not in source",
                "✓ valid" if valid else "✗ invalid",
                field.get("source") or "",
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column != 1:
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(row, column, item)
            self.table.item(row, 0).setData(Qt.ItemDataRole.UserRole, name)
            self.table.item(row, 3).setBackground(GOOD_COLOR if grounded else BAD_COLOR)
            self.table.item(row, 4).setBackground(GOOD_COLOR if valid else BAD_COLOR)
        self.table.blockSignals(False)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        if result is None:
            self.status.setText(
                self.template_problem or "No fields yet: choose a template and press Extract."
            )
        else:
            name = result.content.get("template", "")
            self.status.setText(f"Template {name}  ·  revision {result.revision}")
            if name:
                self.template.setCurrentText(name)

    def _value_edited(self, item: QTableWidgetItem) -> None:
        if item.column() != 1 or self.result is None:
            return
        name = self.table.item(item.row(), 0).data(Qt.ItemDataRole.UserRole)
        fields = dict(self.result.content["fields"])
        fields[name] = {**fields[name], "value": _parse_value(item.text(), fields[name]["value"])}
        row = item.row()
        updated = jobs.edit_result(
            self.vault, self.result.result_id, {**self.result.content, "fields": fields}
        )
        self.show_result(updated, self.source_text.toPlainText())
        self.table.setCurrentCell(row, 1)

    def _show_evidence(self, row: int) -> None:
        if row < 0 or self.table.item(row, 2) is None:
            return
        evidence = self.table.item(row, 2).text()
        if not evidence:
            self.source_text.setExtraSelections([])
            self.evidence_status.setText("This field has no evidence.")
            return
        found = highlight(self.source_text, [evidence], EVIDENCE_COLOR)
        if found:
            self.source_text.setTextCursor(found[0].cursor)
            self.source_text.ensureCursorVisible()
            self.evidence_status.setText("The highlighted passage is this field's evidence.")
        else:
            self.evidence_status.setText("This field's evidence does not occur in the text.")


class DocumentView(QWidget):
    """The page on the left, the tabs on the right."""

    def __init__(self, vault: Vault, tasks: JobQueue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("documentView")
        self.vault = vault
        self.document: StoredDocument | None = None
        self.title = plain_label("", "documentTitle")
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.page_view = PageView(vault, tasks)
        self.text_tab = TextTab(vault)
        self.summary_tab = SummaryTab()
        self.extract_tab = ExtractTab(vault)
        self.tabs = QTabWidget(objectName="documentTabs")
        self.tabs.addTab(self.text_tab, "&Text")
        self.tabs.addTab(self.summary_tab, "S&ummary")
        self.tabs.addTab(self.extract_tab, "E&xtract")
        splitter = QSplitter(objectName="documentSplitter")
        splitter.addWidget(self.page_view)
        splitter.addWidget(self.tabs)
        splitter.setSizes([450, 550])
        self.placeholder = plain_label(
            "Select a document on the left, or drop files and folders on this window.",
            "documentPlaceholder",
        )
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.placeholder, 1)
        layout.addWidget(splitter, 1)
        self.splitter = splitter
        self.show_document(None)

    def show_document(self, document: StoredDocument | None) -> None:
        """Show a document (None: none). Opening another document is audited before it shows;
        showing the same one again (its page count or case changed) is not a new opening."""
        if document is not None and (self.document is None or self.document.id != document.id):
            record_view(self.vault, document.id)
        self.document = document
        self.placeholder.setVisible(document is None)
        self.splitter.setVisible(document is not None)
        self.title.setText(f"{document.name}  ·  {document.page_count} page(s)" if document else "")
        self.page_view.show_document(document)
        self.reload_results()

    def reload_results(self) -> None:
        document_id = self.document.id if self.document else None

        def latest(kind: str) -> jobs.Result | None:
            return jobs.latest_result(self.vault, document_id, kind) if document_id else None

        digitized = latest("digitize")
        self.text_tab.show_result(digitized)
        self.summary_tab.show_result(latest("summarize"))
        self.extract_tab.show_result(
            latest("extract"), digitized.content.get("text", "") if digitized else ""
        )
