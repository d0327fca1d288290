"""Before the vault is open: create it (first run), unlock it, show the recovery code once."""

from __future__ import annotations

import os
import string

from PySide6.QtCore import QCoreApplication, QObject, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication, QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.errors import BadInput
from app.paths import Home
from app.session import MIN_PASSPHRASE_LENGTH, Session, check_new_passphrase
from ui.jobs import JobQueue


def strength_hint(passphrase: str) -> str:
    """A rough guide from length and character variety; long phrases of words score well."""
    if not passphrase:
        return f"Use at least {MIN_PASSPHRASE_LENGTH} characters; a few unrelated words work well."
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        return f"Too short: at least {MIN_PASSPHRASE_LENGTH} characters."
    pools = (string.ascii_lowercase, string.ascii_uppercase, string.digits)
    alphabet = sum(len(pool) for pool in pools if any(c in pool for c in passphrase))
    if any(not c.isascii() or c in string.punctuation or c == " " for c in passphrase):
        alphabet += 33
    bits = len(passphrase) * max(alphabet, 10).bit_length()
    if bits < 60:
        return "Weak: add another word or two."
    if bits < 90:
        return "Fair: one more word would make it strong."
    return "Strong."


def _centered(*widgets: QWidget) -> QVBoxLayout:
    column = QVBoxLayout()
    column.addStretch(1)
    for widget in widgets:
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(widget)
        row.addStretch(1)
        column.addLayout(row)
    column.addStretch(2)
    return column


def _heading(text: str, object_name: str) -> QLabel:
    label = QLabel(text, objectName=object_name)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 1.6)
    label.setFont(font)
    return label


def error_label(object_name: str) -> QLabel:
    label = QLabel(objectName=object_name)
    label.setTextFormat(Qt.TextFormat.PlainText)  # the sentence may name a path
    label.setWordWrap(True)
    label.setStyleSheet("color: #c0392b;")
    label.setAccessibleName("Error")
    return label


class UnlockPage(QWidget):
    """Asks for the passphrase (or the recovery code) and unlocks off the GUI thread."""

    unlocked = Signal(object)  # Session

    def __init__(self, home: Home, tasks: JobQueue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("unlockPage")
        self.home = home
        self.tasks = tasks
        self.passphrase = QLineEdit(objectName="passphrase")
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Passphrase")
        self.passphrase.setPlaceholderText("Passphrase or recovery code")
        self.passphrase.setMinimumWidth(320)
        self.passphrase.returnPressed.connect(self.unlock)
        self.unlock_button = QPushButton("Unlock", objectName="unlockButton")
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self.unlock)
        self.status = QLabel(objectName="unlockStatus")
        self.error = error_label("unlockError")
        self.error.setMaximumWidth(480)

        form = QWidget()
        layout = QVBoxLayout(form)
        layout.addWidget(_heading("Unlock your vault", "unlockHeading"))
        layout.addWidget(QLabel("Enter your passphrase, or the recovery code you stored."))
        row = QHBoxLayout()
        row.addWidget(self.passphrase, 1)
        row.addWidget(self.unlock_button)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        self.setLayout(_centered(form))

    def set_busy(self, busy: bool, message: str = "") -> None:
        self.passphrase.setEnabled(not busy)
        self.unlock_button.setEnabled(not busy)
        self.status.setText(message)
        if not busy:
            self.passphrase.setFocus()

    def unlock(self) -> None:
        secret = self.passphrase.text()
        if not secret or not self.unlock_button.isEnabled():
            return
        self.error.clear()
        self.set_busy(True, "Unlocking…")
        home = self.home
        self.tasks.submit(
            "Unlock the vault",
            lambda progress, cancel: Session.unlock(home, secret),
            on_success=self._unlocked,
            on_failure=self._failed,
        )

    def _unlocked(self, session: Session) -> None:
        self.passphrase.clear()
        self.set_busy(False)
        self.unlocked.emit(session)

    def _failed(self, sentence: str) -> None:
        self.passphrase.selectAll()
        self.set_busy(False)
        self.error.setText(sentence)


