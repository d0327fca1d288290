"""Vault ▸ Change passphrase: the current secret again, then the new passphrase twice."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.vault import Vault
from ui.jobs import JobQueue
from ui.unlock import NewPassphraseFields, error_label


class ChangePassphraseDialog(QDialog):
    """Rewraps the data key off the GUI thread (two key derivations take a few seconds)."""

    changed = Signal()

    def __init__(self, vault: Vault, tasks: JobQueue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("changePassphraseDialog")
        self.setWindowTitle("Change passphrase")
        self.vault = vault
        self.tasks = tasks
        self.busy = False
        # Asked again so that an unlocked, unattended computer is not enough to take the vault.
        self.current = QLineEdit(objectName="currentPassphrase")
        self.current.setEchoMode(QLineEdit.EchoMode.Password)
        self.current.setAccessibleName("Current passphrase or recovery code")
        self.current.setMinimumWidth(320)
        self.current.textChanged.connect(self._update)
        self.fields = NewPassphraseFields("New passphrase:")
        self.fields.changed.connect(self._update)
        self.status = QLabel(objectName="changePassphraseStatus")
        self.error = error_label("changePassphraseError")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.change_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.change_button.setText("Change passphrase")
        self.change_button.setObjectName("changePassphraseButton")
        buttons.accepted.connect(self.change)
        buttons.rejected.connect(self.reject)

        current = QFormLayout()
        current.addRow("Current passphrase\nor recovery code:", self.current)
        layout = QVBoxLayout(self)
        layout.addLayout(current)
        layout.addWidget(self.fields)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self._update()

    def change(self) -> None:
        if not self.change_button.isEnabled():
            return
        current, new = self.current.text(), self.fields.passphrase()
        vault = self.vault
        self.error.clear()
        self._set_busy(True)
        self.tasks.submit(
            "Change the passphrase",
            lambda progress, cancel: vault.change_passphrase(current, new),
            on_success=self._changed,
            on_failure=self._failed,
        )

    def _changed(self, _: None) -> None:
        self._set_busy(False)
        self.accept()
        self.changed.emit()

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
            super().reject()
