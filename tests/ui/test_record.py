"""The record is never changed or lost by an ordinary gesture: digitize again, Tab, switching
documents, quitting, cancel, history and restore — each done as a user does it."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw, ImageFont
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton

from app import jobs
from app.audit.log import read_events
from app.vault.documents import store_document
from tests.helpers import TextPage, add_text_documents
from tests.ui.conftest import has_ended, unlock

JOB_TIMEOUT = 240_000  # ms: OCR on two shared cores


def question(qtbot, name: str) -> QMessageBox:
    """The message box the window is asking, once it shows."""
    found: list[QMessageBox] = []

    def shown() -> bool:
        found[:] = [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, QMessageBox) and w.objectName() == name and w.isVisible()
        ]
        return bool(found)

    qtbot.waitUntil(shown)
    return found[0]


def answer(qtbot, box: QMessageBox, button_name: str | QMessageBox.StandardButton) -> None:
    button = (
        box.button(button_name)
        if isinstance(button_name, QMessageBox.StandardButton)
        else box.findChild(QPushButton, button_name)
    )
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def wait_for_jobs(qtbot, workspace, timeout: int = JOB_TIMEOUT) -> None:
    qtbot.waitUntil(
        lambda: (
            bool(workspace.job_panel.rows)
            and all(has_ended(workspace, row.job) for row in workspace.job_panel.rows.values())
        ),
        timeout=timeout,
    )


def type_correction(qtbot, editor, wrong: str, right: str) -> None:
    """Select `wrong` in the editor and type `right` over it, as a user does."""
    cursor = editor.textCursor()
    at = editor.toPlainText().index(wrong)
    cursor.setPosition(at)
    cursor.setPosition(at + len(wrong), cursor.MoveMode.KeepAnchor)
    editor.setTextCursor(cursor)
    editor.setFocus()
    qtbot.keyClicks(editor, right)


@pytest.fixture
def corrected_document(vault):
    """One digitized text document, in a vault locked again."""
    (document_id,) = add_text_documents(vault, 1, words="Boiler presure low. Valve sealed.")
    jobs.digitize(vault, document_id)
    vault.lock()
    return document_id


def test_digitize_again_asks_and_keeps_the_corrections(qtbot, window, corrected_document):
    unlock(qtbot, window)
    workspace = window.workspace
    workspace.library.select_document(corrected_document)
    text_tab = workspace.document_view.text_tab
    type_correction(qtbot, text_tab.editor, "presure", "pressure")
    window.findChild(QAction, "actionSave").trigger()  # Ctrl+S
    assert text_tab.status.text().startswith("Revision 2  ·  Your edit")

    # Ctrl+D: the question, "keep my corrections" the default (Enter).
    window.findChild(QAction, "actionDigitize").trigger()
    box = question(qtbot, "keepCorrectionsQuestion")
    assert box.defaultButton().objectName() == "keepCorrectionsButton"
    qtbot.keyClick(box, Qt.Key.Key_Return)
    wait_for_jobs(qtbot, workspace)
    current = jobs.latest_result(workspace.session.vault, corrected_document, "digitize")
    assert current.revision == 3 and "Boiler pressure low." in current.content["text"]
    assert "Boiler pressure low." in text_tab.editor.toPlainText()
    text, _ = jobs.document_text(workspace.session.vault, corrected_document)
    assert "pressure" in text  # what summaries and extractions read

    # Cancel: nothing runs.
    qtbot.mouseClick(text_tab.digitize_button, Qt.MouseButton.LeftButton)
    answer(qtbot, question(qtbot, "keepCorrectionsQuestion"), QMessageBox.StandardButton.Cancel)
    assert not workspace.jobs.active_jobs() and text_tab.result.revision == 3

    # Again, taking the new reading: a fourth revision; the corrected one stays in the history.
    qtbot.mouseClick(text_tab.digitize_button, Qt.MouseButton.LeftButton)
    answer(qtbot, question(qtbot, "keepCorrectionsQuestion"), "useNewOutputButton")
    qtbot.waitUntil(lambda: text_tab.result.revision == 4, timeout=JOB_TIMEOUT)
    assert "presure" in text_tab.editor.toPlainText()
    history = jobs.revisions(workspace.session.vault, current.result_id)
    assert [r.revision for r in history] == [1, 2, 3, 4]
    assert (
        jobs.get_revision(workspace.session.vault, current.result_id, 2)
        .content["text"]
        .count("pressure")
    )


def test_tab_leaves_the_editor_and_ctrl_tab_types_a_tab(qtbot, window, corrected_document):
    unlock(qtbot, window)
    workspace = window.workspace
    workspace.library.select_document(corrected_document)
    editor = workspace.document_view.text_tab.editor
    before = editor.toPlainText()
    editor.setFocus()
    qtbot.waitUntil(editor.hasFocus)
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert not editor.hasFocus()
    assert editor.toPlainText() == before
    editor.setFocus()
    qtbot.keyClick(editor, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert editor.hasFocus() and editor.toPlainText().count("\t") == 1


def test_leaving_a_document_with_unsaved_edits_asks(qtbot, window, vault):
    first, second = add_text_documents(vault, 2, words="Ramipril 5 mg daily.")
    for document_id in (first, second):
        jobs.digitize(vault, document_id)
    vault.lock()
    unlock(qtbot, window)
    workspace = window.workspace
    view = workspace.document_view
    workspace.library.select_document(first)
    type_correction(qtbot, view.text_tab.editor, "5 mg", "2.5 mg")

    # Cancel: the user stays on the document, the edit still there and not saved.
    workspace.library.select_document(second)
    answer(qtbot, question(qtbot, "unsavedEditsQuestion"), QMessageBox.StandardButton.Cancel)
    assert view.document.id == first and workspace.library.current_document().id == first
    assert "2.5 mg" in view.text_tab.editor.toPlainText()
    assert jobs.latest_result(workspace.session.vault, first, "digitize").revision == 1

    # Discard: the other document shows; nothing was stored.
    workspace.library.select_document(second)
    answer(qtbot, question(qtbot, "unsavedEditsQuestion"), QMessageBox.StandardButton.Discard)
    assert view.document.id == second
    assert jobs.latest_result(workspace.session.vault, first, "digitize").revision == 1

    # Save: a new revision, then the other document.
    workspace.library.select_document(first)
    type_correction(qtbot, view.text_tab.editor, "5 mg", "2.5 mg")
    workspace.library.select_document(second)
    answer(qtbot, question(qtbot, "unsavedEditsQuestion"), QMessageBox.StandardButton.Save)
    assert view.document.id == second
    saved = jobs.latest_result(workspace.session.vault, first, "digitize")
    assert saved.revision == 2 and "2.5 mg" in saved.content["text"]
    assert [e.action for e in read_events(workspace.session.vault)].count("result.edit") == 1

    # Quit from the menu with an edit: the same question; Cancel keeps the window open.
    type_correction(qtbot, view.text_tab.editor, "5 mg", "10 mg")
    window.findChild(QAction, "actionQuit").trigger()
    answer(qtbot, question(qtbot, "unsavedEditsQuestion"), QMessageBox.StandardButton.Cancel)
    assert window.isVisible() and window.workspace is workspace


def page_image(text: str) -> bytes:
    image = Image.new("L", (900, 160), 255)
    ImageDraw.Draw(image).text((30, 50), text, fill=0, font=ImageFont.load_default(size=40))
    data = io.BytesIO()
    image.save(data, format="PNG")
    return data.getvalue()


@pytest.mark.slow
def test_cancel_keeps_the_pages_read_and_resume_reads_the_rest(qtbot, window, vault):
    pages = [TextPage(n, None, page_image(f"Inspection page {n} boiler"), "image/png")
             for n in range(1, 9)]  # fmt: skip
    with vault.transaction() as tx:
        document_id, _ = store_document(
            tx, name="scan.png", media_type="image/png", content=b"eight pages", pages=pages
        )
    vault.lock()
    unlock(qtbot, window)
    workspace = window.workspace
    workspace.library.select_document(document_id)
    view = workspace.document_view
    qtbot.mouseClick(view.text_tab.digitize_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(workspace.job_panel.rows) == 1)
    (row,) = workspace.job_panel.rows.values()
    qtbot.waitUntil(lambda: row.job.message == "Reading page 7 of 8", timeout=JOB_TIMEOUT)
    assert view.job_bar.isVisible() and "Reading page 7 of 8" in view.job_bar.label.text()
    qtbot.mouseClick(row.cancel, Qt.MouseButton.LeftButton)
    wait_for_jobs(qtbot, workspace)
    assert row.status.text() == "Cancelled"

    # The pages read are kept and shown; the rest are marked, with a Resume button.
    kept = jobs.latest_result(workspace.session.vault, document_id, "digitize")
    pending = jobs.pending_pages(kept.content)
    assert pending and pending[-1] == 8 and pending[0] >= 7
    assert "boiler" in view.text_tab.editor.toPlainText().lower()
    assert view.text_tab.pending_bar.isVisible()
    assert view.text_tab.pending.text().startswith(f"{len(pending)} page")
    assert not view.job_bar.isVisible()

    qtbot.mouseClick(view.text_tab.resume_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not view.text_tab.pending_bar.isVisible(), timeout=JOB_TIMEOUT)
    resumed = jobs.latest_result(workspace.session.vault, document_id, "digitize")
    assert (resumed.result_id, resumed.revision) == (kept.result_id, kept.revision + 1)
    assert all(page["text"] for page in resumed.content["pages"])
    assert read_events(workspace.session.vault)[-2].details["resumed_pages"] == 8 - len(pending)


def test_history_shows_revisions_side_by_side_and_restores(qtbot, window, corrected_document):
    unlock(qtbot, window)
    workspace = window.workspace
    workspace.library.select_document(corrected_document)
    view = workspace.document_view
    type_correction(qtbot, view.text_tab.editor, "presure", "pressure")
    view.text_tab.save()

    qtbot.mouseClick(view.history_button, Qt.MouseButton.LeftButton)
    dialog = view.history_dialog
    qtbot.waitExposed(dialog)
    rows = [dialog.list.item(i).text() for i in range(dialog.list.count())]
    assert rows[0].startswith("Revision 2") and rows[0].endswith("Your edit  (current)")
    assert rows[1].startswith("Revision 1") and "The document's own text" in rows[1]
    assert dialog.chosen_revision() == 1  # compared with the current one
    assert "presure" in dialog.chosen.toPlainText()
    assert "pressure" in dialog.current.toPlainText()
    assert dialog.message.text() == (
        "Lines that differ are marked: 1 here, 1 in the current revision."
    )

    qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
    current = jobs.latest_result(workspace.session.vault, corrected_document, "digitize")
    assert current.revision == 3 and "presure" in current.content["text"]
    assert view.text_tab.status.text().startswith("Revision 3  ·  Restored from revision 1")
    assert "presure" in view.text_tab.editor.toPlainText()
    assert dialog.list.item(0).text().endswith("Restored from revision 1  (current)")
    event = read_events(workspace.session.vault)[-1]
    assert (event.action, event.details["from_revision"]) == ("result.restore", 1)
    dialog.close()


def test_the_fields_and_the_summary_have_their_history_too(qtbot, window, vault):
    from app.jobs.results import store_result

    (document_id,) = add_text_documents(vault, 1, words="Ramipril 5 mg daily.")
    fields = {"medication": {"value": "Ramipril 5 mg", "evidence": "Ramipril 5 mg",
                             "grounded": True, "valid": True, "source": "label"}}  # fmt: skip
    with vault.transaction() as tx:
        extract_id = store_result(
            tx, document_id=document_id, kind="extract",
            content={"template": "visit", "fields": fields},
            provenance={"model": {"model": "SmolLM2-135M-Instruct"}},
        )  # fmt: skip
        store_result(
            tx, document_id=document_id, kind="summarize",
            content={"summary": "Ramipril 5 mg daily. [S1]", "sections": [], "ungrounded": []},
            provenance={"method": "extractive"},
        )  # fmt: skip
    edited = {"medication": {**fields["medication"], "value": "Ramipril 2.5 mg"}}
    jobs.edit_result(vault, extract_id, {"template": "visit", "fields": edited})
    vault.lock()
    unlock(qtbot, window)
    view = window.workspace.document_view
    window.workspace.library.select_document(document_id)

    view.tabs.setCurrentWidget(view.summary_tab)
    qtbot.mouseClick(view.history_button, Qt.MouseButton.LeftButton)
    dialog = view.history_dialog
    assert dialog.list.item(0).text().endswith("Made without the model  (current)")
    assert dialog.message.text() == "This is the current revision."
    dialog.close()

    view.tabs.setCurrentWidget(view.extract_tab)
    qtbot.mouseClick(view.history_button, Qt.MouseButton.LeftButton)
    dialog = view.history_dialog
    assert dialog.list.item(1).text().endswith("Model SmolLM2-135M-Instruct")
    assert dialog.chosen.toPlainText() == "medication: Ramipril 5 mg"
    assert dialog.current.toPlainText() == "medication: Ramipril 2.5 mg"
    qtbot.mouseClick(dialog.restore_button, Qt.MouseButton.LeftButton)
    restored = jobs.latest_result(window.workspace.session.vault, document_id, "extract")
    assert restored.revision == 3
    assert restored.content["fields"]["medication"]["value"] == "Ramipril 5 mg"
    assert view.extract_tab.result.revision == 3
    dialog.close()
