"""The adapter: work runs off the GUI thread, and everything comes back on the GUI thread."""

from __future__ import annotations

import threading

import pytest

from app.errors import BadInput
from app.jobs.runner import JobState
from ui.jobs import JobQueue


@pytest.fixture
def queue(qtbot):
    job_queue = JobQueue()
    yield job_queue
    job_queue.shutdown()


def test_results_and_errors_arrive_on_the_gui_thread(qtbot, queue):
    gui = threading.current_thread()
    seen = {}

    def work(progress, cancel):
        seen["work"] = threading.current_thread()
        progress(1, 2, "half way")
        queue.stream("key", "a piece")
        return 42

    with qtbot.waitSignal(queue.streamed) as streamed:
        job = queue.submit(
            "answer", work,
            on_success=lambda result: seen.update(result=(result, threading.current_thread())),
        )  # fmt: skip
    assert streamed.args == ["key", "a piece"]
    qtbot.waitUntil(lambda: "result" in seen)
    assert seen["work"] is not gui
    assert seen["result"] == (42, gui)
    assert job.state is JobState.FINISHED and queue.active_jobs() == []

    def refuse(progress, cancel):
        raise BadInput("That file is not a document.")

    failures = []
    queue.submit("refused", refuse, on_failure=failures.append)
    qtbot.waitUntil(lambda: failures == ["That file is not a document."])


def test_a_cancelled_job_calls_neither_callback(qtbot, queue):
    started = threading.Event()
    called = []

    def wait_for_cancel(progress, cancel):
        started.set()
        while not cancel.cancelled:
            started.wait(0.01)
        cancel.raise_if_cancelled()

    job = queue.submit("long", wait_for_cancel, on_success=called.append, on_failure=called.append)
    with qtbot.waitSignal(queue.changed, check_params_cb=lambda j: j.state.is_final):
        started.wait(5)
        queue.cancel_all()
    assert job.state is JobState.CANCELLED
    qtbot.wait(50)
    assert called == []
