"""The desktop application: QApplication and the main window."""

from __future__ import annotations

import argparse

from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

from app import __version__


class MainWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("Fieldscribe")
        self.resize(1100, 720)
        placeholder = QLabel("Fieldscribe", objectName="placeholder")
        self.setCentralWidget(placeholder)


def run_app(args: argparse.Namespace) -> int:
    application = QApplication.instance() or QApplication([])
    application.setApplicationName("Fieldscribe")
    application.setApplicationVersion(__version__)
    window = MainWindow()
    window.show()
    return application.exec()
