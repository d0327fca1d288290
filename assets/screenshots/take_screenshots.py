"""Grabs the README's screenshots offscreen, from a fresh vault and the sample documents.

QT_QPA_PLATFORM=offscreen .venv/bin/python assets/screenshots/take_screenshots.py
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402

from app.paths import Home, assets_dir  # noqa: E402
from app.vault import Vault  # noqa: E402
from app.vault.documents import list_documents  # noqa: E402
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


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Home(Path(tmp) / "home")
        Vault.create(home, PASSPHRASE)[0].lock()
        window = open_main_window(argparse.Namespace(home=str(home.root)))
        window.resize(1280, 800)
        wait_until(lambda: window.isVisible())
        window.grab().save(str(HERE / "unlock.png"))

        window.unlock_page.passphrase.setText(PASSPHRASE)
        window.unlock_page.unlock()
        wait_until(lambda: window.workspace is not None)
        workspace = window.workspace
        samples = assets_dir() / "samples"
        workspace.add_paths([str(path) for path in sorted(samples.glob("*.*"))
                             if path.suffix != ".py"])  # fmt: skip
        wait_until(lambda: len(workspace.job_panel.rows) == 6
                   and not workspace.jobs.active_jobs(), timeout=300)  # fmt: skip
        names = {d.name: d.id for d in list_documents(workspace.vault)}
        workspace.library.select_document(names["handwritten-note.png"])
        wait_until(lambda: workspace.document_view.page_view.images)
        window.grab().save(str(HERE / "main-window.png"))

        workspace.library.select_document(names["inspection-form.pdf"])
        view = workspace.document_view
        view.extract_tab.template.setCurrentText("building-inspection")
        view.tabs.setCurrentWidget(view.extract_tab)
        workspace.run_extract()
        wait_until(lambda: view.extract_tab.result is not None, timeout=300)
        view.extract_tab.table.setCurrentCell(0, 1)
        window.grab().save(str(HERE / "extract.png"))
        window.close()


if __name__ == "__main__":
    main()
