"""The job queue: order, progress, cancel (queued and running), failures, shutdown."""

from __future__ import annotations

import threading

from app.errors import BadInput
from app.jobs.runner import JobRunner, JobState


def recorder():
    seen: list[tuple[int, JobState, str]] = []
    lock = threading.Lock()

    def on_change(job):
        with lock:
            seen.append((job.id, job.state, job.message))

    return seen, on_change


def work_until_cancelled():
    """Work that runs in small steps until it is cancelled, and an event set once it started."""
    started = threading.Event()
    step = threading.Event()  # never set: waiting on it is one small step of work

    def work(progress, cancel):
        started.set()
        while True:
            cancel.raise_if_cancelled()
            step.wait(0.005)

    return started, work


def test_jobs_run_in_order_with_progress_and_results():
    seen, on_change = recorder()
    runner = JobRunner(on_change)

    def work(n):
        def run(progress, cancel):
            for step in range(3):
                cancel.raise_if_cancelled()
                progress(step + 1, 3, f"step {step + 1}")
            return n * 10

        return run

    first, second = runner.submit("first", work(1)), runner.submit("second", work(2))
    assert runner.wait_until_idle(timeout=30)
    runner.shutdown()
    assert (first.state, first.result) == (JobState.FINISHED, 10)
    assert (second.state, second.result) == (JobState.FINISHED, 20)
    assert (second.done, second.total, second.message) == (3, 3, "step 3")
    order = [job_id for job_id, state, _ in seen if state is JobState.RUNNING]
    assert order[0] == first.id and order[-1] == second.id
    assert seen[-1][:2] == (second.id, JobState.FINISHED)


def test_cancel_a_running_and_a_queued_job():
    runner = JobRunner()
    started, long_work = work_until_cancelled()
    ran_queued = threading.Event()
    running = runner.submit("long", long_work)
    queued = runner.submit("queued", lambda progress, cancel: ran_queued.set())
    assert started.wait(10)
    queued.cancel()
    running.cancel()
    assert runner.wait_until_idle(timeout=10)
    runner.shutdown()
    assert running.state is JobState.CANCELLED and running.error is None
    assert queued.state is JobState.CANCELLED
    assert not ran_queued.is_set()


def test_failures_become_one_sentence_and_the_queue_goes_on(caplog):
    runner = JobRunner()

    def refused(progress, cancel):
        raise BadInput("scan.pdf: the PDF is encrypted.")

    file_name = "home-visit-Ada-Lovelace.pdf"

    def bug(progress, cancel):
        raise KeyError(file_name)

    a = runner.submit("refused", refused)
    b = runner.submit("bug", bug)
    c = runner.submit("fine", lambda progress, cancel: "ok")
    assert runner.wait_until_idle(timeout=10)
    runner.shutdown()
    assert (a.state, a.error) == (JobState.FAILED, "scan.pdf: the PDF is encrypted.")
    assert b.state is JobState.FAILED
    assert b.error == "An internal error stopped this job (KeyError)."
    # The bug is logged with its frames and class, never its message: that can name a file.
    assert "in bug" in caplog.text and "KeyError" in caplog.text
    assert file_name not in caplog.text
    assert (c.state, c.result) == (JobState.FINISHED, "ok")


def test_shutdown_cancels_what_is_running_and_joins_the_worker():
    runner = JobRunner()
    started, long_work = work_until_cancelled()
    job = runner.submit("long", long_work)
    assert started.wait(10)
    runner.shutdown()
    assert job.state is JobState.CANCELLED
    assert not any(t.name.startswith("fieldscribe-job") for t in threading.enumerate())


def test_eta_follows_progress():
    etas = []

    def on_change(job):
        if job.message == "a quarter":
            etas.append(job.eta_seconds)

    runner = JobRunner(on_change)
    job = runner.submit("eta", lambda progress, cancel: progress(1, 4, "a quarter"))
    assert runner.wait_until_idle(timeout=10)
    runner.shutdown()
    assert etas[0] is not None and etas[0] >= 0
    assert job.eta_seconds is None  # finished: nothing remains
