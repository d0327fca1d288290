"""Takes the README's screenshots from a fresh vault and the sample documents.

Offscreen (window grabs):
    QT_QPA_PLATFORM=offscreen .venv/bin/python assets/screenshots/take_screenshots.py
In a real X11 window (the whole screen, window manager frames and dialogs included), e.g.
    Xvfb :77 -screen 0 1280x800x24 & DISPLAY=:77 openbox &
    DISPLAY=:77 .venv/bin/python assets/screenshots/take_screenshots.py
The X11 shots are saved as NAME-x11.png beside the offscreen NAME.png.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from PySide6.QtCore import QEventLoop, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QGuiApplication, QTextCursor  # noqa: E402

from app.paths import Home, assets_dir  # noqa: E402
from app.session import Session  # noqa: E402
from ui.app import open_main_window  # noqa: E402

PASSPHRASE = "screenshot passphrase"


def wait_until(condition, timeout: float = 120.0) -> None:
    """Run the event loop until `condition()` holds (a tool script, not the app)."""
    deadline = time.monotonic() + timeout
    loop = QEventLoop()
    timer = QTimer(interval=50)
    timer.timeout.connect(
        lambda: loop.quit() if condition() or time.monotonic() > deadline else None
    )
    timer.start()
    loop.exec()
    timer.stop()
    if not condition():
        sys.exit("screenshots: timed out")


def settle(seconds: float = 0.6) -> None:
    """Let the window paint (and, on X11, the window manager place it)."""
    end = time.monotonic() + seconds
    wait_until(lambda: time.monotonic() > end)


def save(widget, name: str) -> None:
    """On X11 the whole screen as the user sees it; offscreen, the widget itself."""
    if QGuiApplication.platformName() == "xcb":
        settle()
        widget.screen().grabWindow(0).save(str(HERE / f"{name}-x11.png"))
    else:
        widget.grab().save(str(HERE / f"{name}.png"))


def select_text(editor, passage: str) -> None:
    at = editor.toPlainText().index(passage)
    cursor = editor.textCursor()
    cursor.setPosition(at)
    cursor.setPosition(at + len(passage), QTextCursor.MoveMode.KeepAnchor)
    editor.setTextCursor(cursor)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Home(Path(tmp) / "home")
        Session.create(home, PASSPHRASE)[0].close("screenshot set-up")
        window = open_main_window(argparse.Namespace(home=str(home.root)))
        window.setWindowState(Qt.WindowState.WindowNoState)  # not maximized on a small screen
        window.resize(1280, 800)
        wait_until(lambda: window.isVisible())
        save(window, "unlock")

        window.unlock_page.passphrase.setText(PASSPHRASE)
        window.unlock_page.unlock()
        wait_until(lambda: window.workspace is not None)
        workspace = window.workspace
        view = workspace.document_view
        samples = assets_dir() / "samples"
        workspace.add_paths([str(path) for path in sorted(samples.glob("*.*"))
                             if path.suffix != ".py"])  # fmt: skip
        wait_until(lambda: len(workspace.job_panel.rows) == 6
                   and not workspace.jobs.active_jobs(), timeout=300)  # fmt: skip
        names = {d.name: d.id for d in workspace.session.documents()}

        # The handwritten note: a line selected in the text is outlined on the scan.
        workspace.library.select_document(names["handwritten-note.png"])
        wait_until(lambda: view.page_view.images)
        line = next(
            line["text"]
            for line in view.text_tab.result.content["pages"][0]["lines"]
            if line["text"].startswith("Ramipril")
        )
        select_text(view.text_tab.editor, line)
        wait_until(lambda: view.page_view.boxes)
        save(window, "main-window")

        # A correction saved, then the history beside the current revision.
        select_text(view.text_tab.editor, "Moreay")
        view.text_tab.editor.insertPlainText("Moreau")
        view.text_tab.save()
        dialog = view.show_history()
        wait_until(lambda: dialog.isVisible())
        save(dialog, "history")
        dialog.close()

        # The inspection form's PDF page drawn beside its fields; the evidence outlined.
        workspace.library.select_document(names["inspection-form.pdf"])
        view.extract_tab.template.setCurrentText("building-inspection")
        view.tabs.setCurrentWidget(view.extract_tab)
        workspace.run_extract()
        wait_until(lambda: view.extract_tab.result is not None, timeout=300)
        view.extract_tab.table.setCurrentCell(0, 1)
        settle(1.5)  # the evidence is found on the page off the GUI thread
        save(window, "extract")

        # The case file's summary: what it covers, a cited section opened in place.
        workspace.library.select_document(names["case-file.docx"])
        workspace.run_summarize()
        wait_until(lambda: view.summary_tab.result is not None
                   and not workspace.jobs.active_jobs(), timeout=300)  # fmt: skip
        first = next(iter(view.summary_tab.sections))
        view.summary_tab.show_section(first)
        save(window, "summary")
        window.close()


if __name__ == "__main__":
    main()
