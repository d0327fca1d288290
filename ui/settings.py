"""Window geometry and state: the only things kept outside the vault (they hold no content).

They live beside the vault in `<home>/window.ini`, so each home (and each test) has its own.
Everything else the user sets is a vault setting.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMainWindow

# Vault settings the desktop app owns (the engine's thread count is app.engine's).
AUTOLOCK_SETTING = "ui.autolock_minutes"
DEFAULT_AUTOLOCK_MINUTES = 10
DEFAULT_TEMPLATE_SETTING = "ui.default_template"
APPEARANCE_SETTING = "ui.appearance"


def _store(window: QMainWindow) -> QSettings:
    return QSettings(str(window.home.root / "window.ini"), QSettings.Format.IniFormat)


def restore_window(window: QMainWindow, default_size: tuple[int, int]) -> None:
    stored = _store(window)
    geometry = stored.value("geometry")
    if geometry is None or not window.restoreGeometry(geometry):
        window.resize(*default_size)
    state = stored.value("state")
    if state is not None:
        window.restoreState(state)


def save_window(window: QMainWindow) -> None:
    if not window.home.root.is_dir():  # no vault was created: leave no trace
        return
    stored = _store(window)
    stored.setValue("geometry", window.saveGeometry())
    stored.setValue("state", window.saveState())
    stored.sync()
    # Readable by the owner only, like every file in the home (QSettings follows the umask).
    Path(stored.fileName()).chmod(0o600)
