"""A value typed into a field's cell is never lost for want of Enter: every way of leaving the
cell saves it as the user's correction (a new revision), in the real window over a real vault."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLineEdit, QWidget

from app import jobs
from app.jobs import pipeline, templates
from app.vault import Vault
from tests.conftest import PASSPHRASE
from tests.helpers import add_text_documents
from tests.ui.conftest import unlock
from ui.extract_tab import STATE, VALUE

TYPED = "Dr Example"
SCHEMA = {
    "type": "object",
    "properties": {
        "patient_name": {"type": "string", "description": "The patient's name."},
        "clinician_name": {"type": "string", "description": "Who saw the patient."},
    },
}


@pytest.fixture
def two_extracted(vault) -> tuple[int, int]:
    """Two digitized documents with the fields of one template extracted; the vault locked."""
    first, second = add_text_documents(vault, 2, words="visit\nPatient: Ada Lind")
    templates.save_template(vault, "visit", SCHEMA)
    for document_id in (first, second):
        jobs.digitize(vault, document_id)
        jobs.extract(vault, None, document_id, "visit")
    vault.lock()
    return first, second


@pytest.fixture
def typing(qtbot, window, two_extracted):
    """The first document's fields shown, "Dr Example" typed into the clinician's cell with
    F2 and the keyboard, and no Enter pressed: the cell editor is still open."""
    first, _ = two_extracted
    unlock(qtbot, window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)  # focus moves as it does for a user
    workspace = window.workspace
    view = workspace.document_view
    workspace.library.select_document(first)
    view.tabs.setCurrentWidget(view.extract_tab)
    table = view.extract_tab.table
    row = _row(table, "clinician_name")
    table.setFocus()
    table.setCurrentCell(row, VALUE)
    qtbot.keyClick(table, Qt.Key.Key_F2)
    editor = table.viewport().findChild(QLineEdit)
    qtbot.keyClicks(editor, TYPED)
    assert table.state() is table.State.EditingState
    assert _stored(workspace.session, first)["source"] != "user"  # nothing saved yet
    return workspace


def _row(table, name: str) -> int:
    names = [table.item(row, 0).text() for row in range(table.rowCount())]
    return names.index(name)


def _stored(session, document_id: int, field: str = "clinician_name") -> dict:
    return session.latest_extract(document_id, "visit").content["fields"][field]


def _assert_saved_as_correction(session, document_id: int) -> None:
    field = _stored(session, document_id)
    assert (field["value"], field["source"], field["evidence"]) == (TYPED, "user", None)
    assert session.latest_extract(document_id, "visit").revision == 2  # a new revision


def test_switching_document_saves_the_typed_value(qtbot, typing, two_extracted):
    first, second = two_extracted
    workspace, view = typing, typing.document_view
    workspace.library.select_document(second)  # as an import that ends selects its document
    assert view.document.id == second
    _assert_saved_as_correction(workspace.session, first)
    assert _stored(workspace.session, second)["source"] != "user"

    workspace.library.select_document(first)  # back: the value is there, marked as the user's
    table = view.extract_tab.table
    row = _row(table, "clinician_name")
    assert table.item(row, VALUE).text() == TYPED
    assert table.item(row, STATE).text() == "✎ you"


def test_switching_tab_saves_the_typed_value(qtbot, typing, two_extracted):
    first, _ = two_extracted
    view = typing.document_view
    view.tabs.setCurrentWidget(view.summary_tab)  # as Summarize (Ctrl+M) does
    _assert_saved_as_correction(typing.session, first)
    view.tabs.setCurrentWidget(view.extract_tab)
    table = view.extract_tab.table
    assert table.item(_row(table, "clinician_name"), VALUE).text() == TYPED


def test_clicking_another_tab_saves_the_typed_value(qtbot, typing, two_extracted):
    first, _ = two_extracted
    bar = typing.document_view.tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(0).center())
    _assert_saved_as_correction(typing.session, first)


def test_save_saves_the_typed_value(qtbot, window, typing, two_extracted):
    first, _ = two_extracted
    window.findChild(QAction, "actionSave").trigger()  # Ctrl+S
    _assert_saved_as_correction(typing.session, first)
    table = typing.document_view.extract_tab.table
    assert table.state() is table.State.NoState  # the cell editor closed, as after Enter
    qtbot.waitUntil(lambda: table.item(_row(table, "clinician_name"), STATE).text() == "✎ you")


def test_a_job_ending_under_the_open_cell_keeps_both(qtbot, typing, two_extracted):
    """An extract that ends while the cell is open: its fields and the typed value are both
    in the newest revision (the value is set on the job's revision, not on the one shown)."""
    first, _ = two_extracted
    session, view = typing.session, typing.document_view
    digitized = session.latest_result(first, "digitize")
    text = digitized.content["text"].replace("Ada Lind", "Bo Chan")
    session.edit_result(digitized.result_id, {**digitized.content, "text": text})
    jobs.extract(session.vault, None, first, "visit")  # the job, on the vault's own connection
    view.reload_results()  # what the workspace does when a job on the shown document ends
    current = session.latest_extract(first, "visit")
    assert current.revision == 3
    assert _stored(session, first)["value"] == TYPED
    assert _stored(session, first, "patient_name")["value"] == "Bo Chan"
    table = view.extract_tab.table
    assert table.item(_row(table, "clinician_name"), VALUE).text() == TYPED
    assert table.item(_row(table, "patient_name"), VALUE).text() == "Bo Chan"


def _stored_in_locked_vault(window, document_id: int) -> tuple[str, str]:
    """The clinician's value and its source, read from the vault unlocked again."""
    vault = Vault.unlock(window.home, PASSPHRASE)
    try:
        result = pipeline.latest_extract(vault, document_id, "visit")
        field = result.content["fields"]["clinician_name"]
        return field["value"], field["source"]
    finally:
        vault.lock()


def test_closing_the_window_saves_the_typed_value(qtbot, window, typing, two_extracted):
    first, _ = two_extracted
    window.close()
    assert window.workspace is None
    assert _stored_in_locked_vault(window, first) == (TYPED, "user")


def test_locking_while_another_window_is_active_saves_the_typed_value(
    qtbot, window, typing, two_extracted
):
    """The user went to another application and the idle lock came: the cell editor had no
    focus to lose, so only the lock itself can save the value."""
    first, _ = two_extracted
    elsewhere = QWidget()
    qtbot.addWidget(elsewhere)
    elsewhere.show()
    elsewhere.activateWindow()
    qtbot.waitUntil(lambda: not window.isActiveWindow())
    window.lock("idle")
    qtbot.waitUntil(lambda: window.workspace is None, timeout=20_000)
    assert _stored_in_locked_vault(window, first) == (TYPED, "user")
