"""What the user works in once the vault is open: library, document view, job queue, the model.

Qt wiring only: a gesture becomes a call on the session (app/session.py) on a job queue, and
what comes back is shown in widgets. The session does the work and writes the audit events.
The workspace lives exactly as long as the vault stays unlocked; locking destroys it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QInputDialog,
    QLabel,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.engine import Engine
from app.errors import FieldscribeError
from app.jobs.runner import Job
from app.session import Session, files_in, is_model_file
from app.vault.documents import StoredDocument
from ui.audit import AuditDialog
from ui.change_passphrase import ChangePassphraseDialog
from ui.document_view import DocumentView
from ui.export import ExportDialog
from ui.job_panel import JobPanel, document_added_note
from ui.jobs import JobQueue
from ui.library import LibraryPanel, MoveToCaseDialog
from ui.models_dialog import ModelsDialog
from ui.settings import APPEARANCE_SETTING
from ui.settings_dialog import SettingsDialog, apply_appearance
from ui.templates import TemplatesDialog


@dataclass
class _Stream:
    """A summary being generated: its job, and the text streamed so far (shown again when its
    document is shown again)."""

    job: Job
    pieces: list[str] = field(default_factory=list)


class Workspace(QWidget):
    settings_saved = Signal()
    engine_state_changed = Signal(str)

    def __init__(self, session: Session, tasks: JobQueue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("workspace")
        self.session = session
        self.tasks = tasks  # vault and model work: choosing a model, saving settings, locking
        self.jobs = JobQueue(self)  # the visible queue: imports and document jobs
        self.model_loading = JobQueue(self)  # only watches the model load in the background
        self._dialogs: dict[type, QWidget] = {}
        self._streaming: dict[int, _Stream] = {}  # the summary streaming, by document

        self.library = LibraryPanel(self.session)
        self.document_view = DocumentView(self.session, tasks)
        self.job_panel = JobPanel(self.jobs)
        self.status = QLabel(objectName="workspaceStatus")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.library.document_selected.connect(self._document_selected)
        self.library.new_case_button.clicked.connect(self.new_case_dialog)
        self.library.new_case_action.triggered.connect(self.new_case_dialog)
        self.library.move_action.triggered.connect(self.move_to_case_dialog)
        view = self.document_view
        view.text_tab.digitize_requested.connect(self.run_digitize)
        view.text_tab.resume_requested.connect(self.resume_digitize)
        view.summary_tab.summarize_requested.connect(self.run_summarize)
        view.extract_tab.extract_requested.connect(self.run_extract)
        self.jobs.streamed.connect(self._streamed)

        top = QSplitter(objectName="workspaceSplitter")
        top.addWidget(self.library)
        top.addWidget(self.document_view)
        top.setStretchFactor(1, 3)
        top.setSizes([320, 880])
        vertical = QSplitter(Qt.Orientation.Vertical)
        vertical.addWidget(top)
        vertical.addWidget(self.job_panel)
        vertical.setStretchFactor(0, 4)
        vertical.setSizes([600, 160])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(vertical, 1)
        layout.addWidget(self.status)

    def load(self) -> None:
        """Read what the workspace shows and start the model (FieldscribeError if the vault
        can't be read: then the caller shuts this workspace down again)."""
        apply_appearance(self.session.setting(APPEARANCE_SETTING, "system"))
        self.library.refresh()
        self.document_view.extract_tab.reload_templates()
        self.session.warm_up()  # the OCR process and the model start; the window stays usable
        self._watch_engine()

    # -- the model ---------------------------------------------------------------------------

    @property
    def engine(self) -> Engine | None:
        return self.session.engine

    @property
    def engine_state(self) -> str:
        return self.session.engine_state

    def _watch_engine(self) -> None:
        """Show the model's state now, and again once it has loaded (or failed to)."""
        self._show_engine_state()
        self.model_loading.submit(
            "Wait for the model",
            lambda progress, cancel: self.session.wait_for_engine(cancel),
            on_success=lambda state: self._show_engine_state(),
        )

    def _show_engine_state(self) -> None:
        engine, state = self.session.engine, self.session.engine_state
        self.status.setText(f"Model {engine.model.name if engine else 'none'}: {state}")
        self.engine_state_changed.emit(state)

    def _change_models(self, title: str, work: Callable[[], Any], succeeded: str) -> None:
        """Choosing or removing a model waits for the old one to close: off the GUI thread.
        The outcome is shown in the models dialog, and the new model's load watched."""

        def ended(sentence: str, failed: bool) -> None:
            self._models_changed(sentence, failed=failed)
            self._watch_engine()

        self.tasks.submit(
            title,
            lambda progress, cancel: work(),
            on_success=lambda _: ended(succeeded, False),
            on_failure=lambda sentence: ended(sentence, True),
        )

    def use_model(self, name: str) -> None:
        self._change_models(
            f"Use model {name}",
            lambda: self.session.use_model(name),
            f"{name} is now the active model.",
        )

    def remove_model(self, name: str) -> None:
        self._change_models(
            f"Remove model {name}", lambda: self.session.remove_model(name), f"Removed {name}."
        )

    def save_settings(self, values: dict[str, Any]) -> None:
        """Store the settings dialog's values; a new thread count reloads the model."""

        def saved() -> None:
            apply_appearance(self.session.setting(APPEARANCE_SETTING, "system"))
            self.settings_saved.emit()

        self.tasks.submit(
            "Save settings",
            lambda progress, cancel: self.session.save_settings(values),
            on_success=lambda _: (saved(), self._watch_engine()),
            on_failure=lambda sentence: (self.show_error(sentence), self._watch_engine()),
        )

    def close_engine(self) -> None:
        """Off the GUI thread, while locking: wait for the load watcher, then end the model and
        the OCR process (which may still hold the last page it read)."""
        self.model_loading.wait_until_idle()
        self.session.stop_workers()

    # -- adding files ------------------------------------------------------------------------

    def add_files_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Add documents", "",
            "Documents (*.png *.jpg *.jpeg *.tif *.tiff *.pdf *.docx *.txt);;"
            "Models (*.gguf);;All files (*)",
        )  # fmt: skip
        self.add_paths(paths)

    def add_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of documents")
        if folder:
            self.add_paths([folder])

    def add_paths(self, paths: list[str]) -> None:
        """Queue each file: `.gguf` files are models, everything else a document."""
        for path in files_in(paths):
            if is_model_file(path):
                self.import_model(path)
            else:
                self.import_document(path)

    def import_document(self, path: Path) -> None:
        """Store a document; with a case shown in the library, the document goes into it."""
        session, case_id = self.session, self.library.current_case_id()

        def add(progress, cancel) -> tuple[int, str | None]:
            stored_as = session.stored_copy(path)  # a duplicate is said, not hidden
            document_id = session.import_document(
                path, case_id=case_id, progress=progress, cancel=cancel
            )
            return document_id, stored_as

        job = self.jobs.submit(
            f"Add {path.name}",
            add,
            on_success=lambda added: self._document_added(*added, path.name, job),
        )

    def _document_added(
        self, document_id: int, stored_as: str | None, name: str, job: Job
    ) -> None:
        self.library.refresh()
        note = document_added_note(self.library.known[document_id], name, stored_as)
        self.job_panel.note(job, note)
        if stored_as is not None or self.library.current_document() is None:
            self.library.select_document(document_id)
        if self.session.latest_result(document_id, "digitize") is None:
            self.digitize(document_id, name)

    def import_model(self, path: Path) -> None:
        session = self.session
        self.jobs.submit(
            f"Import model {path.name}",
            lambda progress, cancel: session.import_model(path, progress=progress, cancel=cancel),
            on_success=lambda record: self._models_changed(f"Imported {record.name}."),
            on_failure=lambda sentence: self._models_changed(sentence, failed=True),
        )

    def _models_changed(self, sentence: str = "", *, failed: bool = False) -> None:
        dialog = self._dialogs.get(ModelsDialog)
        if dialog is not None:
            dialog.refresh()
            dialog.show_message(sentence)
        elif failed:
            self.show_error(sentence)

    # -- cases -------------------------------------------------------------------------------

    def _ask_case_title(
        self, label: str, title: str, use_title: Callable[[str], None]
    ) -> QInputDialog:
        dialog = QInputDialog(self, objectName="caseTitleDialog")
        dialog.setWindowTitle("Case")
        dialog.setLabelText(label)
        dialog.setTextValue(title)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.textValueSelected.connect(use_title)
        dialog.open()
        return dialog

    def new_case_dialog(self) -> QInputDialog:
        def create(title: str) -> None:
            try:
                case_id = self.session.create_case(title)
            except FieldscribeError as exc:  # an empty title, a full disk
                self.show_error(str(exc))
                return
            self.library.refresh()
            self.library.show_case(case_id)  # documents added next go into it

        return self._ask_case_title("Title of the new case:", "", create)

    def rename_case_dialog(self) -> QInputDialog | None:
        case_id = self.library.current_case_id()
        if case_id is None:
            self.show_error("Choose a case in the library first.")
            return None
        (case,) = [case for case in self.session.cases() if case.id == case_id]

        def rename(title: str) -> None:
            try:
                self.session.rename_case(case_id, title)
            except FieldscribeError as exc:
                self.show_error(str(exc))
                return
            self.library.refresh()

        return self._ask_case_title("New title of the case:", case.title, rename)

    def move_to_case_dialog(self) -> MoveToCaseDialog | None:
        document_ids = [document.id for document in self.library.selected_documents()]
        if not document_ids:
            self.show_error("Select one or more documents first.")
            return None
        dialog = MoveToCaseDialog(self.session.cases(), len(document_ids), parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.chosen.connect(lambda case_id: self.move_to_case(document_ids, case_id))
        dialog.open()
        return dialog

    def move_to_case(self, document_ids: list[int], case_id: int | None) -> None:
        """Off the GUI thread: one transaction, and one audit event, per document moved."""
        session, count = self.session, len(document_ids)
        self.jobs.submit(
            # Job titles are logged: no case title in them.
            f"Move {count} document{'s' if count > 1 else ''} to a case",
            lambda progress, cancel: session.assign_to_case(
                document_ids, case_id, progress=progress, cancel=cancel
            ),
            on_success=lambda _: self.library.refresh(),
            on_failure=lambda _: self.library.refresh(),  # some may have moved before it failed
        )

    # -- document jobs -----------------------------------------------------------------------

    def _current(self) -> StoredDocument | None:
        document = self.document_view.document
        if document is None:
            self.show_error("Select a document first.")
        return document

    def run_digitize(self) -> None:
        """Digitize again: the document view asks about unsaved edits and corrections first."""
        if document := self._current():
            self.document_view.before_rerun(
                "digitize", lambda keep: self.digitize(document.id, document.name, keep)
            )

    def resume_digitize(self) -> None:
        if document := self._current():
            self.digitize(document.id, document.name)

    def digitize(self, document_id: int, name: str, keep_corrections: bool = True) -> None:
        session = self.session
        job = self.jobs.submit(
            f"Digitize {name}",
            lambda progress, cancel: session.digitize(
                document_id, keep_corrections=keep_corrections, progress=progress, cancel=cancel
            ),
            on_success=lambda result: self._result_ready(document_id),
        )
        self.document_view.track_job(self.jobs, job, document_id)

    def _has_model(self) -> bool:
        if self.session.engine is None:
            self.show_error(f"No model is available: {self.session.engine_state}")
            return False
        return True

    def run_summarize(self) -> None:
        document = self._current()
        if document is None or not self._has_model():
            return
        session, queue, document_id = self.session, self.jobs, document.id

        def summarize(progress, cancel):
            return session.summarize(
                document_id, progress=progress, cancel=cancel,
                on_token=lambda piece: queue.stream(document_id, piece),
            )  # fmt: skip

        self.document_view.summary_tab.start_streaming()
        self.document_view.tabs.setCurrentWidget(self.document_view.summary_tab)
        job = self.jobs.submit(
            f"Summarize {document.name}",
            summarize,
            on_success=lambda result: self._summary_ended(job, document_id),
            on_failure=lambda sentence: self._summary_ended(job, document_id),
        )
        self._streaming[document_id] = _Stream(job)
        self.document_view.track_job(self.jobs, job, document_id)

    def _summary_ended(self, job: Job, document_id: int) -> None:
        stream = self._streaming.get(document_id)
        if stream is not None and stream.job is job:
            del self._streaming[document_id]  # pieces still queued are not shown over the result
        self._result_ready(document_id)

    def run_extract(self, template: str | None = None) -> None:
        document = self._current()
        if document is None or not self._has_model():
            return
        template = template or self.document_view.extract_tab.template.currentText()
        if not template:
            self.show_error("Choose a template first (Tools ▸ Templates to make one).")
            return
        session, document_id = self.session, document.id

        def extract(keep_corrections: bool) -> None:
            job = self.jobs.submit(
                f"Extract {template} from {document.name}",
                lambda progress, cancel: session.extract(
                    document_id,
                    template,
                    keep_corrections=keep_corrections,
                    progress=progress,
                    cancel=cancel,
                ),  # fmt: skip
                on_success=lambda result: self._result_ready(document_id),
            )
            self.document_view.track_job(self.jobs, job, document_id)

        self.document_view.before_rerun("extract", extract, template)

    def _streamed(self, document_id: object, piece: str) -> None:
        stream = self._streaming.get(document_id)
        if stream is None:
            return
        stream.pieces.append(piece)
        shown = self.document_view.document
        if shown and shown.id == document_id:
            if self.document_view.summary_tab.streaming:
                self.document_view.summary_tab.append_streamed(piece)
            else:  # its stored results were shown again meanwhile
                self._resume_stream()

    def _show_document(self, document: StoredDocument | None) -> None:
        self.document_view.show_document(document)
        self._resume_stream()

    def _resume_stream(self) -> None:
        """A summary of the shown document still being generated shows as streamed so far, not
        its last stored summary."""
        shown = self.document_view.document
        stream = self._streaming.get(shown.id) if shown else None
        if stream is not None:
            self.document_view.summary_tab.start_streaming("".join(stream.pieces))

    def _result_ready(self, document_id: int) -> None:
        self.library.refresh()  # page counts and search results may have changed
        if self.document_view.document and self.document_view.document.id == document_id:
            self.document_view.reload_results()  # unsaved text edits stay in the editor
            self._resume_stream()

    def _document_selected(self, document: StoredDocument | None) -> None:
        """Leaving a document with unsaved edits asks Save / Discard / Cancel first."""
        shown = self.document_view.document
        self.document_view.resolve_unsaved_edits(
            lambda: self._show_document(document),
            on_cancel=lambda: shown and self.library.select_document(shown.id, notify=False),
        )

    def save_pending_edits(self) -> None:
        """Ctrl+S, locking and quitting: the text's edits, and a value being typed in a field."""
        self.document_view.text_tab.save()
        self.document_view.extract_tab.commit_edit()

    # -- dialogs -----------------------------------------------------------------------------

    def _dialog(self, kind: type, *args) -> QWidget:
        """One instance of each tool window, made when first opened."""
        dialog = self._dialogs.get(kind)
        if dialog is None:
            dialog = kind(*args, parent=self)
            self._dialogs[kind] = dialog
        if dialog.isVisible():  # already open, perhaps behind the main window
            dialog.raise_()
            dialog.activateWindow()
        dialog.show()
        return dialog

    def show_templates(self) -> QWidget:
        dialog = self._dialog(TemplatesDialog, self.session)
        dialog.templates_changed.connect(
            self.document_view.extract_tab.reload_templates, Qt.ConnectionType.UniqueConnection
        )
        return dialog

    def show_models(self) -> QWidget:
        dialog = self._dialogs.get(ModelsDialog)
        if dialog is None:
            dialog = self._dialog(ModelsDialog, self.session)
            dialog.use_requested.connect(self.use_model)
            dialog.remove_requested.connect(self.remove_model)
            dialog.import_requested.connect(self.import_model)
            self.engine_state_changed.connect(lambda state: dialog.refresh())
        else:
            self._dialog(ModelsDialog)
        dialog.refresh()
        return dialog

    def show_audit(self) -> QWidget:
        dialog = self._dialog(AuditDialog, self.session, self.tasks)
        dialog.refresh()
        return dialog

    def show_settings(self) -> QWidget:
        dialog = self._dialogs.get(SettingsDialog)
        if dialog is None:
            dialog = self._dialog(SettingsDialog, self.session)
            dialog.save_requested.connect(self.save_settings)
        else:
            self._dialog(SettingsDialog)
        dialog.load()
        return dialog

    def change_passphrase_dialog(self) -> ChangePassphraseDialog:
        dialog = ChangePassphraseDialog(self.session, self.tasks, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.rekey_declined.connect(  # after the dialog's rekey offer, never on top of it
            lambda: self.show_notice("The passphrase was changed: use the new one from now on.")
        )
        dialog.open()
        return dialog

    def export_result_dialog(self) -> QWidget | None:
        document = self._current()
        if document is None:
            return None
        dialog = ExportDialog(self.session, self.tasks, document, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def show_error(self, sentence: str) -> None:
        self._show_message(QMessageBox.Icon.Warning, sentence, "errorMessage")

    def show_notice(self, sentence: str) -> None:
        self._show_message(QMessageBox.Icon.Information, sentence, "noticeMessage")

    def _show_message(self, icon: QMessageBox.Icon, sentence: str, object_name: str) -> None:
        box = QMessageBox(icon, "Fieldscribe", sentence, parent=self)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setObjectName(object_name)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    # -- locking -----------------------------------------------------------------------------

    def cancel_everything(self) -> None:
        self.jobs.cancel_all()
        self.model_loading.cancel_all()
        self.library.searches.cancel_all()

    def wait_for_jobs(self) -> None:
        """Off the GUI thread: the cancelled jobs stop at their next step."""
        self.jobs.wait_until_idle()
        self.library.searches.wait_until_idle()

    def shutdown(self) -> None:
        for dialog in self._dialogs.values():
            dialog.close()
        self.jobs.shutdown()
        self.model_loading.shutdown()
        self.library.searches.shutdown()
