"""The Extract tab: state beside each value, evidence below, "not found", "Source: you"."""

from __future__ import annotations

import csv
import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from app import jobs
from app.jobs import exports, templates
from app.paths import assets_dir
from app.session import Session
from ui.extract_tab import STATE, VALUE, ExtractTab
from ui.revisions import readable

TEXT = "Home visit.\nRe-inspection\n  due: 28/09/2026\nPatient: Ada Lind\n"
SCHEMA = {
    "type": "object",
    "properties": {
        "reinspection_date": {"type": "string", "format": "date", "description": "When."},
        "patient_name": {"type": "string", "description": "Who."},
        "clinician_name": {"type": "string", "description": "By whom."},
        "medications": {"type": "array", "items": {"type": "string"}, "description": "Drugs."},
    },
}


def _stored_result(vault, tmp_path):
    note = tmp_path / "visit.txt"
    note.write_text(TEXT, encoding="utf-8")
    templates.save_template(vault, "visit", SCHEMA)
    document_id = jobs.import_document(vault, note)
    return jobs.extract(vault, None, document_id, "visit")


def _field(evidence, value="x", source="label", grounded=True):
    return {"value": value, "evidence": evidence, "grounded": grounded, "valid": True,
            "source": source}  # fmt: skip


def test_state_sits_next_to_the_value_and_follows_the_evidence_span(qtbot, vault):
    tab = ExtractTab(Session(vault))
    qtbot.addWidget(tab)
    fields = {
        # stored as not grounded, but its evidence is in the text (other line breaks): found
        "reinspection_date": _field("Re-inspection due: 28/09/2026", "2026-09-28", grounded=False),
        "patient_name": _field(None, None, source=None, grounded=False),
        "clinician_name": _field("Dr Who", "Dr Who", source="model"),
        "medications": _field(None, ["aspirin 81 mg", "Lasix 40 mg"], source="user"),
    }
    result = jobs.Result(1, 1, "extract", 1, {"template": "visit", "fields": fields}, {})
    tab.show_result(result, TEXT)
    header = [tab.table.horizontalHeaderItem(c).text() for c in range(tab.table.columnCount())]
    assert header == ["Field", "Value", "State"] and STATE == VALUE + 1
    states = [tab.table.item(row, STATE).text() for row in range(4)]
    assert states == ["✓ found", "— not found", "✗ not in source", "✎ you"]
    assert tab.table.item(3, VALUE).text() == "aspirin 81 mg; Lasix 40 mg"

    tab.table.setCurrentCell(0, VALUE)  # highlighted in the text below the table
    (selection,) = tab.source_text.extraSelections()
    assert selection.cursor.selectedText().startswith("Re-inspection")
    assert "evidence" in tab.evidence_status.text()
    tab.table.setCurrentCell(1, VALUE)
    assert tab.evidence_status.text() == "Not found in this document."
    assert tab.source_text.extraSelections() == []
    tab.table.setCurrentCell(3, VALUE)
    assert tab.evidence_status.text().startswith("Source: you.")
    accepts = []
    for row in range(4):  # only a value found in the text can be accepted as read
        tab.table.setCurrentCell(row, VALUE)
        accepts.append(tab.accept_button.isEnabled())
    assert accepts == [True, False, False, False]


def test_a_value_the_ocr_read_unsurely_asks_to_be_checked_against_the_page(qtbot, vault):
    tab = ExtractTab(Session(vault))
    qtbot.addWidget(tab)
    unsure = {**_field("Patient: Ada Lind", "Ada Lind", grounded=False), "read_unsurely": True}
    chosen = {**unsure, "evidence": "Ada Lind", "source": "model"}
    fields = {"patient_name": unsure, "reinspection_date": _field("due: 28/09/2026", "2026-09-28"),
              "clinician_name": chosen}  # fmt: skip
    result = jobs.Result(1, 1, "extract", 1, {"template": "visit", "fields": fields}, {})
    tab.show_result(result, TEXT)
    states = [tab.table.item(row, STATE).text() for row in range(3)]
    assert states == ["? check", "✓ found", "? check"]
    tab.table.setCurrentCell(0, VALUE)
    assert tab.evidence_status.text() == (
        "The OCR was unsure reading this value's line: compare it with the page."
    )
    (selection,) = tab.source_text.extraSelections()  # its evidence is highlighted all the same
    assert selection.cursor.selectedText() == "Patient: Ada Lind"
    tab.table.setCurrentCell(2, VALUE)  # the model's choice, on a doubted line: both are said
    assert tab.evidence_status.text() == (
        "The model chose this value, and the OCR was unsure reading this value's line: compare"
        " it with the page."
    )


