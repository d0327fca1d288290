"""The job queue panel: one row per job with its progress, time left and a Cancel button."""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
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
from ui.jobs import JobQueue


def time_left(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return f"about {max(1, round(seconds))} s left"
    return f"about {round(seconds / 60)} min left"


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


class JobRow(QWidget):
    def __init__(self, job: Job, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.job = job
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
            self.status.setText(status_text(job))


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
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._list)
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
        row.refresh()
        self.empty_label.setVisible(not self.rows)

    def clear_finished(self) -> None:
        for job_id, row in list(self.rows.items()):
            if row.job.state.is_final:
                del self.rows[job_id]
                row.deleteLater()
        self.empty_label.setVisible(not self.rows)
