"""The Extract tab: a template's fields for one document, each value with its state beside it and
its evidence highlighted in the document text below the table.

State is shown as one narrow column next to the value, so it is never off-screen: found in the
source, check it (the model chose it, or the OCR read its line unsurely), invalid (not valid for
the schema), not in the source, not found (the field is empty), or "you": the user typed it (no
evidence from the document) or accepted it as read, after checking it (Accept value). Whether a
value is "in the source" is decided by its evidence span, exactly as the highlight finds it, so a
highlighted value is never called "not in source".
"""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QHideEvent, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from app import jobs
from app.engine.schema import schema_errors
from app.errors import BadInput
from app.jobs import templates
from app.jobs.grounding import evidence_span
from app.jobs.tables import cell_text
from ui.settings import DEFAULT_TEMPLATE_SETTING

EVIDENCE_HIGHLIGHT = QColor(102, 178, 255, 140)
# state -> (what the column shows, the sentence under the table, the cell's background)
STATES = {
    "found": ("✓ found", "The highlighted passage is this value's evidence.",
              QColor(46, 204, 113, 90)),
    "model": ("? check", "The model chose this value; the highlighted passage is its evidence.",
              QColor(255, 214, 102, 140)),
    "read unsurely": ("? check",
                      "The OCR was unsure reading this value's line: compare it with the page.",
                      QColor(255, 214, 102, 140)),
    "model, read unsurely": ("? check",
                             "The model chose this value, and the OCR was unsure reading this "
                             "value's line: compare it with the page.",
                             QColor(255, 214, 102, 140)),
    "invalid": ("! invalid", "This value does not fit the template's type for the field.",
                QColor(255, 214, 102, 140)),
    "not in source": ("✗ not in source",
                      "This value's evidence does not occur in the document text.",
                      QColor(231, 76, 60, 90)),
    "not found": ("— not found", "Not found in this document.", None),
    "you": ("✎ you", "Source: you. You set this value; no passage of the text is its evidence.",
            QColor(102, 178, 255, 90)),
    "accepted": ("✓ you",
                 "Source: you. You accepted this value; the highlighted passage is what it was "
                 "read from.", QColor(102, 178, 255, 90)),
}  # fmt: skip
# As read, and in the text: to be checked, and so open to be accepted.
ACCEPTABLE = ("found", "model", "read unsurely", "model, read unsurely")
VALUE, STATE = 1, 2


def field_state(field: dict[str, Any], source_text: str) -> str:
    """One of STATES for a stored field, its evidence looked up in `source_text`."""
    evidence = field.get("evidence") or ""
    if field.get("source") == "user":
        return "accepted" if evidence_span(evidence, source_text) else "you"
    if field.get("value") in (None, "", []):
        return "not found"
    if evidence_span(evidence, source_text) is None:
        return "not in source"
    if not field.get("valid", True):
        return "invalid"
    by_model = field.get("source") == "model"
    if field.get("read_unsurely"):
        return "model, read unsurely" if by_model else "read unsurely"
    return "model" if by_model else "found"


def parse_cell(text: str, previous: Any, schema: dict[str, Any] | None) -> Any:
    """An edited cell as the field's type: a list from "a; b", an object from "k: v, k2: v2",
    a number or yes/no where the field is one; otherwise the text as typed."""
    text = text.strip()
    kind = (schema or {}).get("type") or _kind_of(previous)
    if text == "":
        return [] if kind == "array" else None
    if kind == "array":
        items = [item.strip() for item in text.split(";") if item.strip()]
        item_schema = (schema or {}).get("items", {})
        return [parse_cell(item, None, item_schema) for item in items]
    if kind == "object":
        pairs = [part.split(":", 1) for part in text.split(",") if ":" in part]
        return {key.strip(): value.strip() for key, value in pairs} or text
    if kind == "boolean":
        return {"true": True, "yes": True, "false": False, "no": False}.get(text.lower(), text)
    if kind in ("integer", "number"):
        try:
            return int(text) if kind == "integer" else float(text)
        except ValueError:
            return text
    return text


def _kind_of(value: Any) -> str | None:
    for kind, types in (("boolean", bool), ("integer", int), ("number", float), ("array", list),
                        ("object", dict)):  # fmt: skip
        if isinstance(value, types):
            return kind
    return None


class ExtractStore(Protocol):
    """Where the tab reads templates and saves a typed value, audited (app.session.Session is
    one)."""

    def setting(self, key: str, default: Any = None) -> Any: ...
    def templates(self) -> list[templates.Template]: ...
    def template(self, name: str) -> templates.Template: ...
    def latest_extract(self, document_id: int, template_name: str) -> jobs.Result | None: ...
    def edit_result(self, result_id: int, content: dict[str, Any]) -> jobs.Result: ...