def _handwritten_note_extracted(qtbot, vault) -> tuple[ExtractTab, jobs.Result, dict[str, int]]:
    """The bundled handwritten note, read by the real OCR (its blood pressure line is flagged
    for review) and extracted, shown in the tab: the tab, the result, each field's row."""
    document_id = jobs.import_document(vault, assets_dir() / "samples" / "handwritten-note.png")
    stored = jobs.extract(vault, None, document_id, "clinical-home-visit")
    text, _ = jobs.document_text(vault, document_id)
    tab = ExtractTab(Session(vault))
    qtbot.addWidget(tab)
    tab.show_result(stored, text)
    rows = {tab.table.item(row, 0).text(): row for row in range(tab.table.rowCount())}
    return tab, stored, rows


def test_a_value_read_unsurely_then_typed_by_the_user_is_the_users(qtbot, vault, tmp_path):
    tab, stored, rows = _handwritten_note_extracted(qtbot, vault)
    systolic = rows["systolic_bp"]
    assert tab.table.item(systolic, STATE).text() == "? check"
    tab.table.item(systolic, VALUE).setText("146")  # the user's own reading of the page
    field = jobs.get_result(vault, stored.result_id).content["fields"]["systolic_bp"]
    assert (field["source"], field["read_unsurely"]) == ("user", False)
    assert tab.table.item(systolic, STATE).text() == "✎ you"

    out = tmp_path / "fields.csv"
    exports.export_result(vault, stored.result_id, out, "csv")
    lines = {line["field"]: line for line in csv.DictReader(out.read_text("utf-8").splitlines())}
    assert lines["systolic_bp"]["read_unsurely"] == "False"
    assert (lines["diastolic_bp"]["grounded"], lines["diastolic_bp"]["read_unsurely"]) == (
        "False", "True"
    )


def test_a_value_checked_against_the_page_is_accepted_as_read_and_kept(qtbot, vault):
    tab, stored, rows = _handwritten_note_extracted(qtbot, vault)
    assert tab.accept_button.text() == "&Accept value"  # Alt+A
    assert not tab.accept_button.isEnabled()  # no field selected
    diastolic = rows["diastolic_bp"]
    tab.table.setCurrentCell(diastolic, VALUE)
    assert tab.table.item(diastolic, STATE).text() == "? check" and tab.accept_button.isEnabled()
    tab.accept_button.click()

    field = jobs.get_result(vault, stored.result_id).content["fields"]["diastolic_bp"]
    assert (field["value"], field["source"], field["evidence"]) == (92, "user", "BP 148/92")
    assert tab.table.item(diastolic, STATE).text() == "✓ you"
    assert tab.evidence_status.text().startswith("Source: you. You accepted")
    (selection,) = tab.source_text.extraSelections()
    assert selection.cursor.selectedText() == "BP 148/92"
    assert not tab.accept_button.isEnabled()
    history = readable("extract", jobs.get_result(vault, stored.result_id).content)
    assert "diastolic_bp: 92  [you]" in history.splitlines()  # History shows whose it is

    again = jobs.extract(vault, None, stored.document_id, "clinical-home-visit").content["fields"]
    assert (again["diastolic_bp"]["source"], again["systolic_bp"]["source"]) == ("user", "label")


