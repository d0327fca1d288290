"""The job queue panel: one row per job with its progress, time left and a Cancel button."""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.jobs.runner import Job, JobState
from app.vault.documents import StoredDocument
from ui.jobs import JobQueue


def time_left(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return f"about {max(1, round(seconds))} s left"
    return f"about {round(seconds / 60)} min left"


FAILED_COLOR = QColor(192, 57, 43)  # readable on light and dark backgrounds


def status_text(job: Job) -> str:
    if job.state is JobState.QUEUED:
        return "Waiting"
    if job.state is JobState.RUNNING:
        return "  ·  ".join(part for part in (job.message, time_left(job.eta_seconds)) if part)
    if job.state is JobState.FINISHED:
        return "Done"
    if job.state is JobState.CANCELLED:
        return "Cancelled"
    return f"Failed: {job.error}" if job.error else "Failed"


# File name endings that promise something other than text.
_NOT_TEXT_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".pdf", ".docx")


def document_added_note(stored: StoredDocument, name: str, stored_as: str | None) -> str:
    """What to tell the user about a file just added: that it was in the vault already (under
    the name `stored_as`), or that its content is text whatever its name says."""
    if stored_as is not None:
        return f"already in the vault as {stored_as}"
    if stored.media_type.startswith("text/") and name.lower().endswith(_NOT_TEXT_SUFFIXES):
        return f"added as text: the content of {name} is text, whatever its name says"
    return ""


class JobRow(QWidget):
    def __init__(self, job: Job, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.job = job
        self.note = ""  # what the user should know about a finished job, e.g. a duplicate
        self.setObjectName(f"job-{job.id}")
        self.title = QLabel(job.title, objectName=f"job-{job.id}-title")
        self.title.setTextFormat(Qt.TextFormat.PlainText)  # titles carry file names
        self.status = QLabel(objectName=f"job-{job.id}-status")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        self.progress = QProgressBar(objectName=f"job-{job.id}-progress")
        self.progress.setAccessibleName(f"Progress of {job.title}")
        self.progress.setMaximumWidth(220)
        self.cancel = QPushButton("Cancel", objectName=f"job-{job.id}-cancel")
        self.cancel.setAccessibleName(f"Cancel {job.title}")
        self.cancel.clicked.connect(self._cancel)

        text = QVBoxLayout()
        text.setSpacing(0)
        text.addWidget(self.title)
        text.addWidget(self.status)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 3, 6, 3)
        layout.addLayout(text, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.cancel)
        self.refresh()

    def _cancel(self) -> None:
        self.job.cancel()
        self.cancel.setEnabled(False)
        self.status.setText("Cancelling…")

    def refresh(self) -> None:
        job = self.job
        running = job.state is JobState.RUNNING
        if job.state.is_final:
            self.progress.setRange(0, 1)
            self.progress.setValue(1 if job.state is JobState.FINISHED else 0)
            self.cancel.hide()
        elif running and job.total:
            self.progress.setRange(0, job.total)
            self.progress.setValue(min(job.done, job.total))
        elif running:
            self.progress.setRange(0, 0)  # busy: the total is not known yet
        if not (job.cancel_token.cancelled and not job.state.is_final):
            status = status_text(job)
            self.status.setText(f"{status}: {self.note}" if self.note else status)
        if job.state is JobState.FAILED and not self.title.font().bold():  # once, in red
            palette = self.status.palette()
            palette.setColor(QPalette.ColorRole.WindowText, FAILED_COLOR)
            self.status.setPalette(palette)
            font = self.title.font()
            font.setBold(True)
            self.title.setFont(font)

    def set_note(self, note: str) -> None:
        self.note = note
        self.refresh()


class JobPanel(QWidget):
    """Lists the jobs of one queue, newest last; ended jobs stay until cleared."""

    def __init__(self, queue: JobQueue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("jobPanel")
        self.rows: dict[int, JobRow] = {}
        self._list = QWidget()
        self._list_layout = QVBoxLayout(self._list)
        self._list_layout.setContentsMargins(0, 0, 0, 0)
        self._list_layout.setSpacing(0)
        self._list_layout.addStretch(1)
        scroll = QScrollArea(objectName="jobScroll")
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._list)
        self.scroll = scroll
        self._show_newest = False
        self._at_end = True  # the user has not scrolled up to read an older row
        scroll.verticalScrollBar().rangeChanged.connect(self._list_grew)
        scroll.verticalScrollBar().valueChanged.connect(self._scrolled)
        self.clear_button = QPushButton("Clear finished", objectName="clearFinishedJobs")
        self.clear_button.setAccessibleName("Clear finished jobs")
        self.clear_button.clicked.connect(self.clear_finished)
        self.empty_label = QLabel(
            "Drop files or folders anywhere on the window to add documents.",
            objectName="jobsEmpty",
        )
        buttons = QHBoxLayout()
        buttons.addWidget(self.empty_label)
        buttons.addStretch(1)
        buttons.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)
        queue.changed.connect(self.on_job_changed)

    @Slot(object)
    def on_job_changed(self, job: Job) -> None:
        row = self.rows.get(job.id)
        if row is None:
            row = JobRow(job)
            self.rows[job.id] = row
            self._list_layout.insertWidget(self._list_layout.count() - 1, row)
            self._show_newest = True  # once the list has laid the new row out
        row.refresh()
        self.empty_label.setVisible(not self.rows)

    def _list_grew(self, minimum: int, maximum: int) -> None:
        # A new row, or a row that grew while the list showed its end: show the end again.
        if self._show_newest or self._at_end:
            self._show_newest = False
            self.scroll.verticalScrollBar().setValue(maximum)

    def _scrolled(self, value: int) -> None:
        self._at_end = value >= self.scroll.verticalScrollBar().maximum()

    def note(self, job: Job, note: str) -> None:
        """Add a sentence to a job's row (shown after its state)."""
        if job.id in self.rows:
            self.rows[job.id].set_note(note)

    def clear_finished(self) -> None:
        for job_id, row in list(self.rows.items()):
            if row.job.state.is_final:
                del self.rows[job_id]
                row.deleteLater()
        self.empty_label.setVisible(not self.rows)
