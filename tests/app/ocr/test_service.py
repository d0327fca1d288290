"""The OCR worker process: kept warm, cancel, crash, shutdown. Real pages, real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cancel import CancelToken
from app.errors import Cancelled, FieldscribeError
from app.ocr import recognize, service, shutdown, warm_up
from tests.app.ocr.notes import render_printed

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]

PAGE = render_printed(["Ramipril 5 mg once daily"])
# Small enough to sit in the pipe's buffer while the worker is frozen (SIGSTOP) and not reading.
assert len(PAGE) < 64_000


@pytest.fixture(autouse=True, scope="module")
def stop_the_worker_afterwards() -> Iterator[None]:
    yield
    shutdown()


def _warm_pid() -> int:
    """The id of a worker that has read a page and waits for the next."""
    assert recognize(PAGE).text == "Ramipril 5 mg once daily"
    pid = service.worker_pid()
    assert pid is not None
    return pid


def _later(seconds: float, action, *args) -> threading.Timer:
    timer = threading.Timer(seconds, action, args)
    timer.start()
    return timer


def test_pages_are_read_in_one_warm_worker():
    warm_up()  # returns at once; the first page waits for the worker to be ready
    pid = service.worker_pid()
    assert recognize(PAGE).text == recognize(PAGE).text == "Ramipril 5 mg once daily"
    assert service.worker_pid() == pid


# Some unit tests load the line finder (and so cv2) into the test process itself, so whether the
# app's process stays free of the OCR stack is asked of a fresh interpreter.
APP_PROCESS = """
import sys
from app.ocr import recognize, shutdown
from tests.app.ocr.notes import render_printed
text = recognize(render_printed(["Ramipril 5 mg once daily"])).text
shutdown()
print(text, sorted({"rapidocr", "onnxruntime", "cv2"} & set(sys.modules)))
"""


def test_the_app_process_never_loads_the_ocr_stack():
    done = subprocess.run(
        [sys.executable, "-c", APP_PROCESS], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Ramipril 5 mg once daily []"


def test_a_worker_that_dies_fails_that_page_clearly_and_the_next_gets_a_fresh_one():
    pid = _warm_pid()
    os.kill(pid, signal.SIGKILL)
    with pytest.raises(FieldscribeError, match="OCR process stopped unexpectedly"):
        recognize(PAGE, source="scan.png")
    assert _warm_pid() != pid


def test_cancel_is_acknowledged_by_the_worker_which_is_kept():
    pid = _warm_pid()
    cancel = CancelToken()
    os.kill(pid, signal.SIGSTOP)  # holds the request unread until the cancel has been passed on
    timers = [_later(0.2, cancel.cancel), _later(0.8, os.kill, pid, signal.SIGCONT)]
    with pytest.raises(Cancelled):
        recognize(PAGE, cancel=cancel)
    for timer in timers:
        timer.join()
    assert _warm_pid() == pid  # it answered: not killed, and its pipe holds nothing stale


def test_a_worker_that_ignores_cancel_is_killed_after_the_grace_period():
    pid = _warm_pid()
    cancel = CancelToken()
    os.kill(pid, signal.SIGSTOP)  # frozen: it can no longer acknowledge anything
    timer = _later(0.2, cancel.cancel)
    started = time.monotonic()
    with pytest.raises(Cancelled):
        recognize(PAGE, cancel=cancel)
    elapsed = time.monotonic() - started
    timer.join()
    assert 0.2 + service.CANCEL_GRACE - 0.1 < elapsed < 0.2 + service.CANCEL_GRACE + 2.0
    assert _warm_pid() != pid


def test_shutdown_stops_the_worker_and_the_next_page_starts_a_fresh_one():
    pid = _warm_pid()
    shutdown()
    assert service.worker_pid() is None
    with pytest.raises(ProcessLookupError):  # ended and reaped
        os.kill(pid, 0)
    assert _warm_pid() != pid
