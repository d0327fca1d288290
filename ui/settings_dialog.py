"""Settings, stored in the vault: auto-lock, model threads, default template, appearance."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from app.engine import THREADS_SETTING
from app.engine.settings import physical_cores
from app.errors import BadInput
from app.jobs import templates
from ui.settings import (
    APPEARANCE_SETTING,
    AUTOLOCK_SETTING,
    DEFAULT_AUTOLOCK_MINUTES,
    DEFAULT_TEMPLATE_SETTING,
)

if TYPE_CHECKING:
    from ui.workspace import Workspace

APPEARANCES = {
    "system": ("Follow the system", Qt.ColorScheme.Unknown),
    "light": ("Light", Qt.ColorScheme.Light),
    "dark": ("Dark", Qt.ColorScheme.Dark),
}


def apply_appearance(choice: str) -> None:
    _, scheme = APPEARANCES.get(choice, APPEARANCES["system"])
    QGuiApplication.styleHints().setColorScheme(scheme)


class SettingsDialog(QDialog):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        self.workspace = workspace
        self.autolock = QSpinBox(objectName="autolockMinutes", minimum=1, maximum=480)
        self.autolock.setSuffix(" min")
        self.autolock.setAccessibleName("Lock after this many idle minutes")
        self.threads = QSpinBox(objectName="modelThreads", minimum=0, maximum=256)
        self.threads.setSpecialValueText(f"Automatic ({physical_cores()})")
        self.threads.setAccessibleName("Model threads")
        self.template = QComboBox(objectName="defaultTemplate")
        self.template.setAccessibleName("Default template")
        self.appearance = QComboBox(objectName="appearance")
        self.appearance.setAccessibleName("Appearance")
        for key, (label, _) in APPEARANCES.items():
            self.appearance.addItem(label, key)
        self.message = QLabel(objectName="settingsMessage")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Save).setObjectName("saveSettings")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Lock after idle:", self.autolock)
        form.addRow("Model threads:", self.threads)
        form.addRow("Default template:", self.template)
        form.addRow("Appearance:", self.appearance)
        form.addRow(self.message)
        form.addRow(buttons)

    def load(self) -> None:
        vault = self.workspace.vault
        self.autolock.setValue(round(vault.get_setting(AUTOLOCK_SETTING, DEFAULT_AUTOLOCK_MINUTES)))
        self.threads.setValue(int(vault.get_setting(THREADS_SETTING) or 0))
        self.template.clear()
        self.message.clear()
        try:
            self.template.addItems([t.name for t in templates.list_templates(vault)])
        except BadInput as exc:  # a broken template file
            self.message.setText(str(exc))
        self.template.setCurrentText(vault.get_setting(DEFAULT_TEMPLATE_SETTING) or "")
        appearance = vault.get_setting(APPEARANCE_SETTING, "system")
        self.appearance.setCurrentIndex(max(0, self.appearance.findData(appearance)))

    def save(self) -> None:
        vault = self.workspace.vault
        threads_before = vault.get_setting(THREADS_SETTING)
        threads = self.threads.value() or None  # None: as many as the machine has cores
        with vault.transaction() as tx:
            tx.set_setting(AUTOLOCK_SETTING, self.autolock.value())
            tx.set_setting(THREADS_SETTING, threads)
            tx.set_setting(DEFAULT_TEMPLATE_SETTING, self.template.currentText() or None)
            tx.set_setting(APPEARANCE_SETTING, self.appearance.currentData())
        apply_appearance(self.appearance.currentData())
        self.workspace.settings_saved.emit()
        if threads != threads_before:
            self.workspace.restart_engine()
        self.accept()
