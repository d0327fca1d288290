"""The template editor: a table of fields (name, type, description, allowed values, parts) saved
as a JSON Schema; schema files can be imported and exported.

A field is text, a date, a number, yes/no, a list of texts, a list of records (each record made of
named text parts, e.g. a medication's name, dose and frequency) or a group of named parts (e.g. an
address). Keywords the table does not show (titles, label hints, lengths) are kept as they were."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.errors import FieldscribeError
from app.fsutil import atomic_write_bytes
from app.jobs import templates

# What the table offers, and how each maps onto JSON Schema.
FIELD_TYPES = {
    "text": {"type": "string"},
    "date": {"type": "string", "format": "date"},
    "whole number": {"type": "integer"},
    "number": {"type": "number"},
    "yes/no": {"type": "boolean"},
    "list of texts": {"type": "array"},
    "list of records": {"type": "array"},
    "group": {"type": "object"},
}
COLUMNS = ("Name", "Type", "Description", "Allowed values", "Parts")
TIPS = (
    "The field's name in the schema (letters, digits, underscores)",
    "What kind of value the field holds",
    "What the field means: extraction finds the field's labels from it",
    "The only values allowed, separated by commas (leave empty for any)",
    "For a list of records or a group: the parts' names, separated by commas",
)
NAME, KIND, DESCRIPTION, ALLOWED, PARTS = range(len(COLUMNS))


def field_type_of(field: dict[str, Any]) -> str:
    if field.get("type") == "array":
        items = field.get("items") or {}
        return "list of records" if items.get("type") == "object" else "list of texts"
    if field.get("type") == "object":
        return "group"
    for label, keywords in FIELD_TYPES.items():
        if all(field.get(key) == value for key, value in keywords.items()) and (
            label == "date" or field.get("format") != "date"
        ):
            return label
    return "text"


def _parts_of(field: dict[str, Any]) -> dict[str, Any]:
    """The named parts of a group, or of each record of a list of records."""
    holder = field.get("items", {}) if field.get("type") == "array" else field
    return dict(holder.get("properties", {})) if isinstance(holder, dict) else {}


def _with_parts(field: dict[str, Any], kind: str, names: list[str]) -> dict[str, Any]:
    """The field typed as `kind`; parts keep their own schema when their name is unchanged."""
    old = _parts_of(field)
    parts = {name: old.get(name, {"type": "string"}) for name in names}
    if kind == "list of texts":
        field["items"] = {"type": "string"}
    elif kind == "list of records":
        field["items"] = {"type": "object", "properties": parts or {"text": {"type": "string"}}}
    elif kind == "group":
        field["properties"] = parts or {"text": {"type": "string"}}
    return field


class TemplateStore(Protocol):
    """Where templates are listed, saved and deleted, audited (app.session.Session is one)."""

    def templates(self) -> list[templates.Template]: ...
    def save_template(self, name: str, schema: dict[str, Any]) -> templates.Template: ...
    def delete_template(self, name: str) -> None: ...


class TemplatesDialog(QDialog):
    templates_changed = Signal()

    def __init__(self, store: TemplateStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("templatesDialog")
        self.setWindowTitle("Templates")
        self.resize(1100, 560)
        self.store = store
        self.loaded: dict[str, Any] = {}  # the open schema: its keywords the table doesn't show
        self.list = QListWidget(objectName="templateList")
        self.list.setAccessibleName("Templates")
        self.list.currentTextChanged.connect(self._open)
        self.name = QLineEdit(objectName="templateName")
        self.name.setAccessibleName("Template name")
        self.table = QTableWidget(0, len(COLUMNS), objectName="templateFields")
        self.table.setAccessibleName("Template fields")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        for column, tip in enumerate(TIPS):
            self.table.horizontalHeaderItem(column).setToolTip(tip)
        header = self.table.horizontalHeader()
        header.setMinimumSectionSize(90)
        for column in (NAME, KIND):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(DESCRIPTION, QHeaderView.ResizeMode.Stretch)
        for column in (ALLOWED, PARTS):  # wide enough for their header; the user can widen them
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            self.table.setColumnWidth(column, header.sectionSizeFromContents(column).width() + 24)
        self.note = QLabel(objectName="templateNote")
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.note.setWordWrap(True)

        def button(text: str, name: str, slot, shortcut=None) -> QPushButton:
            widget = QPushButton(text, objectName=name)
            widget.clicked.connect(slot)
            if shortcut is not None:
                widget.setShortcut(QKeySequence(shortcut))
            return widget

        new = button("New", "newTemplate", self.new_template, QKeySequence.StandardKey.New)
        self.delete_button = button("Delete", "deleteTemplate", self.delete_template)
        add_field = button("Add field", "addField", lambda: self.add_field_row())
        remove_field = button("Remove field", "removeField", self.remove_field_row)
        import_button = button("Import schema…", "importSchema", self._import_dialog)
        export_button = button("Export schema…", "exportSchema", self._export_dialog)
        save = button("Save", "saveTemplate", self.save, QKeySequence.StandardKey.Save)

        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        row = QHBoxLayout()
        row.addWidget(new)
        row.addWidget(self.delete_button)
        left.addLayout(row)
        left.addWidget(import_button)
        right = QVBoxLayout()
        name_row = QHBoxLayout()
        name_row.addWidget(QLabel("Name:"))
        name_row.addWidget(self.name, 1)
        right.addLayout(name_row)
        right.addWidget(self.table, 1)
        fields_row = QHBoxLayout()
        fields_row.addWidget(add_field)
        fields_row.addWidget(remove_field)
        fields_row.addStretch(1)
        fields_row.addWidget(export_button)
        fields_row.addWidget(save)
        right.addLayout(fields_row)
        right.addWidget(self.note)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 1)
        layout.addLayout(right, 3)
        self.refresh()

    def refresh(self, select: str | None = None) -> None:
        current = select or self.list.currentItem() and self.list.currentItem().text()
        try:
            self.by_name = {t.name: t for t in self.store.templates()}
        except FieldscribeError as exc:  # a broken template file
            self.by_name = {}
            self.note.setText(str(exc))
        self.list.blockSignals(True)
        self.list.clear()
        self.list.addItems(list(self.by_name))
        self.list.blockSignals(False)
        names = list(self.by_name)
        if names:
            self.list.setCurrentRow(names.index(current) if current in names else 0)
        else:
            self.new_template()

    def _open(self, name: str) -> None:
        template = self.by_name.get(name)
        if template is not None:
            self.show_schema(name, template.schema)
            self.delete_button.setEnabled(not template.bundled)
            self.note.setText(
                "A bundled template: saving stores your own copy under this name."
                if template.bundled else ""
            )  # fmt: skip

    def show_schema(self, name: str, schema: dict[str, Any]) -> None:
        self.name.setText(name)
        self.loaded = {k: v for k, v in schema.items() if k not in ("type", "properties")}
        self.table.setRowCount(0)
        for field_name, field in schema.get("properties", {}).items():
            self.add_field_row(field_name, field)

    def add_field_row(self, name: str = "", field: dict[str, Any] | None = None) -> None:
        field = field or {"type": "string"}
        row = self.table.rowCount()
        self.table.insertRow(row)
        name_item = QTableWidgetItem(name)
        name_item.setData(Qt.ItemDataRole.UserRole, field)  # keeps keywords the table can't show
        self.table.setItem(row, 0, name_item)
        kind = QComboBox(objectName=f"fieldType-{row}")
        kind.setAccessibleName("Field type")
        kind.addItems(list(FIELD_TYPES))
        kind.setCurrentText(field_type_of(field))
        self.table.setCellWidget(row, KIND, kind)
        self.table.setItem(row, DESCRIPTION, QTableWidgetItem(field.get("description", "")))
        allowed = ", ".join(str(value) for value in field.get("enum", []))
        self.table.setItem(row, ALLOWED, QTableWidgetItem(allowed))
        self.table.setItem(row, PARTS, QTableWidgetItem(", ".join(_parts_of(field))))
        self.table.resizeColumnToContents(KIND)

    def remove_field_row(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)

    def schema(self) -> dict[str, Any]:
        """The table as a JSON Schema object."""
        properties: dict[str, Any] = {}
        for row in range(self.table.rowCount()):
            name_item = self.table.item(row, 0)
            name = name_item.text().strip() if name_item else ""
            if not name:
                continue
            kept = dict(name_item.data(Qt.ItemDataRole.UserRole) or {})
            field = {
                k: v
                for k, v in kept.items()
                if k not in ("type", "format", "enum", "description", "items", "properties")
            }
            kind = self.table.cellWidget(row, KIND).currentText()
            field.update(FIELD_TYPES[kind])
            parts = [p.strip() for p in self.table.item(row, PARTS).text().split(",") if p.strip()]
            field = _with_parts(
                {**field, "items": kept.get("items", {}), "properties": kept.get("properties", {})},
                kind,
                parts,
            )
            if kind != "group":
                field.pop("properties", None)
            if kind not in ("list of texts", "list of records"):
                field.pop("items", None)
            description = self.table.item(row, DESCRIPTION).text().strip()
            if description:
                field["description"] = description
            allowed = [
                v.strip() for v in self.table.item(row, ALLOWED).text().split(",") if v.strip()
            ]
            if allowed and field["type"] not in ("array", "object"):
                field["enum"] = [_typed(value, field["type"]) for value in allowed]
            properties[name] = field
        return {**self.loaded, "type": "object", "properties": properties}

    def new_template(self) -> None:
        self.list.clearSelection()
        self.name.clear()
        self.loaded = {}
        self.table.setRowCount(0)
        self.add_field_row()
        self.delete_button.setEnabled(False)
        self.note.setText("Name the template, describe each field, then Save.")
        self.name.setFocus()

    def save(self) -> bool:
        name = self.name.text().strip()
        try:
            self.store.save_template(name, self.schema())
        except FieldscribeError as exc:
            self.note.setText(str(exc))
            return False
        self.refresh(select=name)
        self.note.setText(f"Saved {name}.")
        self.templates_changed.emit()
        return True

    def delete_template(self) -> None:
        name = self.name.text().strip()
        try:
            self.store.delete_template(name)
        except FieldscribeError as exc:
            self.note.setText(str(exc))
            return
        self.refresh()
        self.templates_changed.emit()

    def import_schema(self, path: Path) -> None:
        """Load a schema file into the editor (saved only when the user presses Save)."""
        try:
            schema = templates.load_schema_file(path)
        except FieldscribeError as exc:
            self.note.setText(str(exc))
            return
        self.list.clearSelection()
        self.show_schema(templates.schema_file_name(path), schema)
        self.delete_button.setEnabled(False)
        self.note.setText(f"Imported {path.name}: check the fields, then Save.")

    def export_schema(self, path: Path) -> None:
        text = json.dumps(self.schema(), indent=2, ensure_ascii=False) + "\n"
        try:
            atomic_write_bytes(path, text.encode("utf-8"))
        except OSError as exc:
            self.note.setText(f"{path}: cannot write the file ({exc.strerror}).")
            return
        self.note.setText(f"Exported the schema to {path}.")

    def _import_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a schema", "", "JSON Schema (*.json)")
        if path:
            self.import_schema(Path(path))

    def _export_dialog(self) -> None:
        suggested = (self.name.text().strip() or "template") + ".json"
        path, _ = QFileDialog.getSaveFileName(
            self, "Export the schema", suggested, "JSON Schema (*.json)"
        )
        if path:
            self.export_schema(Path(path))


def _typed(value: str, json_type: str) -> Any:
    """An allowed value typed like its field, so `enum` matches what the model returns."""
    try:
        if json_type == "integer":
            return int(value)
        if json_type == "number":
            return float(value)
    except ValueError:
        return value
    if json_type == "boolean":
        return value.lower() in ("true", "yes")
    return value
