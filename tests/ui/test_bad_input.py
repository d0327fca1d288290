"""A file made to hang the PDF reader, dropped on the window: the window keeps answering, the
job ends with one sentence, and the files after it are still read."""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer

from app.ingest import limits
from app.jobs.runner import JobState
from tests.corpus.make_corpus import hanging_pdf
from tests.ui.conftest import drop_files, has_ended, unlock, wait_for_model

JOB_TIMEOUT = 240_000  # ms: OCR on two shared cores
MAX_STALL = 0.100  # s: the longest the GUI thread may go without handling its events


class StallMeter:
    """A 10 ms timer on the GUI thread; the longest gap between its ticks is the worst stall."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._last = time.monotonic()
        self._timer = QTimer(interval=10)
        self._timer.timeout.connect(self._tick)
        self._timer.start()

    def _tick(self) -> None:
        now = time.monotonic()
        self.longest = max(self.longest, now - self._last)
        self._last = now

    def stop(self) -> float:
        self._timer.stop()
        return self.longest


def job_named(workspace, title: str):
    for row in workspace.job_panel.rows.values():
        if row.job.title == title:
            return row
    return None


def test_a_hanging_pdf_neither_stalls_the_window_nor_stops_the_batch(
    qtbot, window, tmp_path, monkeypatch
):
    # pdfium would render this page for about 40 minutes; the page deadline (30 s in the app)
    # is shortened so that the test is quick. It is enforced in this process, by killing the
    # worker process that reads the file.
    monkeypatch.setattr(limits, "PAGE_DECODE_SECONDS", 3)
    hanging = tmp_path / "hanging.pdf"
    hanging.write_bytes(hanging_pdf())
    note = tmp_path / "note.txt"
    note.write_text("Roof inspected: two slipped tiles above the porch.\n", encoding="utf-8")
    unlock(qtbot, window)
    workspace = window.workspace
    wait_for_model(qtbot, window)  # what the window does at unlock is not measured

    meter = StallMeter()
    drop_files(window, [hanging, note])

    def refused() -> bool:
        row = job_named(workspace, "Add hanging.pdf")
        return row is not None and has_ended(workspace, row.job)  # shown, not just ended

    qtbot.waitUntil(refused, timeout=JOB_TIMEOUT)
    longest = meter.stop()
    row = job_named(workspace, "Add hanging.pdf")
    assert row.job.state is JobState.FAILED
    assert row.status.text() == (
        "Failed: hanging.pdf: this file took too long to read, so reading it was stopped."
    )
    assert longest <= MAX_STALL, f"the window stalled for {longest * 1000:.0f} ms"

    def note_read() -> bool:
        digitized = job_named(workspace, "Digitize note.txt")
        return digitized is not None and has_ended(workspace, digitized.job)

    qtbot.waitUntil(note_read, timeout=JOB_TIMEOUT)
    assert job_named(workspace, "Digitize note.txt").job.state is JobState.FINISHED
    assert workspace.library.tree.topLevelItemCount() == 1
