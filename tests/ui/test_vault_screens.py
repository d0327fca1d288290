"""Create, unlock, lock and auto-lock, through the screens a user sees."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pyrage
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
)

from app.audit.log import read_events
from app.errors import WrongPassphrase
from app.jobs import digitize, latest_result
from app.paths import Home
from app.vault import Vault
from app.vault.open_lock import OPEN_ELSEWHERE
from tests.conftest import PASSPHRASE
from tests.helpers import add_text_documents
from tests.ui.conftest import UNLOCK_TIMEOUT, unlock, wait_for_model
from ui.change_passphrase import ChangePassphraseDialog, RecoveryCodeDialog
from ui.main_window import MainWindow
from ui.settings import AUTOLOCK_SETTING
from ui.unlock import CopiedSecret, strength_hint

ROOT = Path(__file__).resolve().parents[2]


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
    recovery.continue_button.setFocus()  # as Tab leaves it, from the tick box
    qtbot.keyClick(recovery.continue_button, Qt.Key.Key_Return)
    assert window.workspace is not None
    assert recovery.code.text() == ""  # not kept once confirmed
    assert [e.action for e in read_events(window.session.vault)] == ["vault.create"]

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
    assert window.workspace is None and window.session is None
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


def _notice(workspace) -> QMessageBox | None:
    """The workspace's notice if one is shown."""
    notice = workspace.findChild(QMessageBox, "noticeMessage")
    return notice if notice is not None and notice.isVisible() else None


