"""Documents end to end: drop the samples, digitize, summarize, extract, edit, export, cancel."""

from __future__ import annotations

import hashlib

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from app.audit.log import read_events
from app.jobs import latest_result, templates
from app.jobs.runner import JobState
from app.vault.documents import list_documents
from tests.helpers import add_text_documents
from tests.ui.conftest import SAMPLES, drop_files, has_ended, unlock

JOB_TIMEOUT = 240_000  # ms: OCR and a small model on two shared cores
HOME_VISIT = {
    "type": "object",
    "properties": {
        "patient": {"type": "string", "description": "The patient's name"},
        "medication": {"type": "string", "description": "Medication and dose"},
        "next_visit": {"type": "string", "description": "When the next visit is"},
    },
}


def finished_titles(workspace) -> dict[str, JobState]:
    """The jobs that have ended, by title."""
    return {
        row.job.title: row.job.state
        for row in workspace.job_panel.rows.values()
        if has_ended(workspace, row.job)
    }


def select(qtbot, workspace, name: str):
    (document,) = [d for d in list_documents(workspace.session.vault) if d.name == name]
    workspace.library.select_document(document.id)
    assert workspace.document_view.document.id == document.id
    return document


def run_and_wait(qtbot, workspace, button_name: str, title_start: str) -> None:
    button = workspace.document_view.findChild(QPushButton, button_name)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: any(
            title.startswith(title_start) and state.is_final
            for title, state in finished_titles(workspace).items()
        ),
        timeout=JOB_TIMEOUT,
    )
    states = [s for t, s in finished_titles(workspace).items() if t.startswith(title_start)]
    assert states == [JobState.FINISHED], finished_titles(workspace)


