"""The summary says how much of the source it covers; each section opens in place."""

from __future__ import annotations

import threading

import pypdfium2
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QTextCursor

from app import jobs
from app.jobs.exports import READ_UNSURELY
from app.paths import assets_dir
from tests.helpers import add_text_documents
from tests.ui.conftest import has_ended, unlock
from ui.document_view import REVIEW_COLOR, UNGROUNDED_COLOR, SummaryTab
from ui.export import result_pdf

JOB_TIMEOUT = 240_000
CASE_NOTES = """
12/01/2026 Home visit
Reviewed leg ulcer on the left shin, 3 cm, clean. Dressing changed.

19/01/2026 Home visit
Started amoxicillin 500 mg three times daily for cellulitis around the ulcer.

26/01/2026 Home visit
Redness settling. Blood pressure 138/84. Plan: continue dressing twice weekly.
"""


def test_summary_states_its_coverage_and_opens_sections_in_place(qtbot, window, vault):
    (document_id,) = add_text_documents(vault, 1, words=CASE_NOTES)
    vault.lock()
    unlock(qtbot, window)
    workspace = window.workspace
    workspace.library.select_document(document_id)
    tab = workspace.document_view.summary_tab
    qtbot.mouseClick(tab.summarize_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: bool(workspace.job_panel.rows)
        and all(has_ended(workspace, r.job) for r in workspace.job_panel.rows.values())
        and tab.result is not None,
        timeout=JOB_TIMEOUT,
    )
    result = jobs.latest_result(workspace.session.vault, document_id, "summarize")
    sections = result.content["sections"]
    assert tab.section_list.topLevelItemCount() == len(sections)
    assert tab.coverage.text().startswith("Covers ")
    assert f"of {len(sections)} section" in tab.coverage.text()
    assert "% of the source text" in tab.coverage.text()

    # Click the first citation in the summary: its section opens under the summary.
    summary = tab.text.toPlainText()
    at = summary.index("[S") + 1
    cursor = QTextCursor(tab.text.document())
    cursor.setPosition(at + 1)
    point = tab.text.cursorRect(cursor).center()
    qtbot.mouseClick(tab.text.viewport(), Qt.MouseButton.LeftButton, pos=point)
    cited = summary[at : summary.index("]", at)].split(",")[0].strip()
    item = next(
        tab.section_list.topLevelItem(i)
        for i in range(tab.section_list.topLevelItemCount())
        if tab.section_list.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole) == cited
    )
    assert item.isExpanded() and tab.section_title.text().startswith(cited)
    source = tab.section_list.itemWidget(item.child(0), 0)
    assert source.text() == next(s["text"] for s in sections if s["id"] == cited)

    # Any section opens from the keyboard too.
    last = tab.section_list.topLevelItem(tab.section_list.topLevelItemCount() - 1)
    tab.section_list.setCurrentItem(last)
    tab.section_list.setFocus()
    qtbot.keyClick(tab.section_list, Qt.Key.Key_Right)
    assert last.isExpanded() and last.childCount() == 1


def _marks(tab: SummaryTab) -> dict[str, QColor]:
    """Each passage marked in the summary, with its colour."""
    return {s.cursor.selectedText(): s.format.background().color()
            for s in tab.text.extraSelections()}  # fmt: skip


def test_facts_read_unsurely_are_listed_and_marked_apart_from_those_not_in_the_source(
    qtbot, vault
):
    document_id = jobs.import_document(vault, assets_dir() / "samples" / "handwritten-note.png")
    summary = jobs.summarize(vault, None, document_id)  # the real OCR doubts the BP line
    tab = SummaryTab()
    qtbot.addWidget(tab)
    tab.show()
    tab.show_result(summary)
    listed = [tab.read_unsurely.item(i).text() for i in range(tab.read_unsurely.count())]
    assert listed == summary.content["read_unsurely"] and "148/92" in listed
    assert tab.read_unsurely_label.isVisible() and not tab.ungrounded_label.isVisible()
    assert _marks(tab)["148/92"] == REVIEW_COLOR

    mixed = jobs.Result(1, 1, "summarize", 1, {**summary.content, "ungrounded": ["14/03/2025"]}, {})
    tab.show_result(mixed)  # both kinds at once: each keeps its mark
    marked = _marks(tab)
    assert (marked["14/03/2025"], marked["148/92"]) == (UNGROUNDED_COLOR, REVIEW_COLOR)
    tab.show_result(None)
    assert not (tab.read_unsurely_label.isVisible() or tab.read_unsurely.isVisible())

    printed = pypdfium2.PdfDocument(result_pdf("handwritten-note.png", summary))
    lines = "".join(page.get_textpage().get_text_range() for page in printed).splitlines()
    assert lines[lines.index(READ_UNSURELY) + 1] == "• 148/92"  # printed under its heading


def test_a_listed_fact_is_marked_where_it_stands_not_inside_a_longer_number(qtbot):
    tab = SummaryTab()
    qtbot.addWidget(tab)
    content = {"summary": "Treated since 1984 [S1]. Pulse 84 at 13.84 h [S1].", "sections": [],
               "ungrounded": [], "read_unsurely": ["84"]}  # fmt: skip
    tab.show_result(jobs.Result(1, 1, "summarize", 1, content, {}))
    (mark,) = tab.text.extraSelections()
    assert (mark.cursor.selectionStart(), mark.cursor.selectedText()) == (
        content["summary"].index("Pulse 84") + len("Pulse "), "84"
    )


def test_a_summary_still_streaming_shows_as_streamed_when_its_document_is_shown_again(
    qtbot, window, vault, monkeypatch
):
    first, other = add_text_documents(vault, 2, words=CASE_NOTES)
    stored = jobs.summarize(vault, None, first)  # an earlier summary
    vault.lock()
    unlock(qtbot, window)
    workspace = window.workspace
    tab = workspace.document_view.summary_tab
    # The real summary job, held after its first line until the user has looked elsewhere.
    go_on = threading.Event()
    summarize = workspace.session.summarize

    def held_after_each_line(document_id, *, on_token, **kwargs):
        def line_then_wait(piece: str) -> None:
            on_token(piece)
            go_on.wait(JOB_TIMEOUT / 1000)

        return summarize(document_id, on_token=line_then_wait, **kwargs)

    monkeypatch.setattr(workspace.session, "summarize", held_after_each_line)
    pieces: list[str] = []  # collected as in test_documents: a callable that stays connected
    workspace.jobs.streamed.connect(lambda _key, piece: pieces.append(piece))
    workspace.library.select_document(first)
    qtbot.mouseClick(tab.summarize_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(pieces) == 1, timeout=JOB_TIMEOUT)
    workspace.library.select_document(other)
    assert tab.result is None and not tab.text.toPlainText()  # the other has no summary
    workspace.library.select_document(first)
    # The line written so far, not the earlier summary with the new lines run on after it.
    assert tab.text.toPlainText() == pieces[0] and tab.status.text() == "Generating…"
    go_on.set()
    qtbot.waitUntil(lambda: tab.result is not None, timeout=JOB_TIMEOUT)
    assert tab.result.revision == stored.revision + 1 and len(pieces) > 1
    assert tab.text.toPlainText() == tab.result.content["summary"]
