"""Vault ▸ Change passphrase (then, offered, re-encrypt under a new key) and Vault ▸ New
recovery code: each asks the current secret again and runs off the GUI thread."""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.session import Progress
from ui.jobs import JobQueue
from ui.unlock import NewPassphraseFields, RecoveryCodePanel, close_without_code, error_label

REKEY_OFFER = (
    "The passphrase was changed. A copy of the vault's key file (keys.json) made before now "
    "still opens the vault with the old passphrase. Re-encrypt the vault under a new key so "
    "that no such copy does; this also issues a new recovery code."
)


class VaultKeys(Protocol):
    """The vault's key slots, as these dialogs change them (app.session.Session is one). Each
    call asks the current secret again and writes its own audit event."""

    def change_passphrase(self, current_secret: str, new_passphrase: str) -> None: ...
    def rekey(self, passphrase: str, *, progress: Progress | None = None) -> str: ...
    def new_recovery_code(self, current_secret: str) -> str: ...


class RecoveryCodeDialog(QDialog):
    """A new recovery code, shown once, with Copy, Print and Save; closing asks first."""

    def __init__(self, code: str, intro: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recoveryCodeDialog")
        self.setWindowTitle("New recovery code")
        self.panel = RecoveryCodePanel()
        self.panel.show_code(code)
        text = QLabel(f"{intro} Store it away from this computer: it is shown only now.")
        text.setWordWrap(True)
        done = QPushButton("I &have stored it", objectName="recoveryCodeDone")
        done.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.panel)
        layout.addWidget(done, alignment=Qt.AlignmentFlag.AlignRight)

    def accept(self) -> None:
        self.panel.code.clear()
        super().accept()

    def reject(self) -> None:
        """Escape or the close button: the code would be gone, so ask."""
        if self.panel.code.text() and not close_without_code(self, "New recovery code"):
            return
        self.panel.forget()
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        event.ignore()
        self.reject()


