"""Settings, stored in the vault: auto-lock, model threads, default template, the order of
numeric dates, appearance."""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QStyleFactory,
    QWidget,
)

from app.engine import THREADS_SETTING
from app.engine.settings import physical_cores
from app.errors import BadInput
from app.jobs.fieldparse import DATE_ORDER_SETTING, default_date_order
from app.jobs.templates import Template
from ui.settings import (
    APPEARANCE_SETTING,
    AUTOLOCK_SETTING,
    DEFAULT_AUTOLOCK_MINUTES,
    DEFAULT_TEMPLATE_SETTING,
)

APPEARANCES = {
    "system": ("Follow the system", Qt.ColorScheme.Unknown),
    "light": ("Light", Qt.ColorScheme.Light),
    "dark": ("Dark", Qt.ColorScheme.Dark),
}
# How extraction reads a numeric date whose day and month could be either, by stored value;
# LOCALE_ORDER stores nothing (None), so the operating system's locale decides.
LOCALE_ORDER = ""
DATE_ORDER_CHOICES = {"DMY": "Day first (31/12/2026)", "MDY": "Month first (12/31/2026)"}


def locale_order_label() -> str:
    first = "month" if default_date_order() == "MDY" else "day"
    return f"As the system's locale ({first} first)"


def sets_own_date_order(template: Template) -> bool:
    """Whether the template fixes the order itself (x-date-order), which the setting leaves."""
    parts = [template.schema, *template.fields.values()]
    return any(isinstance(part, dict) and "x-date-order" in part for part in parts)


def apply_appearance(choice: str) -> None:
    _, scheme = APPEARANCES.get(choice, APPEARANCES["system"])
    hints = QGuiApplication.styleHints()
    hints.setColorScheme(scheme)
    application = QApplication.instance()
    # Without a platform theme (a plain X11 window manager) the request changes nothing: then
    # Fusion paints the chosen scheme with a palette of its own.
    if scheme is not Qt.ColorScheme.Unknown and hints.colorScheme() != scheme:
        if application.property("systemStyle") is None:
            application.setProperty("systemStyle", application.style().name())
        application.setStyle("Fusion")
        application.setPalette(_palette(scheme))
    elif application.property("systemStyle") is not None:
        application.setStyle(application.property("systemStyle"))
        application.setProperty("systemStyle", None)
        application.setPalette(application.style().standardPalette())


def _palette(scheme: Qt.ColorScheme) -> QPalette:
    """Fusion's light palette, or a dark one built from the same roles."""
    palette = QStyleFactory.create("Fusion").standardPalette()
    if scheme is not Qt.ColorScheme.Dark:
        return palette
    role = QPalette.ColorRole
    for name, color in (
        (role.Window, "#2b2b2b"), (role.WindowText, "#e6e6e6"), (role.Base, "#1f1f1f"),
        (role.AlternateBase, "#2f2f2f"), (role.Text, "#e6e6e6"), (role.Button, "#353535"),
        (role.ButtonText, "#e6e6e6"), (role.ToolTipBase, "#3a3a3a"),
        (role.ToolTipText, "#e6e6e6"), (role.Highlight, "#2f6db5"),
        (role.HighlightedText, "#ffffff"), (role.Link, "#6ab0ff"),
        (role.PlaceholderText, "#9a9a9a"), (role.BrightText, "#ff6b6b"),
    ):  # fmt: skip
        palette.setColor(name, QColor(color))
    for name in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, name, QColor("#7a7a7a"))
    return palette


class StoredSettings(Protocol):
    """Where the dialog reads the values it shows (app.session.Session is one)."""

    def setting(self, key: str, default: Any = None) -> Any: ...
    def templates(self) -> list[Template]: ...


class SettingsDialog(QDialog):
    """Shows the stored settings; Save hands the new values to its owner, who stores them
    (a new thread count reloads the model, which is not work for the GUI thread)."""

    save_requested = Signal(dict)  # setting key -> value (None: the default)

    def __init__(self, stored: StoredSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        self.stored = stored
        self.autolock = QSpinBox(objectName="autolockMinutes", minimum=1, maximum=480)
        self.autolock.setSuffix(" min")
        self.autolock.setAccessibleName("Lock after this many idle minutes")
        self.threads = QSpinBox(objectName="modelThreads", minimum=0, maximum=256)
        self.threads.setSpecialValueText(f"Automatic ({physical_cores()})")
        self.threads.setAccessibleName("Model threads")
        self.template = QComboBox(objectName="defaultTemplate")
        self.template.setAccessibleName("Default template")
        self.date_order = QComboBox(objectName="dateOrder")
        self.date_order.setAccessibleName("Order of day and month in numeric dates")
        self.date_order.setToolTip(
            "How extraction reads a date such as 03/04/2026. A template that sets its own"
            " order (x-date-order) keeps it."
        )
        for order, label in DATE_ORDER_CHOICES.items():
            self.date_order.addItem(label, order)
        self.date_order.addItem(locale_order_label(), LOCALE_ORDER)
        self.date_order_note = QLabel(objectName="dateOrderNote")
        self.date_order_note.setTextFormat(Qt.TextFormat.PlainText)  # template names as typed
        self.date_order_note.setWordWrap(True)
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
        form = QFormLayout(self)  # each label is its field's buddy: Alt+its letter goes there
        form.addRow("&Lock after idle:", self.autolock)
        form.addRow("Model &threads:", self.threads)
        form.addRow("Default te&mplate:", self.template)
        form.addRow("&Dates like 03/04/2026:", self.date_order)
        form.addRow("", self.date_order_note)
        form.addRow("A&ppearance:", self.appearance)
        form.addRow(self.message)
        form.addRow(buttons)

    def load(self) -> None:
        stored = self.stored
        self.autolock.setValue(round(stored.setting(AUTOLOCK_SETTING, DEFAULT_AUTOLOCK_MINUTES)))
        self.threads.setValue(int(stored.setting(THREADS_SETTING) or 0))
        self.template.clear()
        self.message.clear()
        try:
            templates = stored.templates()
        except BadInput as exc:  # a broken template file
            templates = []
            self.message.setText(str(exc))
        self.template.addItems([t.name for t in templates])
        own_order = [t.name for t in templates if sets_own_date_order(t)]
        self.date_order_note.setText(
            f"These templates set their own order and keep it: {', '.join(own_order)}."
        )
        self.date_order_note.setVisible(bool(own_order))
        self.adjustSize()  # room for the note's lines, which the dialog did not have when shown
        self.template.setCurrentText(stored.setting(DEFAULT_TEMPLATE_SETTING) or "")
        order = stored.setting(DATE_ORDER_SETTING)
        self.date_order.setCurrentIndex(
            self.date_order.findData(order if order in DATE_ORDER_CHOICES else LOCALE_ORDER)
        )
        appearance = stored.setting(APPEARANCE_SETTING, "system")
        self.appearance.setCurrentIndex(max(0, self.appearance.findData(appearance)))

    def save(self) -> None:
        self.save_requested.emit(
            {
                AUTOLOCK_SETTING: self.autolock.value(),
                THREADS_SETTING: self.threads.value() or None,  # None: one per physical core
                DEFAULT_TEMPLATE_SETTING: self.template.currentText() or None,
                DATE_ORDER_SETTING: self.date_order.currentData() or None,  # None: the locale's
                APPEARANCE_SETTING: self.appearance.currentData(),
            }
        )
        self.accept()
