"""The models dialog as a user drives it: choosing a model reloads it off the GUI thread."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton

from app.audit.log import read_events
from tests.ui.conftest import UNLOCK_TIMEOUT, unlock, wait_for_model


def test_use_reloads_the_model_and_is_audited(qtbot, window):
    unlock(qtbot, window)
    workspace = window.workspace
    wait_for_model(qtbot, window)
    loaded = workspace.engine
    dialog = workspace.show_models()
    dialog.table.selectRow(0)
    qtbot.mouseClick(dialog.findChild(QPushButton, "useModel"), Qt.MouseButton.LeftButton)

    message = dialog.findChild(QLabel, "modelsMessage")
    qtbot.waitUntil(
        lambda: message.text() == "SmolLM2-135M-Instruct is now the active model.",
        timeout=UNLOCK_TIMEOUT,
    )
    assert workspace.engine is not loaded  # the old worker was closed, a new one loads
    wait_for_model(qtbot, window)
    assert dialog.table.item(0, 6).text() == "Ready"
    assert "model.select" in [event.action for event in read_events(workspace.session.vault)]