def show_recovery_code(code: str, intro: str, parent: QWidget) -> RecoveryCodeDialog:
    dialog = RecoveryCodeDialog(code, intro, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


class NewRecoveryCodeDialog(QDialog):
    """Vault ▸ New recovery code: the current passphrase again, then the new code once."""

    issued = Signal(str)

    def __init__(self, keys: VaultKeys, tasks: JobQueue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("newRecoveryCodeDialog")
        self.setWindowTitle("New recovery code")
        self.keys, self.tasks = keys, tasks
        self.current = QLineEdit(objectName="currentSecret")
        self.current.setEchoMode(QLineEdit.EchoMode.Password)
        self.current.setAccessibleName("Current passphrase or recovery code")
        self.current.setMinimumWidth(320)
        self.current.textChanged.connect(lambda text: self.issue_button.setEnabled(bool(text)))
        self.status = QLabel(objectName="newRecoveryCodeStatus")
        self.error = error_label("newRecoveryCodeError")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.issue_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.issue_button.setText("Issue a new code")
        self.issue_button.setObjectName("issueRecoveryCode")
        self.issue_button.setEnabled(False)  # until the current secret is typed
        buttons.accepted.connect(self.issue)
        buttons.rejected.connect(self.reject)
        intro = QLabel(
            "A new recovery code replaces the old one, which stops working. Type the current "
            "passphrase (or the recovery code) to go on."
        )
        intro.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Current passphrase\nor recovery code:", self.current)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def issue(self) -> None:
        secret, keys = self.current.text(), self.keys
        if not self.issue_button.isEnabled():
            return
        self.issue_button.setEnabled(False)
        self.error.clear()
        self.status.setText("Issuing a new recovery code…")
        self.tasks.submit(
            "Issue a new recovery code",
            lambda progress, cancel: keys.new_recovery_code(secret),
            on_success=self._issued,
            on_failure=self._failed,
        )

    def _issued(self, code: str) -> None:
        self.current.clear()
        self.accept()
        show_recovery_code(code, "This is the vault's new recovery code.", self.parentWidget())
        self.issued.emit(code)

    def _failed(self, sentence: str) -> None:
        self.issue_button.setEnabled(True)
        self.status.clear()
        self.error.setText(sentence)
        self.current.selectAll()


class ChangePassphraseDialog(QDialog):
    """Rewraps the data key off the GUI thread (two key derivations take a few seconds)."""

    changed = Signal()  # the slot was rewritten; the rekey offer is shown in this dialog
    rekey_declined = Signal()  # closed after a change without a rekey: time for the notice

    def __init__(self, keys: VaultKeys, tasks: JobQueue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("changePassphraseDialog")
        self.setWindowTitle("Change passphrase")
        self.keys = keys
        self.tasks = tasks
        self.busy = False
        self.new_passphrase = ""  # kept only while the rekey is offered
        self.rekey_job_id: int | None = None
        # Asked again so that an unlocked, unattended computer is not enough to take the vault.
        self.current = QLineEdit(objectName="currentPassphrase")
        self.current.setEchoMode(QLineEdit.EchoMode.Password)
        self.current.setAccessibleName("Current passphrase or recovery code")
        self.current.setMinimumWidth(320)
        self.current.textChanged.connect(self._update)
        self.fields = NewPassphraseFields("New passphrase:")
        self.fields.changed.connect(self._update)
        self.status = QLabel(objectName="changePassphraseStatus")
        self.status.setWordWrap(True)
        self.error = error_label("changePassphraseError")
        self.progress = QProgressBar(objectName="rekeyProgress")
        self.progress.hide()
        self.rekey_button = QPushButton("Re-encrypt now", objectName="rekeyButton")
        self.rekey_button.clicked.connect(self.rekey)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.change_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.change_button.setText("Change passphrase")
        self.change_button.setObjectName("changePassphraseButton")
        self.buttons = buttons
        buttons.accepted.connect(self.change)
        buttons.rejected.connect(self.reject)
        buttons.addButton(self.rekey_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.rekey_button.hide()  # after addButton, which shows it: offered only after a change

        self.form = QWidget()  # the fields; the rekey offer takes their place once they are used
        current = QFormLayout()
        current.addRow("Current passphrase\nor recovery code:", self.current)
        form = QVBoxLayout(self.form)
        form.setContentsMargins(0, 0, 0, 0)
        form.addLayout(current)
        form.addWidget(self.fields)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(self.status)
        layout.addWidget(self.progress)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.tasks.changed.connect(self._job_changed)
        self._update()

    def change(self) -> None:
        if not self.change_button.isEnabled():
            return
        current, new = self.current.text(), self.fields.passphrase()
        keys = self.keys
        self.error.clear()
        self._set_busy(True)
        self.tasks.submit(
            "Change the passphrase",
            lambda progress, cancel: keys.change_passphrase(current, new),
            on_success=self._changed,
            on_failure=self._failed,
        )

    def _changed(self, _: None) -> None:
        """Changed: now offer the rekey that makes old copies of keys.json useless."""
        self.new_passphrase = self.fields.passphrase()
        self.current.clear()
        self.fields.clear()
        self._set_busy(False)
        self.form.hide()  # spent: the offer is all there is to read now
        self.change_button.hide()
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Not now")
        self.status.setText(REKEY_OFFER)
        self.rekey_button.show()
        self.rekey_button.setFocus()
        self.changed.emit()

    def rekey(self) -> None:
        passphrase, keys = self.new_passphrase, self.keys
        self.busy = True
        self.rekey_button.setEnabled(False)
        self.error.clear()  # a retry: the last failure no longer applies
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setEnabled(False)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.status.setText("Re-encrypting the vault…")
        job = self.tasks.submit(
            "Re-encrypt the vault",
            lambda progress, cancel: keys.rekey(passphrase, progress=progress),
            on_success=self._rekeyed,
            on_failure=self._rekey_failed,
        )
        self.rekey_job_id = job.id

    def _job_changed(self, job) -> None:
        if job.id == self.rekey_job_id and job.total:
            self.progress.setRange(0, job.total)
            self.progress.setValue(job.done)
            self.status.setText(f"{job.message}…")

    def _rekeyed(self, code: str) -> None:
        self.busy = False
        self.new_passphrase = ""
        self.accept()
        show_recovery_code(
            code,
            "The passphrase was changed and the vault re-encrypted under a new key: old copies "
            "of keys.json no longer open it, and the old recovery code no longer works. This "
            "is the new recovery code.",
            self.parentWidget(),
        )

    def _rekey_failed(self, sentence: str) -> None:
        self.busy = False
        self.progress.hide()
        self.rekey_button.setEnabled(True)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setEnabled(True)
        self.status.setText(REKEY_OFFER)
        self.error.setText(sentence)

    def _failed(self, sentence: str) -> None:
        self._set_busy(False)
        self.error.setText(sentence)
        self.current.setFocus()
        self.current.selectAll()

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.current.setEnabled(not busy)
        self.fields.setEnabled(not busy)
        self.status.setText("Changing the passphrase…" if busy else "")
        self._update()

    def _update(self) -> None:
        ready = bool(self.current.text()) and self.fields.problem() is None
        self.change_button.setEnabled(ready and not self.busy)

    def reject(self) -> None:
        if not self.busy:  # while the slot is rewritten, the dialog waits for the outcome
            declined = bool(self.new_passphrase)
            self.new_passphrase = ""
            super().reject()
            if declined:
                self.rekey_declined.emit()
