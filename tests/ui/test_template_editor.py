"""The template editor keeps lists, records and groups, and shows its column titles whole."""

from __future__ import annotations

import json

from app.jobs import templates
from app.session import Session
from ui.templates import ALLOWED, KIND, PARTS, TemplatesDialog

SCHEMA = {
    "title": "Visit",
    "x-date-order": "MDY",
    "type": "object",
    "properties": {
        "patient": {"type": "string", "description": "Who.", "x-labels": ["Pt"], "maxLength": 60},
        "medications": {
            "type": "array",
            "description": "Drugs taken.",
            "items": {"type": "object", "properties": {
                "name": {"type": "string"}, "dose": {"type": "string"}}},
        },
        "allergies": {"type": "array", "items": {"type": "string"}, "description": "Allergies."},
        "address": {"type": "object", "properties": {"street": {"type": "string"},
                                                     "town": {"type": "string"}}},
    },
}  # fmt: skip


def test_lists_records_and_groups_survive_the_editor(qtbot, vault):
    dialog = TemplatesDialog(Session(vault))
    qtbot.addWidget(dialog)
    dialog.show_schema("visit", SCHEMA)
    kinds = [dialog.table.cellWidget(row, KIND).currentText() for row in range(4)]
    assert kinds == ["text", "list of records", "list of texts", "group"]
    assert dialog.table.item(1, PARTS).text() == "name, dose"
    assert json.dumps(dialog.schema(), sort_keys=True) == json.dumps(SCHEMA, sort_keys=True)

    dialog.table.item(1, PARTS).setText("name, dose, frequency")
    dialog.table.cellWidget(0, KIND).setCurrentText("list of texts")
    schema = dialog.schema()
    record = schema["properties"]["medications"]["items"]["properties"]
    assert list(record) == ["name", "dose", "frequency"]
    assert schema["properties"]["patient"]["items"] == {"type": "string"}
    dialog.name.setText("visit")
    assert dialog.save()
    assert templates.get_template(vault, "visit").schema == schema


def test_column_titles_are_not_cut_off(qtbot, vault):
    dialog = TemplatesDialog(Session(vault))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    header = dialog.table.horizontalHeader()
    for column in range(dialog.table.columnCount()):
        needed = header.sectionSizeFromContents(column).width()
        title = dialog.table.horizontalHeaderItem(column).text()
        assert header.sectionSize(column) >= needed, title
    assert "commas" in dialog.table.horizontalHeaderItem(ALLOWED).toolTip()