@pytest.mark.slow
def test_dropped_samples_go_through_every_job(qtbot, window, tmp_path):
    unlock(qtbot, window)
    workspace = window.workspace
    samples = [SAMPLES / "handwritten-note.png", SAMPLES / "inspection-form.pdf",
               SAMPLES / "case-file.docx"]  # fmt: skip
    drop_files(window, samples)

    # Each file is added, then digitized, in the job queue.
    expected = {f"{verb} {path.name}" for path in samples for verb in ("Add", "Digitize")}
    qtbot.waitUntil(
        lambda: (
            expected <= set(finished_titles(workspace))
            and all(state.is_final for state in finished_titles(workspace).values())
        ),
        timeout=JOB_TIMEOUT,
    )
    assert set(finished_titles(workspace).values()) == {JobState.FINISHED}
    assert workspace.library.tree.topLevelItemCount() == 3

    # The handwritten note: its page image beside its OCR text.
    select(qtbot, workspace, "handwritten-note.png")
    view = workspace.document_view
    qtbot.waitUntil(lambda: view.page_view.image.pixmap() is not None
                    and not view.page_view.image.pixmap().isNull())  # fmt: skip
    assert view.text_tab.editor.toPlainText().strip()
    assert view.text_tab.status.text().startswith("Revision 1")

    # Search finds the form by a word in its text layer.
    workspace.library.search_field.setText("Whitfield")
    qtbot.waitUntil(lambda: workspace.library.tree.topLevelItemCount() == 1)
    assert workspace.library.tree.topLevelItem(0).text(0) == "inspection-form.pdf"
    workspace.library.search_field.clear()
    qtbot.waitUntil(lambda: workspace.library.tree.topLevelItemCount() == 3)

    # Summarize the case file: the text streams in, then the summary with its citations.
    case_file = select(qtbot, workspace, "case-file.docx")
    # Collected by a callable that stays connected, not by a `waitSignal` blocker: the pieces
    # are emitted on the worker thread, so several are queued to a blocker before the first
    # disconnects it, and arrive after it is gone (a segfault in pytest-qt's slot, seen once in
    # three full runs).
    pieces: list[str] = []
    workspace.jobs.streamed.connect(lambda _key, piece: pieces.append(piece))
    qtbot.mouseClick(view.findChild(QPushButton, "summarizeButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(pieces), timeout=JOB_TIMEOUT)
    qtbot.waitUntil(
        lambda: (
            finished_titles(workspace).get("Summarize case-file.docx", JobState.QUEUED).is_final
        ),
        timeout=JOB_TIMEOUT,
    )
    assert finished_titles(workspace)["Summarize case-file.docx"] is JobState.FINISHED
    summary = latest_result(workspace.session.vault, case_file.id, "summarize")
    assert view.summary_tab.text.toPlainText() == summary.content["summary"]
    first_section = summary.content["sections"][0]
    view.summary_tab.show_section(first_section["id"])
    assert view.summary_tab.section_title.text().startswith(first_section["id"])

    # Extract with a template; edit a value: a new revision and its event.
    templates.save_template(workspace.session.vault, "home visit", HOME_VISIT)
    view.extract_tab.reload_templates()
    view.extract_tab.template.setCurrentText("home visit")
    run_and_wait(qtbot, workspace, "extractButton", "Extract home visit")
    table = view.extract_tab.table
    assert table.rowCount() > 0
    table.setCurrentCell(0, 1)
    assert view.extract_tab.evidence_status.text()
    before = latest_result(workspace.session.vault, case_file.id, "extract")
    table.item(0, 1).setText("corrected by the nurse")
    after = latest_result(workspace.session.vault, case_file.id, "extract")
    assert after.result_id == before.result_id and after.revision == before.revision + 1
    field = table.item(0, 0).text()
    assert after.content["fields"][field]["value"] == "corrected by the nurse"
    assert view.extract_tab.status.text().endswith(f"revision {after.revision}")
    edits = [e for e in read_events(workspace.session.vault) if e.action == "result.edit"]
    assert edits[-1].object_id == str(after.result_id)
    assert edits[-1].details["revision"] == after.revision

    # Export the fields as PDF: a confirmation first, then the file and its audit event.
    dialog = workspace.export_result_dialog()
    dialog.kind.setCurrentIndex(dialog.kind.findData("extract"))
    dialog.format.setCurrentIndex(dialog.format.findData("pdf"))
    out = tmp_path / "fields.pdf"
    dialog.path.setText(str(out))
    assert not dialog.export_button.isEnabled()  # leaving the vault needs the confirmation
    dialog.confirm.setChecked(True)
    with qtbot.waitSignal(dialog.exported, timeout=10_000) as exported:
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert out.read_bytes().startswith(b"%PDF")
    sha256 = hashlib.sha256(out.read_bytes()).hexdigest()
    assert exported.args == [sha256]
    export_event = [e for e in read_events(workspace.session.vault) if e.action == "result.export"][
        -1
    ]
    assert export_event.details == {"format": "pdf", "sha256": sha256}


@pytest.mark.slow
def test_cancel_a_running_job(qtbot, window, vault):
    next_visit = {"type": "string", "format": "date", "description": "When the next visit is"}
    schema = {**HOME_VISIT, "properties": {**HOME_VISIT["properties"], "next_visit": next_visit}}
    templates.save_template(vault, "home visit", schema)
    (document_id,) = add_text_documents(
        vault,
        1,
        words="Visit 05/02/2025. Mr K. Nakamura. Ramipril 5 mg daily. Next in 4 weeks,"
        " on 05/03/2025 or 12/03/2025.",  # two dates: the model is asked to choose
    )
    vault.lock()
    unlock(qtbot, window)
    workspace = window.workspace
    workspace.library.select_document(document_id)
    workspace.run_extract("home visit")  # what the Extract action does
    qtbot.waitUntil(lambda: len(workspace.job_panel.rows) == 1)
    (row,) = workspace.job_panel.rows.values()
    # Cancel while the model is choosing (loading it first, or generating: both can be cut).
    qtbot.waitUntil(lambda: row.job.message == "Asking the model to choose", timeout=JOB_TIMEOUT)
    # The document shows the running job above its tabs, not "No fields yet".
    bar = workspace.document_view.job_bar
    qtbot.waitUntil(lambda: "Asking the model to choose" in bar.label.text())
    assert bar.isVisible() and bar.label.text().startswith("Extract home visit from")
    qtbot.mouseClick(row.cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: row.status.text() != "Cancelling…", timeout=10_000)
    assert row.job.state is JobState.CANCELLED
    assert row.status.text() == "Cancelled"
    assert not bar.isVisible()
    assert not row.cancel.isVisible()
    assert latest_result(workspace.session.vault, document_id, "extract") is None
    assert "job.cancel" in [e.action for e in read_events(workspace.session.vault)]
