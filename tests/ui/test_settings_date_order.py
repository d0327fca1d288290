"""The order of day and month in numeric dates: chosen with the keyboard in the Settings dialog,
stored in the vault, and read by an extract through the session."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QComboBox, QDialogButtonBox, QLabel

from app import jobs
from app.jobs import templates
from app.jobs.fieldparse import DATE_ORDER_SETTING, default_date_order
from tests.helpers import add_text_documents
from tests.ui.conftest import unlock, wait_for_model
from ui.settings_dialog import SettingsDialog

SCHEMA = {
    "type": "object",
    "properties": {
        "visit_date": {"type": "string", "format": "date", "description": "The day of the visit."}
    },
}
# 03/04/2026: the 3rd of April read day first, the 4th of March read month first.
READINGS = {"DMY": "2026-04-03", "MDY": "2026-03-04"}


@pytest.fixture
def visit_note(vault) -> int:
    """A digitized note with an ambiguous date under its label; the vault locked again."""
    (document_id,) = add_text_documents(vault, 1, words="home visit\nVisit date: 03/04/2026")
    templates.save_template(vault, "visit", SCHEMA)
    templates.save_template(vault, "us-form", {**SCHEMA, "x-date-order": "MDY"})
    jobs.digitize(vault, document_id)
    vault.lock()
    return document_id


def open_settings(qtbot, window) -> SettingsDialog:
    """Tools ▸ Settings, as its shortcut does; the dialog once it shows and has the focus."""
    window.findChild(QAction, "actionSettings").trigger()
    dialog = window.workspace.findChild(SettingsDialog, "settingsDialog")
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    return dialog


def choose_date_order(qtbot, window, label: str) -> None:
    """Alt+D (the label's mnemonic) to the date order, arrow keys to `label`, Enter to save."""
    dialog = open_settings(qtbot, window)
    combo = dialog.findChild(QComboBox, "dateOrder")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier)
    assert combo.hasFocus()
    for _ in range(combo.count()):  # Up to the first choice, then Down to the one wanted
        qtbot.keyClick(combo, Qt.Key.Key_Up)
    while combo.currentText() != label:
        before = combo.currentIndex()
        qtbot.keyClick(combo, Qt.Key.Key_Down)
        assert combo.currentIndex() == before + 1, f"{label!r} is not a choice"
    with qtbot.waitSignal(window.workspace.settings_saved):
        qtbot.keyClick(combo, Qt.Key.Key_Return)  # Save is the dialog's default button
    assert not dialog.isVisible()


def extracted_date(workspace, document_id: int) -> str | None:
    result = workspace.session.extract(document_id, "visit")
    return result.content["fields"]["visit_date"]["value"]


def test_the_date_order_chosen_is_stored_and_read_by_extract(qtbot, window, visit_note):
    unlock(qtbot, window)
    wait_for_model(qtbot, window)
    workspace = window.workspace
    session = workspace.session
    locale_order = default_date_order()
    locale_label = f"As the system's locale ({'month' if locale_order == 'MDY' else 'day'} first)"

    # Unset at first: the dialog shows the locale's choice and says what the locale gives.
    dialog = open_settings(qtbot, window)
    combo = dialog.findChild(QComboBox, "dateOrder")
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "Day first (31/12/2026)", "Month first (12/31/2026)", locale_label,
    ]  # fmt: skip
    assert combo.currentText() == locale_label
    buddy = next(label for label in dialog.findChildren(QLabel) if label.buddy() is combo)
    assert buddy.text() == "&Dates like 03/04/2026:"
    note = dialog.findChild(QLabel, "dateOrderNote")  # which templates the choice leaves alone
    listed = note.text().rstrip(".").split(": ", 1)[1].split(", ")
    assert note.isVisible() and "us-form" in listed and "visit" not in listed
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Cancel).click()
    assert session.setting(DATE_ORDER_SETTING, "absent") == "absent"

    choose_date_order(qtbot, window, "Month first (12/31/2026)")
    assert session.setting(DATE_ORDER_SETTING) == "MDY"
    assert extracted_date(workspace, visit_note) == READINGS["MDY"]
    dialog = open_settings(qtbot, window)  # shown as stored when opened again
    assert dialog.findChild(QComboBox, "dateOrder").currentText() == "Month first (12/31/2026)"
    qtbot.keyClick(dialog.findChild(QComboBox, "dateOrder"), Qt.Key.Key_Escape)
    assert not dialog.isVisible()

    choose_date_order(qtbot, window, "Day first (31/12/2026)")
    assert session.setting(DATE_ORDER_SETTING) == "DMY"
    assert extracted_date(workspace, visit_note) == READINGS["DMY"]

    # The locale's choice stores no order (None), and the locale decides again.
    choose_date_order(qtbot, window, locale_label)
    assert session.setting(DATE_ORDER_SETTING, "absent") is None
    assert extracted_date(workspace, visit_note) == READINGS[locale_order]


def test_the_dialog_is_walked_in_row_order_with_tab(qtbot, window, visit_note):
    unlock(qtbot, window)
    dialog = open_settings(qtbot, window)
    dialog.findChild(QComboBox, "defaultTemplate").setFocus()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget().objectName() == "dateOrder"
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget().objectName() == "appearance"
