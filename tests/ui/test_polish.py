"""Layout and polish: a small screen, plurals, mnemonics, the review tooltip and count, search
snippets, why the vault locked, failed attempts, the appearance, exports, window.ini."""

from __future__ import annotations

import re
import stat

import pypdfium2
import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction, QHelpEvent, QPalette
from PySide6.QtWidgets import QApplication, QMessageBox, QToolTip

from app import jobs
from app.audit import log
from app.jobs.results import store_result
from tests.conftest import PASSPHRASE
from tests.helpers import add_text_documents
from tests.ui.conftest import UNLOCK_TIMEOUT, unlock
from ui.export import result_pdf
from ui.main_window import MainWindow
from ui.settings import AUTOLOCK_SETTING
from ui.settings_dialog import apply_appearance

FLAGGED = "Bl00d presure 14O/9O"


def flagged_document(vault) -> int:
    """A document whose digitized text has one line read with low confidence."""
    (document_id,) = add_text_documents(vault, 1, words="Seen at home.")
    lines = [
        {"text": "Seen at home.", "confidence": 0.98, "box": [0, 0, 90, 20], "needs_review": False},
        {"text": FLAGGED, "confidence": 0.41, "box": [0, 30, 90, 50], "needs_review": True},
    ]
    content = {
        "text": f"Seen at home.\n{FLAGGED}",
        "pages": [{"page": 1, "text": f"Seen at home.\n{FLAGGED}", "lines": lines}],
    }
    with vault.transaction() as tx:
        store_result(tx, document_id=document_id, kind="digitize", content=content,
                     provenance={"ocr": "rapidocr"})  # fmt: skip
    return document_id


def test_usable_at_1024_by_640_with_panels_that_give_way(qtbot, window, vault):
    document_id = flagged_document(vault)
    vault.lock()
    unlock(qtbot, window)
    workspace = window.workspace
    workspace.library.select_document(document_id)
    window.resize(1024, 640)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == (1024, 640))
    hint = window.minimumSizeHint()
    assert hint.width() <= 1024 and hint.height() <= 640, hint
    view = workspace.document_view
    assert view.tabs.width() >= 300 and view.text_tab.editor.height() >= 120

    # Hiding the library and the job list gives the document the room.
    before = view.width()
    window.findChild(QAction, "actionShowLibrary").trigger()
    window.findChild(QAction, "actionShowJobs").trigger()
    qtbot.waitUntil(lambda: view.width() > before + 150)
    assert not workspace.library.isVisible() and not workspace.job_panel.isVisible()
    window.findChild(QAction, "actionShowLibrary").trigger()
    assert workspace.library.isVisible()

    # The Extract tab, its fields listed, fits as well.
    view.tabs.setCurrentWidget(view.extract_tab)
    qtbot.waitUntil(view.extract_tab.isVisible)
    hint = window.minimumSizeHint()
    assert hint.width() <= 1024 and hint.height() <= 640, hint


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # offscreen: tooltips
def test_review_lines_have_their_tooltip_and_their_count_follows_fixes(qtbot, window, vault):
    document_id = flagged_document(vault)
    vault.lock()
    unlock(qtbot, window)
    window.workspace.library.select_document(document_id)
    view = window.workspace.document_view
    tab, editor = view.text_tab, view.text_tab.editor
    assert tab.status.text() == "Revision 1  ·  OCR (rapidocr)  ·  1 line highlighted for review"
    assert view.title.text().endswith("·  1 page")

    at = editor.toPlainText().index(FLAGGED) + 3
    cursor = editor.textCursor()
    cursor.setPosition(at)
    point = editor.cursorRect(cursor).center()
    QApplication.sendEvent(
        editor.viewport(),
        QHelpEvent(QEvent.Type.ToolTip, point, editor.viewport().mapToGlobal(point)),
    )
    qtbot.waitUntil(QToolTip.isVisible)
    assert QToolTip.text() == "Read with low confidence: check it against the page"

    # The user fixes the line: once typing pauses, the count drops.
    cursor.setPosition(editor.toPlainText().index(FLAGGED))
    cursor.setPosition(cursor.position() + len(FLAGGED), cursor.MoveMode.KeepAnchor)
    editor.setTextCursor(cursor)
    editor.setFocus()
    qtbot.keyClicks(editor, "Blood pressure 140/90")
    qtbot.waitUntil(lambda: "highlighted" not in tab.status.text())
    assert tab.status.text() == "Revision 1  ·  OCR (rapidocr)"


def test_menus_and_tabs_have_distinct_mnemonics(qtbot, workspace):
    window = workspace.window()
    menus = [action.text() for action in window.menuBar().actions()]
    tabs = workspace.document_view.tabs
    texts = menus + [tabs.tabText(i) for i in range(tabs.count())]
    letters = [re.search(r"&(\w)", text)[1].lower() for text in texts]
    assert len(letters) == len(set(letters)), texts