def test_change_the_passphrase_from_the_vault_menu_then_unlock_with_it(qtbot, window):
    unlock(qtbot, window)
    workspace = window.workspace
    window.findChild(QAction, "actionChangePassphrase").trigger()
    dialog = workspace.findChild(ChangePassphraseDialog, "changePassphraseDialog")
    assert not dialog.rekey_button.isVisible()  # offered only after a change
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
    # One thing at a time: the rekey offer in the dialog, and the notice only once it is closed.
    assert dialog.rekey_button.isVisible() and _notice(workspace) is None
    assert not dialog.form.isVisible()  # the spent fields make room for the offer
    not_now = dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel)
    assert not_now.text() == "Not now"
    qtbot.mouseClick(not_now, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert _notice(workspace).text() == "The passphrase was changed: use the new one from now on."
    changes = [e for e in window.session.audit_events() if e.action == "vault.passphrase_change"]
    assert len(changes) == 1

    wait_for_model(qtbot, window)
    with qtbot.waitSignal(window.locked, timeout=UNLOCK_TIMEOUT):
        window.findChild(QAction, "actionLock").trigger()
    unlock(qtbot, window, new)


# -- the recovery code screen (issue 14, item 5) ------------------------------------------------


def _create_vault(qtbot, window) -> str:
    page = window.create_page
    page.fields.new_passphrase.setText("plum tractor Violet 42 harbour")
    page.fields.repeat_passphrase.setText("plum tractor Violet 42 harbour")
    qtbot.mouseClick(page.create_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.recovery_page,
                    timeout=UNLOCK_TIMEOUT)  # fmt: skip
    return window.recovery_page.code.text()


def _answer(qtbot, name: str, button: QMessageBox.StandardButton) -> None:
    """Press `button` in the message box `name` once it is shown (it runs its own loop)."""

    def press() -> None:
        box = QApplication.activeModalWidget()
        assert box is not None and box.objectName() == name, box
        box.button(button).click()

    QTimer.singleShot(0, press)


def test_recovery_code_copy_print_save_and_a_clipboard_cleared_in_time(qtbot, tmp_path):
    window = MainWindow(Home(tmp_path / "home"))
    qtbot.addWidget(window)
    window.show()
    code = _create_vault(qtbot, window)
    page = window.recovery_page
    explanation = page.findChild(QLabel, "recoveryExplanation")
    assert explanation.text().endswith("It is shown only now.")
    assert explanation.wordWrap() and explanation.width() >= explanation.minimumSizeHint().width()

    # Keyboard access: no button's mnemonic is one of the menu bar's (Alt+C, for Cases, would
    # only move the focus to a "&Copy" button, not press it).
    menus = window.menuBar().findChildren(QMenu)
    menu_letters = {QKeySequence.mnemonic(menu.title()).toString() for menu in menus} - {""}
    for button in page.findChildren(QPushButton):
        assert QKeySequence.mnemonic(button.text()).toString() not in menu_letters, button.text()
    CopiedSecret.instance().timer.setInterval(200)
    # Copy: said, and cleared again after the delay (shortened here).
    qtbot.mouseClick(page.findChild(QPushButton, "copyRecoveryCode"), Qt.MouseButton.LeftButton)
    status = page.findChild(QLabel, "recoveryCodeStatus")
    assert status.text() == "Copied — the clipboard is cleared in 60 s."
    assert QGuiApplication.clipboard().text() == code
    qtbot.waitUntil(lambda: QGuiApplication.clipboard().text() == "", timeout=5000)

    # Save to a file the user picks: only the user can read it.
    qtbot.mouseClick(page.findChild(QPushButton, "saveRecoveryCode"), Qt.MouseButton.LeftButton)
    dialog = page.findChild(QFileDialog, "saveRecoveryCodeDialog")
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.directory().absolutePath() != str(Path.cwd())  # not where the app started
    saved = tmp_path / "my-code.txt"
    dialog.selectFile(str(saved))
    dialog.accept()
    assert code in saved.read_text() and stat.S_IMODE(saved.stat().st_mode) == 0o600

    # Print: to a PDF printer chosen in the print dialog.
    qtbot.mouseClick(page.findChild(QPushButton, "printRecoveryCode"), Qt.MouseButton.LeftButton)
    printing = page.findChild(QPrintDialog, "printRecoveryCodeDialog")
    qtbot.waitUntil(printing.isVisible)
    pdf = tmp_path / "code.pdf"
    printing.printer().setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printing.printer().setOutputFileName(str(pdf))
    printing.done(QDialog.DialogCode.Accepted)
    assert pdf.read_bytes().startswith(b"%PDF")
    assert status.text() == "Sent to the printer."

    page.stored.setChecked(True)
    qtbot.mouseClick(page.continue_button, Qt.MouseButton.LeftButton)
    wait_for_model(qtbot, window)
    with qtbot.waitSignal(window.locked, timeout=UNLOCK_TIMEOUT):
        window.findChild(QAction, "actionLock").trigger()


def test_closing_on_the_recovery_code_asks_and_the_idle_lock_applies(qtbot, tmp_path):
    window = MainWindow(Home(tmp_path / "home"))
    qtbot.addWidget(window)
    window.show()
    code = _create_vault(qtbot, window)

    _answer(qtbot, "closeWithoutCode", QMessageBox.StandardButton.Cancel)
    window.findChild(QAction, "actionQuit").trigger()  # asks; the user goes back to the code
    assert window.isVisible() and window.recovery_page.code.text() == code

    qtbot.mouseClick(window.recovery_page.findChild(QPushButton, "copyRecoveryCode"),
                     Qt.MouseButton.LeftButton)  # fmt: skip
    window.idle_timer.setInterval(300)
    window.idle_timer.start()
    with qtbot.waitSignal(window.locked, timeout=UNLOCK_TIMEOUT):
        pass  # no input: the idle timer fires on the recovery screen too
    assert window.pages.currentWidget() is window.unlock_page
    assert window.recovery_page.code.text() == ""
    assert QGuiApplication.clipboard().text() == ""  # cleared at lock
    assert "New recovery code" in window.unlock_page.status.text()


def test_closing_on_the_recovery_code_ticked_as_stored_does_not_ask(qtbot, tmp_path):
    window = MainWindow(Home(tmp_path / "home"))
    qtbot.addWidget(window)
    window.show()
    _create_vault(qtbot, window)
    qtbot.mouseClick(window.recovery_page.stored, Qt.MouseButton.LeftButton)
    assert window.recovery_page.stored.isChecked()
    asked = []

    def cancel_if_asked() -> None:  # a question would run its own loop: this answers it
        box = QApplication.activeModalWidget()
        if box is not None:
            asked.append(box.objectName())
            box.button(QMessageBox.StandardButton.Cancel).click()

    QTimer.singleShot(0, cancel_if_asked)
    window.findChild(QAction, "actionQuit").trigger()
    assert asked == [] and not window.isVisible()


def test_a_passphrase_change_offers_the_rekey_then_shows_the_new_code(
    qtbot, window, vault_home, tmp_path
):
    unlock(qtbot, window)
    # A command in another process has the vault open: the rekey must wait for it.
    passphrase_file = tmp_path / "passphrase.txt"
    passphrase_file.write_text(PASSPHRASE + "\n", encoding="utf-8")
    other = subprocess.Popen(
        [sys.executable, "-m", "tests.app.vault.holder_child", str(vault_home.root),
         str(passphrase_file), "open"],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert other.stdout.readline() == "open\n"
    workspace = window.workspace
    window.findChild(QAction, "actionChangePassphrase").trigger()
    dialog = workspace.findChild(ChangePassphraseDialog, "changePassphraseDialog")
    dialog.current.setText(PASSPHRASE)
    dialog.fields.new_passphrase.setText("plum tractor Violet 42 harbour")
    dialog.fields.repeat_passphrase.setText("plum tractor Violet 42 harbour")
    with qtbot.waitSignal(dialog.changed, timeout=UNLOCK_TIMEOUT):
        qtbot.mouseClick(dialog.change_button, Qt.MouseButton.LeftButton)
    rekey = dialog.findChild(QPushButton, "rekeyButton")
    assert rekey.isVisible() and "keys.json" in dialog.status.text()
    qtbot.mouseClick(rekey, Qt.MouseButton.LeftButton)
    error = dialog.findChild(QLabel, "changePassphraseError")
    qtbot.waitUntil(lambda: error.text() != "", timeout=UNLOCK_TIMEOUT)
    assert error.text() == OPEN_ELSEWHERE and rekey.isEnabled()
    other.communicate(timeout=60)  # the command ends; now the rekey can run
    assert other.returncode == 0

    progress = dialog.findChild(QProgressBar, "rekeyProgress")
    seen: list[int] = []
    progress.valueChanged.connect(seen.append)
    qtbot.mouseClick(rekey, Qt.MouseButton.LeftButton)
    assert error.text() == ""  # the refusal does not linger over the retry
    qtbot.waitUntil(lambda: window.findChild(RecoveryCodeDialog) is not None,
                    timeout=4 * UNLOCK_TIMEOUT)  # fmt: skip
    assert seen and max(seen) >= 4  # the steps were shown as they went
    shown = window.findChild(RecoveryCodeDialog)
    assert shown.isVisible() and _notice(workspace) is None  # the new code alone
    assert shown.findChild(QLabel).text().startswith("The passphrase was changed and the vault")
    new_code = shown.panel.code.text()
    qtbot.mouseClick(shown.findChild(QPushButton, "recoveryCodeDone"), Qt.MouseButton.LeftButton)
    assert "vault.rekey" in [e.action for e in read_events(window.session.vault)]
    wait_for_model(qtbot, window)
    with qtbot.waitSignal(window.locked, timeout=UNLOCK_TIMEOUT):
        window.findChild(QAction, "actionLock").trigger()
    unlock(qtbot, window, new_code)


def test_new_recovery_code_from_the_vault_menu(qtbot, window, vault_home, recovery_code):
    unlock(qtbot, window)
    window.findChild(QAction, "actionNewRecoveryCode").trigger()
    dialog = window.findChild(QDialog, "newRecoveryCodeDialog")
    assert not dialog.issue_button.isEnabled()  # nothing typed: nothing to press
    dialog.current.setText(PASSPHRASE)
    assert dialog.issue_button.isEnabled()
    with qtbot.waitSignal(dialog.issued, timeout=UNLOCK_TIMEOUT) as issued:
        qtbot.mouseClick(dialog.issue_button, Qt.MouseButton.LeftButton)
    (new_code,) = issued.args
    shown = window.findChild(RecoveryCodeDialog)
    assert shown.panel.code.text() == new_code

    _answer(qtbot, "closeWithoutCode", QMessageBox.StandardButton.Cancel)
    shown.reject()  # Escape: asks, and the user stays
    assert shown.isVisible()
    _answer(qtbot, "closeWithoutCode", QMessageBox.StandardButton.Close)
    shown.reject()
    assert not shown.isVisible()
    wait_for_model(qtbot, window)
    with qtbot.waitSignal(window.locked, timeout=UNLOCK_TIMEOUT):
        window.findChild(QAction, "actionLock").trigger()
    assert Vault.unlock(vault_home, new_code)
    with pytest.raises(WrongPassphrase):
        Vault.unlock(vault_home, recovery_code)


def test_the_audit_check_dialog_pins_the_device_fingerprint(qtbot, workspace, tmp_path):
    dialog = workspace.show_audit()
    shown = dialog.findChild(QLabel, "auditFingerprint").text()
    assert shown == f"This device's key: {workspace.session.vault.fingerprint}"
    supervisor = pyrage.x25519.Identity.generate()
    identity_file = tmp_path / "supervisor.key"
    identity_file.write_text(str(supervisor) + "\n")
    out = tmp_path / "log.fsaudit"
    result = dialog.findChild(QLabel, "auditResult")
    dialog.run_export(out, str(supervisor.to_public()), None)
    qtbot.waitUntil(lambda: result.text().startswith("Exported"), timeout=UNLOCK_TIMEOUT)

    def check_with(fingerprint: str) -> None:
        result.clear()
        dialog.open_check()
        check = dialog.check_dialog
        check.path.setText(str(out))
        check.identity.setText(str(identity_file))
        field = check.findChild(QLineEdit, "checkFingerprint")
        field.setText(fingerprint)
        # The whole fingerprint is in view, to be compared by eye with the one on record.
        assert field.width() > field.fontMetrics().horizontalAdvance(
            workspace.session.vault.fingerprint
        )
        qtbot.mouseClick(check.findChild(QPushButton, "checkButton"), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: result.text() != "" and not result.text().endswith("…"),
                        timeout=UNLOCK_TIMEOUT)  # fmt: skip

    check_with("SHA256:" + "0" * 64)  # the fingerprint on record is another device's
    assert "signed by an unknown device key" in result.text()
    check_with(workspace.session.vault.fingerprint)
    assert "intact" in result.text() and "relative to the key" not in result.text()
    check_with("")
    assert "relative to the key inside it" in result.text()  # no pin: it says what that means