class ExtractTab(QWidget):
    """Fields extracted with a template; values are editable, evidence shown in the text."""

    extract_requested = Signal(str)  # template name
    COLUMNS = ("Field", "Value", "State")

    def __init__(self, store: ExtractStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("extractTab")
        self.store = store
        self.result: jobs.Result | None = None
        self.template_problem = ""  # why no templates could be listed, if so
        self.template = QComboBox(objectName="templateCombo")
        self.template.setAccessibleName("Template")
        self.extract_button = QPushButton("Extract", objectName="extractButton")
        self.extract_button.setToolTip("Fill the template from this document (Ctrl+Shift+X)")
        self.extract_button.clicked.connect(
            lambda: self.extract_requested.emit(self.template.currentText())
        )
        self.status = QLabel("", objectName="extractStatus")
        self.table = QTableWidget(0, len(self.COLUMNS), objectName="fieldsTable")
        self.table.setAccessibleName("Extracted fields")
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(VALUE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(STATE, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setWordWrap(True)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.itemChanged.connect(self._value_edited)
        self.table.currentCellChanged.connect(lambda row, *_: self._show_evidence(row))
        self.evidence_status = QLabel("", objectName="evidenceStatus")
        self.evidence_status.setWordWrap(True)
        self.accept_button = QPushButton("&Accept value", objectName="acceptValue")
        self.accept_button.setToolTip(
            "Take the selected value as yours, as it was read, after checking it against the page"
        )
        self.accept_button.setEnabled(False)
        self.accept_button.clicked.connect(self._accept_value)
        for label in (self.status, self.evidence_status):
            label.setTextFormat(Qt.TextFormat.PlainText)  # document text is never rich text
        self.source_text = QPlainTextEdit(objectName="evidenceText")
        self.source_text.setReadOnly(True)
        self.source_text.setAccessibleName("Document text with the selected field's evidence")

        bar = QHBoxLayout()
        template_label = QLabel("Template:")
        template_label.setBuddy(self.template)
        bar.addWidget(template_label)
        bar.addWidget(self.template, 1)
        bar.addWidget(self.extract_button)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        under_table = QHBoxLayout()
        under_table.addWidget(self.evidence_status, 1)
        under_table.addWidget(self.accept_button)
        lower_layout.addLayout(under_table)
        lower_layout.addWidget(self.source_text, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(lower)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.status)
        layout.addWidget(splitter, 1)

    def reload_templates(self) -> None:
        current = self.template.currentText() or self.store.setting(DEFAULT_TEMPLATE_SETTING)
        self.template.clear()
        self.template_problem = ""
        try:
            names = [template.name for template in self.store.templates()]
        except BadInput as exc:  # a broken template file: say so, the rest still works
            names = []
            self.template_problem = str(exc)
            self.status.setText(self.template_problem)
        self.template.addItems(names)
        if current:
            self.template.setCurrentText(current)
        self.extract_button.setEnabled(self.template.count() > 0)

    def commit_edit(self) -> bool:
        """Save the value being typed in a cell as the user's correction, as Enter does; True
        if a cell was being edited. Everything that leaves the cell without Enter calls this:
        another document or a job's new result (show_result), another tab or the window
        hidden (hideEvent), locking, quitting and Save (the workspace's pending edits)."""
        if self.table.state() is not QTableWidget.State.EditingState:
            return False
        editor = self.table.indexWidget(self.table.currentIndex())  # the open cell editor
        if editor is None:
            return False
        self.table.commitData(editor)
        self.table.closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)
        return True

    def hideEvent(self, event: QHideEvent) -> None:
        if not event.spontaneous():  # not merely minimized: another tab, or the window closes
            self.commit_edit()
        super().hideEvent(event)

    def show_result(self, result: jobs.Result | None, source_text: str) -> None:
        saved = self.result if self.commit_edit() else None
        if saved and result and saved.result_id == result.result_id:
            # The value just saved is a newer revision than the one read before it was saved.
            result = max(saved, result, key=lambda r: r.revision)
        self.result = result
        self.source_text.setPlainText(source_text)
        self.source_text.setExtraSelections([])
        self.accept_button.setEnabled(False)
        self.evidence_status.setText(
            "Select a field to see its evidence." if source_text else "Digitize first."
        )
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        fields = result.content.get("fields", {}) if result else {}
        for row, (name, field) in enumerate(fields.items()):
            self.table.insertRow(row)
            state = field_state(field, source_text)
            shown, sentence, color = STATES[state]
            name_item = QTableWidgetItem(name)
            name_item.setData(Qt.ItemDataRole.UserRole, name)
            value_item = QTableWidgetItem(cell_text(field.get("value")))
            value_item.setToolTip("Double-click or press F2 to correct the value.")
            state_item = QTableWidgetItem(shown)
            state_item.setData(Qt.ItemDataRole.UserRole, state)
            state_item.setToolTip(sentence)
            state_item.setData(Qt.ItemDataRole.AccessibleTextRole, sentence)
            if color is not None:
                state_item.setBackground(color)
            for column, item in ((0, name_item), (VALUE, value_item), (STATE, state_item)):
                if column != VALUE:
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(row, column, item)
        self.table.blockSignals(False)
        self.table.resizeRowsToContents()
        if result is None:
            self.status.setText(
                self.template_problem or "No fields yet: choose a template and press Extract."
            )
        else:
            name = result.content.get("template", "")
            self.status.setText(f"Template {name}  ·  revision {result.revision}")
            if name:
                self.template.setCurrentText(name)

    def _field_schema(self, name: str) -> dict[str, Any] | None:
        """The template's schema for one field, if the template can still be found."""
        try:
            template = self.store.template(self.result.content.get("template", ""))
        except BadInput:
            return None
        return template.fields.get(name)

    def _value_edited(self, item: QTableWidgetItem) -> None:
        if item.column() != VALUE or self.result is None:
            return
        name = self.table.item(item.row(), 0).data(Qt.ItemDataRole.UserRole)
        schema = self._field_schema(name)
        value = parse_cell(item.text(), self.result.content["fields"][name].get("value"), schema)
        row = item.row()
        self._set_field(name, {
            "value": value,
            "evidence": None,  # the user's value: nothing in the document is its evidence
            "grounded": False,
            "valid": not schema_errors(value, schema) if schema and value is not None else True,
            "source": "user",
            "read_unsurely": False,  # the user read it: the OCR's doubt is no longer its reading
        })  # fmt: skip
        if self.table.state() is QTableWidget.State.EditingState:
            # Inside the cell editor's commit: rebuilt now, the table would drop the editor under
            # the view (Qt: "commitData called with an editor that does not belong to this view").
            edited = self.result
            QTimer.singleShot(0, self, lambda: self.result is edited and self._show_edited(row))
        else:
            self._show_edited(row)

    def _accept_value(self) -> None:
        """The selected value as the user's, unchanged and with the evidence it was read from:
        the user checked it against the page (a value the user only looks at stays the job's)."""
        row = self.table.currentRow()
        if row < 0 or self.result is None:
            return
        name = self.table.item(row, 0).data(Qt.ItemDataRole.UserRole)
        shown = self.result.content["fields"][name]  # what the user checked, even if newer exists
        self._set_field(name, {**shown, "source": "user"})
        self._show_edited(row)
        self.table.setFocus()  # the button is disabled now: back to the fields

    def _set_field(self, name: str, changes: dict[str, Any]) -> None:
        """Save `changes` to one field as the user's revision of the result."""
        # Set on the newest revision: an extract that ended while the cell was open keeps the
        # other fields it found.
        template = self.result.content.get("template", "")
        current = self.store.latest_extract(self.result.document_id, template) or self.result
        fields = dict(current.content["fields"])
        fields[name] = {**fields.get(name, {}), **changes}
        self.result = self.store.edit_result(
            current.result_id, {**current.content, "fields": fields}
        )

    def _show_edited(self, row: int) -> None:
        self.show_result(self.result, self.source_text.toPlainText())
        self.table.setCurrentCell(row, VALUE)

    def _show_evidence(self, row: int) -> None:
        if row < 0 or self.result is None or self.table.item(row, 0) is None:
            return
        name = self.table.item(row, 0).data(Qt.ItemDataRole.UserRole)
        field = self.result.content.get("fields", {}).get(name, {})
        state = self.table.item(row, STATE).data(Qt.ItemDataRole.UserRole)
        self.evidence_status.setText(STATES[state][1])
        self.accept_button.setEnabled(state in ACCEPTABLE)
        span = evidence_span(field.get("evidence") or "", self.source_text.toPlainText())
        if span is None or state == "you":
            self.source_text.setExtraSelections([])
            return
        selection = QTextEdit.ExtraSelection()
        selection.cursor = QTextCursor(self.source_text.document())
        selection.cursor.setPosition(span[0])
        selection.cursor.setPosition(span[1], QTextCursor.MoveMode.KeepAnchor)
        marked = QTextCharFormat()
        marked.setBackground(QBrush(EVIDENCE_HIGHLIGHT))
        selection.format = marked
        self.source_text.setExtraSelections([selection])
        self.source_text.setTextCursor(selection.cursor)
        self.source_text.ensureCursorVisible()