def test_search_shows_the_snippet_under_the_name_or_says_no_matches(qtbot, window, vault):
    add_text_documents(vault, 3, words="routine visit")
    add_text_documents(vault, 1, start=3, words="boiler pressure was low at noon")
    vault.lock()
    unlock(qtbot, window)
    library = window.workspace.library
    qtbot.keyClicks(library.search_field, "boiler")
    qtbot.waitUntil(lambda: library.tree.topLevelItemCount() == 1)
    item = library.tree.topLevelItem(0)
    assert item.text(0) == "3.txt" and item.isExpanded()
    snippet = item.child(0)
    assert "boiler" in snippet.text(0).lower() and snippet.isFirstColumnSpanned()
    assert library.tree.columnCount() == 5  # no column off to the right
    library.search_field.clear()
    qtbot.keyClicks(library.search_field, "zeppelin")
    qtbot.waitUntil(library.no_matches.isVisible)
    assert library.no_matches.text() == "No matches for “zeppelin”."


def test_a_search_runs_off_the_gui_thread_and_is_audited_once_not_at_each_refresh(
    qtbot, window, vault
):
    add_text_documents(vault, 2, words="boiler pressure was low at noon")
    vault.lock()
    unlock(qtbot, window)
    library = window.workspace.library
    with qtbot.waitSignal(library.searches.ended, timeout=UNLOCK_TIMEOUT) as ended:
        qtbot.keyClicks(library.search_field, "boiler")
    assert ended.args[0].title == "Search"  # on the search queue's worker thread
    qtbot.waitUntil(lambda: library.tree.topLevelItemCount() == 2)
    with qtbot.waitSignal(library.searches.ended, timeout=UNLOCK_TIMEOUT):
        library.refresh()  # as after a job: the results are looked up again
    assert library.tree.topLevelItemCount() == 2
    searches = [
        e for e in log.read_events(window.workspace.session.vault) if e.action == "search.run"
    ]
    assert len(searches) == 1


def test_idle_lock_says_why_and_the_next_unlock_counts_failed_attempts(qtbot, vault_home, vault):
    with vault.transaction() as tx:
        tx.set_setting(AUTOLOCK_SETTING, 0.02)  # 1.2 seconds
    vault.lock()
    window = MainWindow(vault_home)
    qtbot.addWidget(window)
    window.show()
    unlock(qtbot, window)
    with qtbot.waitSignal(window.locked, timeout=10_000):
        pass  # no input: the idle timer fires
    page = window.unlock_page
    assert page.status.text() == "Locked because the window was idle. Your work was saved."

    for _ in range(2):
        page.passphrase.setText("not the passphrase")
        qtbot.mouseClick(page.unlock_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: page.error.text() == "Wrong passphrase.", timeout=UNLOCK_TIMEOUT)
        page.error.clear()
    unlock(qtbot, window, PASSPHRASE)
    notice = window.workspace.findChild(QMessageBox, "noticeMessage")
    assert notice.text().startswith("2 failed attempts to unlock this vault")

    window.close()
    mode = stat.S_IMODE((vault_home.root / "window.ini").stat().st_mode)
    assert mode == 0o600


def test_dark_appearance_takes_effect_without_a_platform_theme(qapp):
    light = qapp.palette().color(QPalette.ColorRole.Window).lightness()
    try:
        apply_appearance("dark")
        assert qapp.palette().color(QPalette.ColorRole.Window).lightness() < 80
    finally:
        apply_appearance("system")
    assert qapp.palette().color(QPalette.ColorRole.Window).lightness() == light


def test_the_summary_pdf_prints_each_sentence_once(vault):
    (document_id,) = add_text_documents(vault, 1)
    summary = "[S1] Dressing changed twice weekly.\n[S2] Amoxicillin 500 mg started."
    content = {
        "summary": summary,
        "sections": [
            {"id": "S1", "title": "Visit 1", "summary": "Dressing changed twice weekly."},
            {"id": "S2", "title": "Visit 2", "summary": "Amoxicillin 500 mg started."},
        ],
        "ungrounded": [],
    }
    with vault.transaction() as tx:
        result_id = store_result(tx, document_id=document_id, kind="summarize",
                                 content=content, provenance={})  # fmt: skip
    pdf = pypdfium2.PdfDocument(result_pdf("note.txt", jobs.get_result(vault, result_id)))
    text = "".join(page.get_textpage().get_text_bounded() for page in pdf)
    assert text.count("Dressing changed twice weekly.") == 1
    assert text.count("Amoxicillin 500 mg started.") == 1
    assert "[S2] Visit 2" in text


def test_the_export_dialog_shows_a_long_sentence_whole(qtbot, window, vault, tmp_path):
    document_id = flagged_document(vault)
    vault.lock()
    unlock(qtbot, window)
    window.workspace.library.select_document(document_id)
    dialog = window.workspace.export_result_dialog()
    qtbot.waitExposed(dialog)
    folder = tmp_path / ("a-folder-with-a-long-name-" * 6) / "missing"
    dialog.path.setText(str(folder / "note.pdf"))
    dialog.confirm.setChecked(True)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    status = dialog.status
    qtbot.waitUntil(lambda: "does not exist" in status.text())
    qtbot.waitUntil(lambda: status.height() >= status.heightForWidth(status.width()))
    assert status.width() <= dialog.width()
    dialog.close()
