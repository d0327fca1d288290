"""Create, unlock, lock and auto-lock, through the screens a user sees."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QLineEdit, QMessageBox

from app.audit.log import read_events
from app.jobs import digitize, latest_result
from app.paths import Home
from app.vault import Vault
from tests.conftest import PASSPHRASE
from tests.helpers import add_text_documents
from tests.ui.conftest import UNLOCK_TIMEOUT, unlock, wait_for_model
from ui.change_passphrase import ChangePassphraseDialog
from ui.main_window import MainWindow
from ui.settings import AUTOLOCK_SETTING
from ui.unlock import strength_hint


def test_first_run_creates_a_vault_and_shows_the_recovery_code_once(qtbot, tmp_path):
    home = Home(tmp_path / "new-home")
    window = MainWindow(home)
    qtbot.addWidget(window)
    window.show()
    assert window.pages.currentWidget().objectName() == "createPage"
    page = window.create_page
    hint = page.findChild(QLabel, "strengthHint")
    create = page.create_button

    page.fields.new_passphrase.setText("short")
    assert hint.text().startswith("Too short")
    page.fields.new_passphrase.setText("plum tractor Violet 42 harbour")
    page.fields.repeat_passphrase.setText("plum tractor Violet 42 harbou")
    assert not create.isEnabled()  # the two differ
    assert hint.text() == "Strong."
    page.fields.repeat_passphrase.setText("plum tractor Violet 42 harbour")
    assert create.isEnabled()
    qtbot.mouseClick(create, Qt.MouseButton.LeftButton)

    recovery = window.recovery_page
    qtbot.waitUntil(lambda: window.pages.currentWidget() is recovery, timeout=UNLOCK_TIMEOUT)
    code = recovery.findChild(QLineEdit, "recoveryCode").text()
    assert len(code) > 20
    assert not recovery.continue_button.isEnabled()  # only after "I have stored it"
    recovery.stored.setChecked(True)
    qtbot.mouseClick(recovery.continue_button, Qt.MouseButton.LeftButton)
    assert window.workspace is not None
    assert recovery.code.text() == ""  # not kept once confirmed
    assert [e.action for e in read_events(window.vault)] == ["vault.create"]

    # The recovery code opens the vault too.
    wait_for_model(qtbot, window)
    window.lock("user")
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.unlock_page)
    qtbot.waitUntil(lambda: window.unlock_page.unlock_button.isEnabled())
    unlock(qtbot, window, code)


def test_wrong_passphrase_and_damaged_vault_are_told_apart(qtbot, window, vault_home):
    page = window.unlock_page
    page.passphrase.setText("not the passphrase")
    qtbot.mouseClick(page.unlock_button, Qt.MouseButton.LeftButton)
    error = page.findChild(QLabel, "unlockError")
    qtbot.waitUntil(lambda: error.text() != "", timeout=UNLOCK_TIMEOUT)
    assert error.text() == "Wrong passphrase."
    assert window.workspace is None
    assert page.passphrase.isEnabled()

    # Damage the database's pages (the key slots stay intact): a different sentence.
    with open(vault_home.vault_db, "r+b") as db:
        db.seek(4096)
        db.write(b"\xff" * 8192)
    page.passphrase.setText(PASSPHRASE)
    qtbot.mouseClick(page.unlock_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: error.text() not in ("", "Wrong passphrase."), timeout=UNLOCK_TIMEOUT)
    assert "is damaged" in error.text()
    assert window.workspace is None


def test_lock_from_the_menu_returns_to_the_unlock_screen(qtbot, window):
    unlock(qtbot, window)
    workspace = window.workspace
    wait_for_model(qtbot, window)
    with qtbot.waitSignal(window.locked, timeout=UNLOCK_TIMEOUT):
        window.findChild(QAction, "actionLock").trigger()
    assert window.workspace is None and window.vault is None
    assert window.pages.currentWidget() is window.unlock_page
    assert window.pages.indexOf(workspace) == -1  # what it showed is gone
    assert not window.findChild(QAction, "actionAddFiles").isEnabled()


def test_auto_lock_after_the_idle_time_saves_the_edit_in_progress(qtbot, vault_home, vault):
    (document_id,) = add_text_documents(vault, 1, words="patient seen at home")
    digitize(vault, document_id)
    with vault.transaction() as tx:
        tx.set_setting(AUTOLOCK_SETTING, 0.02)  # 1.2 seconds
    vault.lock()

    window = MainWindow(vault_home)
    qtbot.addWidget(window)
    window.show()
    unlock(qtbot, window)
    workspace = window.workspace
    workspace.library.select_document(document_id)
    editor = workspace.document_view.text_tab.editor
    qtbot.waitUntil(lambda: "patient" in editor.toPlainText())
    editor.setPlainText("patient seen at home, corrected")
    editor.document().setModified(True)

    with qtbot.waitSignal(window.locked, timeout=10_000):
        pass  # no input: the idle timer fires
    assert window.pages.currentWidget() is window.unlock_page

    reopened = Vault.unlock(vault_home, PASSPHRASE)
    try:
        saved = latest_result(reopened, document_id, "digitize")
        assert saved.revision == 2
        assert saved.content["text"] == "patient seen at home, corrected"
        locks = [e for e in read_events(reopened) if e.action == "vault.lock"]
        assert locks[-1].details == {"reason": "idle"}
    finally:
        reopened.lock()


def test_change_the_passphrase_from_the_vault_menu_then_unlock_with_it(qtbot, window):
    unlock(qtbot, window)
    workspace = window.workspace
    window.findChild(QAction, "actionChangePassphrase").trigger()
    dialog = workspace.findChild(ChangePassphraseDialog, "changePassphraseDialog")
    fields = dialog.fields
    new = "plum tractor Violet 42 harbour"
    fields.new_passphrase.setText(new)
    fields.repeat_passphrase.setText(new)
    assert fields.hint.text() == strength_hint(new) == "Strong."  # as when creating the vault
    assert not dialog.change_button.isEnabled()  # the current passphrase first

    # A wrong current passphrase: one sentence, and nothing changed.
    dialog.current.setText("not the passphrase")
    qtbot.mouseClick(dialog.change_button, Qt.MouseButton.LeftButton)
    error = dialog.findChild(QLabel, "changePassphraseError")
    qtbot.waitUntil(lambda: error.text() != "", timeout=UNLOCK_TIMEOUT)
    assert error.text() == "Wrong passphrase."
    assert dialog.isVisible() and dialog.change_button.isEnabled()

    dialog.current.setText(PASSPHRASE)
    with qtbot.waitSignal(dialog.changed, timeout=UNLOCK_TIMEOUT):
        qtbot.mouseClick(dialog.change_button, Qt.MouseButton.LeftButton)
    assert workspace.findChild(QMessageBox, "noticeMessage").isVisible()
    changes = [e for e in read_events(window.vault) if e.action == "vault.passphrase_change"]
    assert len(changes) == 1

    wait_for_model(qtbot, window)
    with qtbot.waitSignal(window.locked, timeout=UNLOCK_TIMEOUT):
        window.findChild(QAction, "actionLock").trigger()
    unlock(qtbot, window, new)