def test_a_typed_value_is_the_users_in_the_table_and_every_export(qtbot, vault, tmp_path):
    stored = _stored_result(vault, tmp_path)
    tab = ExtractTab(Session(vault))
    qtbot.addWidget(tab)
    tab.show_result(stored, TEXT)
    names = [tab.table.item(row, 0).text() for row in range(tab.table.rowCount())]
    row = names.index("medications")
    tab.table.item(row, VALUE).setText("aspirin 81 mg; Lasix 40 mg")
    edited = jobs.get_result(vault, stored.result_id)
    field = edited.content["fields"]["medications"]
    assert field["value"] == ["aspirin 81 mg", "Lasix 40 mg"]
    assert (field["source"], field["evidence"], field["valid"]) == ("user", None, True)
    assert tab.table.item(row, STATE).text() == "✎ you"

    for fmt in ("csv", "json", "docx"):
        out = tmp_path / f"fields.{fmt}"
        exports.export_result(vault, stored.result_id, out, fmt)
        if fmt == "csv":
            line = next(x for x in out.read_text("utf-8").splitlines() if "medications" in x)
            assert "aspirin 81 mg; Lasix 40 mg" in line and "you" in line.split(",")
        elif fmt == "json":
            exported = json.loads(out.read_text("utf-8"))["fields"]["medications"]
            assert exported["source"] == "you"
        else:
            import docx

            tables = docx.Document(str(out)).tables
            cells = [cell.text for table in tables for row in table.rows for cell in row.cells]
            assert "Source: you" in cells


def test_a_case_exports_as_one_table_of_documents(qtbot, vault, tmp_path):
    from openpyxl import load_workbook
    from PySide6.QtCore import Qt

    from app.vault.cases import assign_document, create_case
    from app.vault.documents import list_documents
    from ui.export import ExportDialog
    from ui.jobs import JobQueue

    stored = _stored_result(vault, tmp_path)
    other = tmp_path / "other.txt"
    other.write_text("Patient: Bo Chan\n", encoding="utf-8")
    other_id = jobs.import_document(vault, other)
    jobs.extract(vault, None, other_id, "visit")
    case = create_case(vault, "Ward round")
    for document_id in (stored.document_id, other_id):
        assign_document(vault, document_id, case)
    document = next(d for d in list_documents(vault) if d.id == stored.document_id)
    queue = JobQueue()
    dialog = ExportDialog(Session(vault), queue, document)
    qtbot.addWidget(dialog)
    dialog.kind.setCurrentIndex(dialog.kind.findData("extract"))
    dialog.format.setCurrentIndex(dialog.format.findData("xlsx-table"))
    dialog.scope.setCurrentIndex(dialog.scope.count() - 1)
    assert dialog.scope.currentText() == "All 2 documents in its case"
    out = tmp_path / "round.xlsx"
    dialog.path.setText(str(out))
    dialog.confirm.setChecked(True)
    with qtbot.waitSignal(dialog.exported, timeout=10_000):
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    queue.shutdown()
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == ["visit.txt", "other.txt"]
    column = rows[0].index("patient_name")
    assert [row[column] for row in rows[1:]] == ["Ada Lind", "Bo Chan"]


@pytest.mark.qt_log_level_fail("WARNING")
def test_a_cell_typed_in_and_entered_then_another_document_shown_warns_nothing(
    qtbot, vault, tmp_path
):
    stored = _stored_result(vault, tmp_path)
    tab = ExtractTab(Session(vault))
    qtbot.addWidget(tab)
    tab.show()
    tab.activateWindow()
    qtbot.waitUntil(tab.isActiveWindow)  # focus moves as for a user: the editor commits on Enter
    tab.show_result(stored, TEXT)
    names = [tab.table.item(row, 0).text() for row in range(tab.table.rowCount())]
    row = names.index("clinician_name")
    tab.table.setCurrentCell(row, VALUE)
    qtbot.keyClick(tab.table, Qt.Key.Key_F2)
    editor = tab.table.findChild(QLineEdit)
    qtbot.keyClicks(editor, "Dr Example")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: tab.table.item(row, STATE).text() == "✎ you")
    assert tab.table.item(row, VALUE).text() == "Dr Example"
    assert jobs.get_result(vault, stored.result_id).content["fields"]["clinician_name"]["value"] \
        == "Dr Example"
    tab.show_result(None, "")  # another document, with no fields yet
    assert tab.table.rowCount() == 0

