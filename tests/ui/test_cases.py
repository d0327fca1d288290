"""Cases in the library (create, drop into, move to, filter by) and the audited opening of a
document, through the widgets a user works with."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog

from app.audit.log import read_events
from app.jobs.runner import JobState
from app.vault.cases import list_cases
from app.vault.documents import list_documents
from tests.helpers import add_text_documents
from tests.ui.conftest import drop_files, has_ended
from ui.library import MoveToCaseDialog

TITLE = "Home visit Mrs Okafor"


def shown_names(library) -> list[str]:
    tree = library.tree
    return sorted(tree.topLevelItem(row).text(0) for row in range(tree.topLevelItemCount()))


def jobs_done(workspace, title_start: str) -> bool:
    rows = [row for row in workspace.job_panel.rows.values()
            if row.job.title.startswith(title_start)]  # fmt: skip
    return bool(rows) and all(
        has_ended(workspace, row.job) and row.job.state is JobState.FINISHED for row in rows
    )


def new_case(qtbot, window, title: str) -> None:
    window.findChild(QAction, "actionNewCase").trigger()
    dialog = window.findChild(QInputDialog, "caseTitleDialog")
    dialog.setTextValue(title)
    dialog.accept()
    qtbot.waitUntil(lambda: window.findChild(QInputDialog, "caseTitleDialog") is None)


def test_create_a_case_drop_into_it_move_documents_and_filter(qtbot, window, workspace, tmp_path):
    library = workspace.library
    add_text_documents(workspace.session.vault, 2)
    library.refresh()
    combo = library.case_filter
    assert [combo.itemText(i) for i in range(combo.count())] == ["All documents", "No case"]

    # A new case is shown at once; a file dropped now goes into it.
    new_case(qtbot, window, f"  {TITLE} ")
    (case,) = list_cases(workspace.session.vault)
    assert case.title == TITLE
    assert library.current_case_id() == case.id and combo.currentText() == f"{TITLE} (0)"
    assert shown_names(library) == []
    note = tmp_path / "visit-note.txt"
    note.write_text("Seen at home. Blood pressure 128/82.", encoding="utf-8")
    drop_files(window, [note])
    qtbot.waitUntil(lambda: jobs_done(workspace, "Add visit-note.txt"), timeout=20_000)
    assert shown_names(library) == ["visit-note.txt"]
    assert combo.currentText() == f"{TITLE} (1)"

    # Move the two other documents in, from the whole list, with the keyboard's choice.
    combo.setCurrentIndex(combo.findData("all"))
    assert shown_names(library) == ["0.txt", "1.txt", "visit-note.txt"]
    tree = library.tree
    for item in (tree.topLevelItem(row) for row in range(tree.topLevelItemCount())):
        item.setSelected(item.text(0) != "visit-note.txt")
    library.move_action.trigger()  # the list's context menu
    dialog = workspace.findChild(MoveToCaseDialog, "moveToCaseDialog")
    dialog.search_field.setText("okaf")  # narrows the list to the one case
    visible = [dialog.choices.item(row) for row in range(dialog.choices.count())
               if not dialog.choices.item(row).isHidden()]  # fmt: skip
    assert [item.text() for item in visible] == [TITLE]
    qtbot.keyClick(dialog.search_field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: jobs_done(workspace, "Move 2 documents"), timeout=10_000)
    assert {d.name: d.case_id for d in list_documents(workspace.session.vault)} == {
        "0.txt": case.id, "1.txt": case.id, "visit-note.txt": case.id,
    }  # fmt: skip
    assert [tree.topLevelItem(row).text(4) for row in range(3)] == [TITLE] * 3

    # Out of the case again: it is listed under "No case" only.
    library.select_document(next(d.id for d in list_documents(workspace.session.vault)
                                 if d.name == "0.txt"))  # fmt: skip
    window.findChild(QAction, "actionMoveToCase").trigger()  # the menu (Ctrl+Shift+C)
    dialog = workspace.findChild(MoveToCaseDialog, "moveToCaseDialog")
    dialog.choices.setCurrentRow(dialog.choices.count() - 1)  # "No case"
    qtbot.mouseClick(dialog.move_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: jobs_done(workspace, "Move 1 document"), timeout=10_000)
    combo.setCurrentIndex(combo.findData("none"))
    assert shown_names(library) == ["0.txt"]
    combo.setCurrentIndex(combo.findData(case.id))
    assert shown_names(library) == ["1.txt", "visit-note.txt"]

    # Rename it; the audit log knows the case and the moves by id only.
    window.findChild(QAction, "actionRenameCase").trigger()
    rename = window.findChild(QInputDialog, "caseTitleDialog")
    assert rename.textValue() == TITLE
    rename.setTextValue("Closed visit")
    rename.accept()
    qtbot.waitUntil(lambda: combo.currentText() == "Closed visit (2)")
    events = read_events(workspace.session.vault)
    case_events = [(e.action, e.object_id, e.details) for e in events if e.action[:5] == "case."]
    assert case_events == [("case.create", str(case.id), {}), ("case.update", str(case.id), {})]
    assert [e.details["case_id"] for e in events if e.action == "document.assign"] == [
        case.id, case.id, case.id, None,
    ]  # fmt: skip
    assert not any("Okafor" in str(e.details) or "visit" in str(e.details) for e in events)


def test_opening_a_document_is_audited_once_per_opening(qtbot, workspace):
    first, second = add_text_documents(workspace.session.vault, 2)
    library = workspace.library
    library.refresh()

    def views() -> list[str]:
        return [
            e.object_id for e in read_events(workspace.session.vault) if e.action == "document.view"
        ]

    library.select_document(first)
    assert workspace.document_view.document.id == first
    assert views() == [str(first)]
    # Shown again without being opened again: a refresh, new results, a resize.
    library.refresh()
    workspace.document_view.reload_results()
    workspace.document_view.resize(500, 400)
    assert views() == [str(first)]
    library.select_document(second)
    library.select_document(first)
    assert views() == [str(first), str(second), str(first)]
    event = next(e for e in read_events(workspace.session.vault) if e.action == "document.view")
    assert (event.object_type, event.details) == ("document", {})