class NewPassphraseFields(QWidget):
    """A new passphrase typed twice, with the strength hint: for a new vault and for a change."""

    changed = Signal()

    def __init__(self, label: str = "Passphrase:", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.new_passphrase = QLineEdit(objectName="newPassphrase")
        self.repeat_passphrase = QLineEdit(objectName="repeatPassphrase")
        for field, name in ((self.new_passphrase, "New passphrase"),
                            (self.repeat_passphrase, "Repeat the passphrase")):  # fmt: skip
            field.setEchoMode(QLineEdit.EchoMode.Password)
            field.setAccessibleName(name)
            field.setMinimumWidth(320)
            field.textChanged.connect(self._update)
        self.hint = QLabel(objectName="strengthHint")
        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addRow(label, self.new_passphrase)
        layout.addRow("Repeat:", self.repeat_passphrase)
        layout.addRow("", self.hint)
        self._update()

    def passphrase(self) -> str:
        return self.new_passphrase.text()

    def problem(self) -> str | None:
        """Why the passphrase can't be used yet; None when it can."""
        first, second = self.new_passphrase.text(), self.repeat_passphrase.text()
        try:
            check_new_passphrase(first)  # the core's policy, as the command line enforces it
        except BadInput as exc:
            return str(exc)
        if first != second:
            return "The two passphrases differ."
        return None

    def clear(self) -> None:
        self.new_passphrase.clear()
        self.repeat_passphrase.clear()

    def _update(self) -> None:
        self.hint.setText(strength_hint(self.new_passphrase.text()))
        self.changed.emit()


class CreatePage(QWidget):
    """First run: a new passphrase, typed twice, with a strength hint."""

    created = Signal(object, str)  # Session, recovery code

    def __init__(self, home: Home, tasks: JobQueue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("createPage")
        self.home = home
        self.tasks = tasks
        self.fields = NewPassphraseFields()
        self.fields.changed.connect(self._update)
        self.fields.repeat_passphrase.returnPressed.connect(self.create)
        self.create_button = QPushButton("Create vault", objectName="createButton")
        self.create_button.setDefault(True)
        self.create_button.clicked.connect(self.create)
        self.status = QLabel(objectName="createStatus")
        self.error = error_label("createError")

        form = QWidget()
        layout = QVBoxLayout(form)
        layout.addWidget(_heading("Create your vault", "createHeading"))
        intro = QLabel(
            "Everything you add is kept encrypted under this passphrase. "
            "Nobody can recover it for you: choose one you will remember."
        )
        intro.setWordWrap(True)
        intro.setMaximumWidth(480)
        layout.addWidget(intro)
        layout.addWidget(self.fields)
        layout.addWidget(self.create_button, alignment=Qt.AlignmentFlag.AlignRight)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        self.setLayout(_centered(form))
        self._update()

    def _update(self) -> None:
        self.create_button.setEnabled(self.fields.problem() is None)

    def create(self) -> None:
        problem = self.fields.problem()
        if problem:
            self.error.setText(problem)
            return
        passphrase = self.fields.passphrase()
        self.error.clear()
        self.fields.setEnabled(False)
        self.create_button.setEnabled(False)
        self.status.setText("Creating the vault…")
        home = self.home
        self.tasks.submit(
            "Create the vault",
            lambda progress, cancel: Session.create(home, passphrase),
            on_success=self._created,
            on_failure=self._failed,
        )

    def _created(self, session_and_code: tuple[Session, str]) -> None:
        self.fields.clear()
        self.status.clear()
        self.created.emit(*session_and_code)

    def _failed(self, sentence: str) -> None:
        self.fields.setEnabled(True)
        self.status.clear()
        self.error.setText(sentence)
        self._update()


CLIPBOARD_SECONDS = 60


class CopiedSecret(QObject):
    """The one secret Fieldscribe put on the clipboard, cleared after CLIPBOARD_SECONDS or when
    the vault locks. Lives with the application, so closing the dialog that copied it does not
    cancel the clearing."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.setObjectName("copiedSecret")
        self._text = ""
        self.timer = QTimer(self, singleShot=True, interval=CLIPBOARD_SECONDS * 1000)
        self.timer.timeout.connect(self.clear)

    @staticmethod
    def instance() -> CopiedSecret:
        application = QCoreApplication.instance()
        found = application.findChild(CopiedSecret, "copiedSecret")
        return found if found is not None else CopiedSecret(application)

    def copy(self, text: str) -> None:
        self._text = text
        QGuiApplication.clipboard().setText(text)
        self.timer.start()

    def clear(self) -> None:
        """Empty the clipboard if it still holds the secret (not something copied since)."""
        self.timer.stop()
        clipboard = QGuiApplication.clipboard()
        if self._text and clipboard.text() == self._text:
            clipboard.clear()
        self._text = ""


def close_without_code(parent: QWidget, title: str) -> bool:
    """Ask whether to close although the recovery code shown was not said to be stored (it is
    not shown again); Cancel, the default, goes back to it."""
    box = QMessageBox(
        QMessageBox.Icon.Question, title,
        "Close without having stored the recovery code? It is not shown again (a new one can "
        "be issued from Vault ▸ New recovery code).",
        QMessageBox.StandardButton.Close | QMessageBox.StandardButton.Cancel, parent,
    )  # fmt: skip
    box.setObjectName("closeWithoutCode")
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    return box.exec() == QMessageBox.StandardButton.Close


class RecoveryCodePanel(QWidget):
    """The code with Copy, Print and Save beside it. A copy is cleared from the clipboard after
    CLIPBOARD_SECONDS, and by `forget()` (on lock); the code is never kept once forgotten."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.code = QLineEdit(objectName="recoveryCode")
        self.code.setReadOnly(True)
        self.code.setAccessibleName("Recovery code")
        self.code.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.code.setMinimumWidth(420)
        buttons = []
        # Mnemonics clear of the menu bar's (File, Vault, Document, Cases, View, Tools): a
        # shared letter only moves the focus between the two instead of pressing the button.
        actions = (("C&opy", "copyRecoveryCode", self.copy),
                   ("&Print…", "printRecoveryCode", self.print_code),
                   ("&Save to file…", "saveRecoveryCode", self.save_code))  # fmt: skip
        for text, name, slot in actions:
            button = QPushButton(text, objectName=name)
            button.clicked.connect(slot)
            buttons.append(button)
        buttons[0].setAccessibleName("Copy the recovery code")
        self.status = QLabel(objectName="recoveryCodeStatus")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        self.print_dialog: QPrintDialog | None = None
        self.save_dialog: QFileDialog | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(self.code, 1)
        for button in buttons:
            row.addWidget(button)
        layout.addLayout(row)
        layout.addWidget(self.status)

    def show_code(self, code: str) -> None:
        self.code.setText(code)
        self.status.clear()

    def copy(self) -> None:
        CopiedSecret.instance().copy(self.code.text())
        self.status.setText(f"Copied — the clipboard is cleared in {CLIPBOARD_SECONDS} s.")

    def forget(self) -> None:
        """Drop the code from the widget and the clipboard (locking)."""
        if self.code.text() and QGuiApplication.clipboard().text() == self.code.text():
            CopiedSecret.instance().clear()
        self.code.clear()
        self.status.clear()
        for dialog in (self.print_dialog, self.save_dialog):
            if dialog is not None:
                dialog.reject()

    def _sheet(self) -> str:
        return (
            "Fieldscribe recovery code\n\n"
            f"    {self.code.text()}\n\n"
            "It opens the vault if the passphrase is lost. Keep it apart from the computer.\n"
        )

    def print_code(self) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        self.print_dialog = QPrintDialog(printer, self)
        self.print_dialog.setObjectName("printRecoveryCodeDialog")
        self.print_dialog.accepted.connect(lambda: self._print_to(printer))
        self.print_dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.print_dialog.show()  # (PySide6's QPrintDialog.open wants a receiver)

    def _print_to(self, printer: QPrinter) -> None:
        sheet = QTextDocument()
        sheet.setPlainText(self._sheet())
        sheet.print_(printer)
        self.status.setText("Sent to the printer.")

    def save_code(self) -> None:
        # In the user's documents, never the folder the app happened to be started from.
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        if not os.path.isdir(folder):
            folder = os.path.expanduser("~")
        suggested = os.path.join(folder, "recovery-code.txt")
        self.save_dialog = QFileDialog(self, "Save the recovery code", suggested)
        self.save_dialog.setObjectName("saveRecoveryCodeDialog")
        self.save_dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        self.save_dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
        self.save_dialog.fileSelected.connect(self._save_to)
        self.save_dialog.open()

    def _save_to(self, path: str) -> None:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                file.write(self._sheet())
        except OSError as exc:
            self.status.setText(f"{path}: could not be saved ({exc.strerror}).")
            return
        self.status.setText(f"Saved to {path}: move it off this computer (a USB key, on paper).")


class RecoveryCodePage(QWidget):
    """Shows the recovery code once; continuing needs an explicit "I have stored it"."""

    confirmed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recoveryPage")
        self.panel = RecoveryCodePanel()
        self.code = self.panel.code
        self.stored = QCheckBox(
            "I have written down, printed or saved the recovery code and keep it away from this "
            "computer.",
            objectName="recoveryStored",
        )
        self.continue_button = QPushButton("Continue", objectName="recoveryContinue")
        self.continue_button.setAutoDefault(True)  # Return presses it once it has the focus
        self.continue_button.setEnabled(False)
        self.stored.toggled.connect(self.continue_button.setEnabled)
        self.continue_button.clicked.connect(self._confirm)

        form = QWidget()
        form.setMaximumWidth(720)
        layout = QVBoxLayout(form)
        layout.addWidget(_heading("Your recovery code", "recoveryHeading"))
        explanation = QLabel(
            "If you forget your passphrase, this code is the only way into the vault. "
            "It is shown only now.",
            objectName="recoveryExplanation",
        )
        explanation.setWordWrap(True)
        layout.addWidget(explanation)
        layout.addWidget(self.panel)
        self.stored.setStyleSheet("QCheckBox { padding: 2px; }")
        layout.addWidget(self.stored)
        layout.addWidget(self.continue_button, alignment=Qt.AlignmentFlag.AlignRight)
        self.setLayout(_centered(form))

    @property
    def showing_code(self) -> bool:
        return bool(self.code.text())

    def show_code(self, code: str) -> None:
        self.panel.show_code(code)
        self.stored.setChecked(False)

    def forget(self) -> None:
        self.panel.forget()

    def _confirm(self) -> None:
        self.code.clear()  # shown once: not kept in the widget afterwards (a copy stays 60 s)
        self.confirmed.emit()
