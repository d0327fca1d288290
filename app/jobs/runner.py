"""A queue of long jobs run one at a time off the caller's thread, with progress and cancel.

Qt-free: the desktop app wraps it in one small adapter that turns the callbacks into signals
delivered on the GUI thread; the CLI runs jobs directly. Callbacks run on the worker thread.
"""

from __future__ import annotations

import enum
import itertools
import logging
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from app.cancel import CancelToken
from app.errors import Cancelled, FieldscribeError

log = logging.getLogger("fieldscribe.jobs")

ProgressCallback = Callable[[int, int, str], None]
"""progress(done, total, message): `total` 0 means "not known yet"."""

Work = Callable[[ProgressCallback, CancelToken], Any]


class JobState(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in (JobState.FINISHED, JobState.FAILED, JobState.CANCELLED)


@dataclass
class Job:
    """One queued piece of work and what is known about it so far."""

    id: int
    title: str
    work: Work
    cancel_token: CancelToken = field(default_factory=CancelToken)
    state: JobState = JobState.QUEUED
    done: int = 0
    total: int = 0
    message: str = ""
    started: float | None = None
    result: Any = None
    error: str | None = None  # one sentence for the user, when state is FAILED

    def cancel(self) -> None:
        self.cancel_token.cancel()

    @property
    def eta_seconds(self) -> float | None:
        """Remaining time extrapolated from the progress so far; None until it means something."""
        if self.started is None or not self.total or not self.done or self.state.is_final:
            return None
        elapsed = time.monotonic() - self.started
        return elapsed / self.done * (self.total - self.done)


JobListener = Callable[[Job], None]


class JobRunner:
    """Runs submitted jobs in order on one worker thread."""

    def __init__(self, on_change: JobListener | None = None) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fieldscribe-job")
        self._on_change = on_change or (lambda job: None)
        self._ids = itertools.count(1)
        self._pending: dict[int, tuple[Job, Future]] = {}
        self._lock = threading.Lock()

    def submit(self, title: str, work: Work) -> Job:
        job = Job(next(self._ids), title, work)
        with self._lock:
            self._pending[job.id] = (job, self._executor.submit(self._run, job))
        self._on_change(job)
        return job

    def _run(self, job: Job) -> None:
        try:
            if job.cancel_token.cancelled:
                job.state = JobState.CANCELLED
                return
            job.state = JobState.RUNNING
            job.started = time.monotonic()
            self._on_change(job)

            def progress(done: int, total: int, message: str) -> None:
                job.done, job.total, job.message = done, total, message
                self._on_change(job)

            try:
                job.result = job.work(progress, job.cancel_token)
                job.state = JobState.FINISHED
            except Cancelled:
                job.state = JobState.CANCELLED  # the user's choice: not an error
            except FieldscribeError as exc:
                job.state, job.error = JobState.FAILED, str(exc)
            except Exception as exc:  # a bug: logged with its traceback, one sentence for the user
                # Ids and the error's class only: a title or a message can name a file.
                frames = "".join(traceback.format_tb(exc.__traceback__))
                log.error("job %d failed: %s\n%s", job.id, type(exc).__name__, frames)
                job.state = JobState.FAILED
                job.error = f"An internal error stopped this job ({type(exc).__name__})."
        finally:
            with self._lock:
                self._pending.pop(job.id, None)
            self._on_change(job)

    def wait_until_idle(self, timeout: float | None = None) -> bool:
        """Wait for every submitted job to end; False if `timeout` passed first (for tests)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                futures = [future for _, future in self._pending.values()]
            if not futures:
                return True
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                futures[0].result(timeout=remaining)
            except TimeoutError:
                return False

    def shutdown(self) -> None:
        """Cancel every queued and running job and wait for the worker thread to end."""
        with self._lock:
            jobs = [job for job, _ in self._pending.values()]
        for job in jobs:
            job.cancel()  # queued jobs then end as CANCELLED without starting
        self._executor.shutdown(wait=True)
