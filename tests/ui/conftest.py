"""Fixtures for the desktop app: a main window over a real vault, unlocked through its screens."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from app.paths import Home, assets_dir
from tests.conftest import PASSPHRASE
from ui.main_window import MainWindow

SAMPLES = assets_dir() / "samples"
UNLOCK_TIMEOUT = 20_000  # ms: Argon2 on two busy cores, behind the workspace's imports


@pytest.fixture
def window(qtbot, vault_home: Home) -> MainWindow:
    """The main window over a copy of the shared vault, still locked."""
    main_window = MainWindow(vault_home)
    qtbot.addWidget(main_window)
    main_window.show()
    qtbot.waitExposed(main_window)
    return main_window


def unlock(qtbot, window: MainWindow, secret: str = PASSPHRASE) -> None:
    """Type the passphrase and press Unlock, as a user would; wait for the workspace."""
    page = window.unlock_page
    page.passphrase.setText(secret)
    qtbot.mouseClick(page.unlock_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.workspace is not None, timeout=UNLOCK_TIMEOUT)


def wait_for_model(qtbot, window: MainWindow) -> None:
    """Let the model finish loading before a test closes it (lock, model or thread change)."""
    qtbot.waitUntil(lambda: window.workspace.engine_state == "Ready", timeout=UNLOCK_TIMEOUT)


@pytest.fixture
def workspace(qtbot, window: MainWindow):
    unlock(qtbot, window)
    return window.workspace


def has_ended(workspace, job) -> bool:
    """Whether the GUI thread has handled the job's end (its results are shown). The job's own
    state changes on the runner's thread a moment earlier."""
    return job.state.is_final and job.id not in {j.id for j in workspace.jobs.active_jobs()}


def drop_files(window: MainWindow, paths: list[Path]) -> None:
    """A real drag enter and drop of file URLs on the window."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    position = window.rect().center()  # the enter event takes whole pixels, the drop fractions
    enter = QDragEnterEvent(
        position, Qt.DropAction.CopyAction, mime,
        Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        QPointF(position), Qt.DropAction.CopyAction, mime,
        Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    QApplication.sendEvent(window, drop)
    assert drop.isAccepted()
