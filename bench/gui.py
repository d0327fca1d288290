"""Desktop app figures: start-up, unlock, and how long the event loop stalls while jobs run.

.venv/bin/python bench/gui.py          (offscreen; prints; asserts nothing)

A child process is started the way `fieldscribe` starts: launch is measured from before the
child's interpreter starts until its event loop runs with the unlock screen shown. Then it types
the passphrase (after a pause, as a person would) and measures from the click to an interactive
workspace, the model still loading. Finally it drops the handwritten note, the text PDF form
(whose page is drawn for the page view) and the DOCX case file and summarizes the case file,
while a 10 ms QTimer records how late the event loop ever ran: OCR, page drawing and the model's
summary all run during that window.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSPHRASE = "bench passphrase for the gui"
TICK_MS = 10


def child(home: str) -> None:
    from PySide6.QtCore import QElapsedTimer, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from app.jobs.runner import JobState
    from app.paths import assets_dir
    from tests.ui.conftest import drop_files
    from ui.app import open_main_window

    def report(**figures) -> None:
        print(json.dumps(figures), flush=True)

    window = open_main_window(argparse.Namespace(home=home))
    app = QApplication.instance()
    QTimer.singleShot(0, lambda: report(unlock_screen_at=time.time()))

    clock = QElapsedTimer()
    stalls: list[float] = []
    ticker = QTimer(interval=TICK_MS, timerType=Qt.TimerType.PreciseTimer)

    busy: list[float] = []  # the GUI thread's own CPU time between ticks
    cpu = [time.thread_time()]

    def tick() -> None:
        stalls.append(clock.restart() - TICK_MS)
        now = time.thread_time()
        busy.append((now - cpu[0]) * 1000)
        cpu[0] = now

    ticker.timeout.connect(tick)
    state: dict = {}

    def click_unlock() -> None:
        window.unlock_page.passphrase.setText(PASSPHRASE)
        state["clicked"] = time.perf_counter()
        window.unlock_page.unlock_button.click()

    def workspace_ready(workspace) -> None:
        # Interactive = the event loop is free again with the workspace on screen.
        QTimer.singleShot(0, lambda: interactive(workspace))

    def interactive(workspace) -> None:
        report(unlock_to_window_ms=(time.perf_counter() - state["clicked"]) * 1000)
        samples = assets_dir() / "samples"
        clock.start()
        cpu[0] = time.thread_time()
        ticker.start()
        state["started"] = time.perf_counter()
        names = ("handwritten-note.png", "inspection-form.pdf", "case-file.docx")
        drop_files(window, [samples / name for name in names])  # a drag enters, then drops
        workspace.jobs.ended.connect(lambda job: job_ended(workspace, job))

    def job_ended(workspace, job) -> None:
        if job.state is not JobState.FINISHED:
            report(error=f"{job.title}: {job.state.value} {job.error or ''}")
        if job.title == "Digitize case-file.docx":
            document = next(
                d for d in workspace.session.documents() if d.name == "case-file.docx"
            )
            workspace.library.select_document(document.id)
            workspace.run_summarize()
        if job.title.startswith("Summarize"):
            ticker.stop()
            report(
                jobs_seconds=time.perf_counter() - state["started"],
                max_stall_ms=max(stalls),
                max_busy_ms=max(busy),
                ticks=len(stalls),
            )
            window.close()
            app.quit()

    window.workspace_ready.connect(workspace_ready)
    QTimer.singleShot(2000, click_unlock)  # the time a person takes to type
    app.exec()


def main() -> None:
    from app.paths import Home
    from app.session import Session

    with tempfile.TemporaryDirectory() as tmp:
        home = Home(Path(tmp) / "home")
        session, _ = Session.create(home, PASSPHRASE)
        session.close("bench set-up")
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        started = time.time()
        answer = subprocess.run(
            [sys.executable, __file__, "--child", str(home.root)],
            env=env, capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        figures: dict = {}
        for line in answer.stdout.splitlines():
            if line.startswith("{"):
                figures.update(json.loads(line))
        if answer.returncode != 0 or "max_stall_ms" not in figures:
            print(answer.stderr[-3000:], file=sys.stderr)
            sys.exit(f"gui bench: the app did not finish its run (exit {answer.returncode})")
    launch_ms = (figures["unlock_screen_at"] - started) * 1000
    if "error" in figures:
        print(f"a job did not finish: {figures['error']}")
    print(f"launch to the unlock screen       {launch_ms:8.0f} ms   target ≤ 1500 ms")
    print(f"unlock click to interactive window {figures['unlock_to_window_ms']:7.0f} ms   "
          "target ≤ 1000 ms (model still loading)")  # fmt: skip
    print(f"longest event-loop stall          {figures['max_stall_ms']:8.0f} ms   target ≤ 50 ms "
          f"({figures['ticks']} ticks of {TICK_MS} ms over {figures['jobs_seconds']:.1f} s of "
          "OCR and summarizing)")  # fmt: skip
    # On a loaded machine the stall includes time the GUI thread waited for a core; its own CPU
    # time between two ticks is the work done on it.
    print(f"longest GUI-thread work between ticks {figures['max_busy_ms']:4.0f} ms   (CPU time)")
    print(
        f"gui: max stall {figures['max_stall_ms']:.0f} ms (GUI-thread work"
        f" {figures['max_busy_ms']:.0f} ms), launch {launch_ms:.0f} ms, "
        f"unlock-to-window {figures['unlock_to_window_ms']:.0f} ms"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2])
    else:
        main()
