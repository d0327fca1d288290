"""The one adapter between app/'s JobRunner and Qt: job changes arrive on the GUI thread as signals.

The runner calls back on its worker thread; this object re-emits every change through a queued
connection, so slots, the job panel and the success/failure callbacks all run on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from app.jobs.runner import Job, JobRunner, JobState, Work


class JobQueue(QObject):
    """Runs work off the GUI thread, one job at a time, in submission order (Anki's QueryOp idea:
    `submit(title, work, on_success=..., on_failure=...)`). A cancelled job calls neither."""

    changed = Signal(object)  # Job: queued, started, progressed or ended (on the GUI thread)
    ended = Signal(object)  # Job: once, when it has finished, failed or been cancelled
    streamed = Signal(object, str)  # a caller's key, a piece of generated text
    _changed_elsewhere = Signal(object)  # emitted on the worker thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._callbacks: dict[int, tuple[Callable | None, Callable | None]] = {}
        self._jobs: dict[int, Job] = {}
        self._changed_elsewhere.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._runner = JobRunner(on_change=self._changed_elsewhere.emit)

    def submit(
        self,
        title: str,
        work: Work,
        *,
        on_success: Callable[[Any], None] | None = None,
        on_failure: Callable[[str], None] | None = None,
    ) -> Job:
        """Queue `work(progress, cancel_token)`; its result or error sentence comes back later."""
        job = self._runner.submit(title, work)
        self._jobs[job.id] = job
        self._callbacks[job.id] = (on_success, on_failure)
        return job

    def stream(self, key: object, text: str) -> None:
        """For work that generates text: callable from the worker thread."""
        self.streamed.emit(key, text)

    @Slot(object)
    def _deliver(self, job: Job) -> None:
        # A job may have moved on since this signal was queued: what it is now is what counts.
        self.changed.emit(job)
        if not job.state.is_final or job.id not in self._callbacks:
            return
        del self._jobs[job.id]
        on_success, on_failure = self._callbacks.pop(job.id)
        if job.state is JobState.FINISHED and on_success is not None:
            on_success(job.result)
        elif job.state is JobState.FAILED and on_failure is not None:
            on_failure(job.error or "")
        self.ended.emit(job)

    def active_jobs(self) -> list[Job]:
        """Jobs not yet ended, as the GUI thread last heard of them."""
        return list(self._jobs.values())

    def cancel_all(self) -> None:
        for job in self._jobs.values():
            job.cancel()

    def wait_until_idle(self, timeout: float | None = None) -> bool:
        """Block until the worker is idle (used off the GUI thread, e.g. before locking)."""
        return self._runner.wait_until_idle(timeout)

    def shutdown(self) -> None:
        """Cancel everything and end the worker thread; no callbacks run afterwards."""
        self._callbacks.clear()
        self._runner.shutdown()
        self._jobs.clear()
