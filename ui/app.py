"""The desktop application: QApplication, logging, the one excepthook, and the main window."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import traceback
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from app import __version__
from app.errors import FieldscribeError
from app.paths import Home, assets_dir, resolve_home
from app.session import secure_home
from ui.main_window import MainWindow

log = logging.getLogger("fieldscribe.ui")

_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def _log_file(home: Home) -> Path | None:
    """`<home>/logs/fieldscribe.log`, once the home exists (nothing is created before the vault)."""
    if not home.root.is_dir():
        return None
    home.logs.mkdir(mode=0o700, exist_ok=True)
    path = home.logs / "fieldscribe.log"
    path.touch(mode=0o600)  # before the handler opens it: never readable by others
    secure_home(home)  # and any file an older version left readable
    return path


def setup_logging(home: Home) -> Path | None:
    path = _log_file(home)
    handler = logging.FileHandler(path, encoding="utf-8") if path else logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    qt_log = logging.getLogger("fieldscribe.qt")
    # Qt's own messages go to the same log (qutebrowser does this too).
    qInstallMessageHandler(lambda kind, context, text: qt_log.log(_QT_LEVELS[kind], "%s", text))
    return path


def install_excepthook(log_path: Path | None) -> None:
    """A bug: log the traceback without the exception's message (it may quote content), and
    tell the user in a short dialog. A known error that escaped a window action (the disk filled
    up during a save) is shown as its one sentence."""

    def hook(kind, error, tb) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, tb)
            return
        if issubclass(kind, FieldscribeError):  # known (disk full, vault damaged): its sentence
            log.warning("%s in a window action", kind.__name__)
            box = QMessageBox(QMessageBox.Icon.Warning, "Fieldscribe", str(error))
            box.setTextFormat(Qt.TextFormat.PlainText)
            box.exec()
            return
        frames = "".join(traceback.format_tb(tb))
        log.critical("internal error %s\n%s", kind.__name__, frames)
        where = f" Details (no document content) are in {log_path}." if log_path else ""
        box = QMessageBox(
            QMessageBox.Icon.Critical,
            "Fieldscribe",
            f"Something went wrong inside Fieldscribe ({kind.__name__}). Your vault is safe; "
            f"the action you took may not have finished.{where}",
        )
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setObjectName("internalError")
        box.exec()

    sys.excepthook = hook


def open_main_window(args: argparse.Namespace) -> MainWindow:
    """Everything up to the first screen: the application, logging, the excepthook, the window."""
    home = resolve_home(getattr(args, "home", None))
    application = QApplication.instance() or QApplication([])
    application.setApplicationName("Fieldscribe")
    application.setApplicationVersion(__version__)
    application.setWindowIcon(QIcon(str(assets_dir() / "icons" / "fieldscribe.svg")))
    install_excepthook(setup_logging(home))
    window = MainWindow(home)
    window.show()
    return window


def quit_on_sigterm() -> QTimer:
    """SIGTERM (logout, `kill`) quits like closing the window: work saved, vault locked, exit 0.
    Python runs a signal handler only between bytecodes, so a timer wakes it while Qt waits."""
    signal.signal(signal.SIGTERM, lambda *_: QApplication.quit())
    wake = QTimer(interval=200)
    wake.timeout.connect(lambda: None)
    wake.start()
    return wake


def run_app(args: argparse.Namespace) -> int:
    window = open_main_window(args)  # noqa: F841 (kept alive while the app runs)
    wake = quit_on_sigterm()  # noqa: F841 (kept alive while the app runs)
    return QApplication.instance().exec()
