"""The original beside its text: PDF pages drawn, DOCX pages laid out, and a passage chosen in
the text (or a field's evidence) outlined where it is on the page."""

from __future__ import annotations

from PySide6.QtWidgets import QPushButton

from tests.ui.conftest import SAMPLES, drop_files, has_ended, unlock

JOB_TIMEOUT = 240_000


def added_and_read(qtbot, window, paths) -> None:
    drop_files(window, paths)
    workspace = window.workspace
    qtbot.waitUntil(
        lambda: (
            len(workspace.job_panel.rows) == 2 * len(paths)
            and all(has_ended(workspace, row.job) for row in workspace.job_panel.rows.values())
        ),
        timeout=JOB_TIMEOUT,
    )


def select_named(workspace, name: str) -> None:
    (document,) = [d for d in workspace.library.known.values() if d.name == name]
    workspace.library.select_document(document.id)


def select_in_editor(qtbot, editor, passage: str) -> None:
    """Drag-select a passage, as with the mouse (the cursor's anchor then its end)."""
    at = editor.toPlainText().index(passage)
    cursor = editor.textCursor()
    cursor.setPosition(at)
    cursor.setPosition(at + len(passage), cursor.MoveMode.KeepAnchor)
    editor.setTextCursor(cursor)


def has_picture(page_view) -> bool:
    pixmap = page_view.image.pixmap()
    return pixmap is not None and not pixmap.isNull()


def test_text_pdf_pages_are_drawn_and_a_passage_is_outlined(qtbot, window):
    unlock(qtbot, window)
    workspace = window.workspace
    added_and_read(qtbot, window, [SAMPLES / "inspection-form.pdf", SAMPLES / "case-file.docx"])
    select_named(workspace, "inspection-form.pdf")
    page_view = workspace.document_view.page_view
    qtbot.waitUntil(lambda: has_picture(page_view), timeout=20_000)
    assert "No page image" not in page_view.image.text()
    plain = page_view.image.pixmap().toImage()

    select_in_editor(qtbot, workspace.document_view.text_tab.editor, "Whitfield")
    qtbot.waitUntil(lambda: bool(page_view.boxes.get(1)), timeout=20_000)
    qtbot.waitUntil(lambda: page_view.image.pixmap().toImage() != plain)

    # A Word document: its pages' paragraphs laid out on paper.
    select_named(workspace, "case-file.docx")
    qtbot.waitUntil(lambda: page_view.image.wordWrap() and bool(page_view.image.text()))
    first_words = workspace.document_view.text_tab.editor.toPlainText().split()[:3]
    assert " ".join(first_words) in " ".join(page_view.image.text().split())


def test_ocr_text_outlines_its_line_on_the_scan(qtbot, window):
    unlock(qtbot, window)
    workspace = window.workspace
    added_and_read(qtbot, window, [SAMPLES / "handwritten-note.png"])
    select_named(workspace, "handwritten-note.png")
    view = workspace.document_view
    qtbot.waitUntil(lambda: has_picture(view.page_view), timeout=20_000)
    line = next(
        line["text"]
        for line in view.text_tab.result.content["pages"][0]["lines"]
        if len(line["text"]) > 5
    )
    select_in_editor(qtbot, view.text_tab.editor, line)
    qtbot.waitUntil(lambda: bool(view.page_view.boxes.get(1)), timeout=20_000)
    (x0, y0, x1, y1), *_ = view.page_view.boxes[1]
    image = view.page_view.images[1]
    assert 0 <= x0 < x1 <= image.width() and 0 <= y0 < y1 <= image.height()
    assert view.findChild(QPushButton, "zoomFitButton").isEnabled()
