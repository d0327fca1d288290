"""The audit log: events with filters, Verify, encrypted Export, and Check of an exported file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QAbstractTableModel, QDate, QModelIndex, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.audit.events import ACTIONS, AuditEvent
from app.audit.exchange import Tampered
from app.audit.log import ExportReport
from app.errors import BadInput
from app.session import check_audit_export
from ui.jobs import JobQueue


class AuditLog(Protocol):
    """The vault's audit log, as the dialog reads, verifies and exports it (app.session.Session
    is one); verifying and exporting write their own audit events."""

    def audit_events(self) -> list[AuditEvent]: ...
    def verify_audit_log(self) -> int: ...
    def export_audit_log(
        self, out: Path, *, recipient: str | None = None, passphrase: str | None = None
    ) -> ExportReport: ...
    def device_fingerprint(self) -> str: ...


class AuditModel(QAbstractTableModel):
    COLUMNS = ("#", "Time (UTC)", "Actor", "Action", "Object", "Outcome", "Details")

    def __init__(self) -> None:
        super().__init__()
        self.events: list[AuditEvent] = []

    def set_events(self, events: list[AuditEvent]) -> None:
        self.beginResetModel()
        self.events = events
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.events)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return len(self.COLUMNS)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        event = self.events[index.row()]
        return (
            str(event.seq),
            event.ts_utc.replace("T", " ").removesuffix("Z"),
            event.actor,
            event.action,
            f"{event.object_type} {event.object_id}",
            event.outcome,
            json.dumps(event.details, sort_keys=True),
        )[index.column()]

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.COLUMNS[section]
        return None


def _path_row(field: QLineEdit, caption: str, save: bool, parent: QWidget) -> QHBoxLayout:
    def browse() -> None:
        if save:
            path, _ = QFileDialog.getSaveFileName(parent, caption, "", "Audit export (*.fsaudit)")
        else:
            path, _ = QFileDialog.getOpenFileName(parent, caption, "", "All files (*)")
        if path:
            field.setText(path)

    button = QPushButton("Browse…")
    button.setAccessibleName(f"Browse: {caption}")
    button.clicked.connect(browse)
    row = QHBoxLayout()
    row.addWidget(field, 1)
    row.addWidget(button)
    return row


def _key_choice(parent: QWidget, prefix: str, first_label: str) -> tuple:
    """Either an age key (public or identity file) or a passphrase."""
    by_key = QRadioButton(first_label, objectName=f"{prefix}ByKey")
    by_passphrase = QRadioButton("Passphrase", objectName=f"{prefix}ByPassphrase")
    by_key.setChecked(True)
    passphrase = QLineEdit(objectName=f"{prefix}Passphrase")
    passphrase.setEchoMode(QLineEdit.EchoMode.Password)
    passphrase.setAccessibleName("Export passphrase")
    passphrase.setEnabled(False)
    by_passphrase.toggled.connect(passphrase.setEnabled)
    return by_key, by_passphrase, passphrase


class AuditExportDialog(QDialog):
    """Asks where to write the `.fsaudit` file and to whom it is encrypted."""

    def __init__(self, audit: AuditDialog) -> None:
        super().__init__(audit)
        self.setObjectName("auditExportDialog")
        self.setWindowTitle("Export the audit log")
        self.audit = audit
        self.path = QLineEdit(objectName="exportPath")
        self.path.setAccessibleName("Export file")
        self.by_key, self.by_passphrase, self.passphrase = _key_choice(
            self, "export", "Supervisor's age public key"
        )
        self.recipient = QLineEdit(objectName="exportRecipient")
        self.recipient.setAccessibleName("Supervisor's age public key")
        self.recipient.setPlaceholderText("age1…")
        self.by_key.toggled.connect(self.recipient.setEnabled)
        self.repeat = QLineEdit(objectName="exportPassphraseRepeat")
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat.setAccessibleName("Repeat the export passphrase")
        self.repeat.setEnabled(False)
        self.by_passphrase.toggled.connect(self.repeat.setEnabled)
        self.error = QLabel(objectName="exportError")
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setWordWrap(True)
        export = QPushButton("Export", objectName="exportButton")
        export.setDefault(True)
        export.clicked.connect(self.export)
        form = QFormLayout(self)
        form.addRow("File:", _path_row(self.path, "Export the audit log to", True, self))
        form.addRow(self.by_key, self.recipient)
        form.addRow(self.by_passphrase, self.passphrase)
        form.addRow("Repeat:", self.repeat)
        form.addRow(self.error)
        form.addRow(export)

    def export(self) -> None:
        text = self.path.text().strip()
        if not text:
            self.error.setText("Choose the file to write.")
            return
        recipient = passphrase = None
        if self.by_key.isChecked():
            recipient = self.recipient.text().strip()
            if not recipient:
                self.error.setText("Paste the supervisor's age public key (it starts with age1).")
                return
        else:
            passphrase = self.passphrase.text()
            if not passphrase or passphrase != self.repeat.text():
                self.error.setText("Type the same passphrase twice.")
                return
        path = Path(text)
        if not path.parent.is_dir():
            self.error.setText(f"{path}: the folder {path.parent} does not exist.")
            return
        self.error.clear()
        self.audit.run_export(path, recipient, passphrase)
        self.accept()


class AuditCheckDialog(QDialog):
    """Checks an exported file offline, optionally against an earlier export."""

    def __init__(self, audit: AuditDialog) -> None:
        super().__init__(audit)
        self.setObjectName("auditCheckDialog")
        self.setWindowTitle("Check an audit export")
        self.audit = audit
        self.path = QLineEdit(objectName="checkPath")
        self.path.setAccessibleName("Export to check")
        self.previous = QLineEdit(objectName="checkPrevious")
        self.previous.setAccessibleName("Earlier export (optional)")
        self.previous.setPlaceholderText("optional: an earlier export this one must extend")
        self.by_key, self.by_passphrase, self.passphrase = _key_choice(
            self, "check", "Age identity file"
        )
        self.identity = QLineEdit(objectName="checkIdentity")
        self.identity.setAccessibleName("Age identity file")
        self.by_key.toggled.connect(self.identity.setEnabled)
        self.fingerprint = QLineEdit(objectName="checkFingerprint")
        self.fingerprint.setAccessibleName("Expected device fingerprint")
        self.fingerprint.setPlaceholderText("SHA256:… recorded when the laptop was issued")
        # The whole fingerprint in view, to compare it by eye with the one recorded on paper.
        whole = self.fingerprint.fontMetrics().horizontalAdvance("SHA256:" + "0" * 64)
        self.fingerprint.setMinimumWidth(whole + 16)
        check = QPushButton("Check", objectName="checkButton")
        check.setDefault(True)
        check.clicked.connect(self.check)
        form = QFormLayout(self)
        form.addRow("Export:", _path_row(self.path, "The export to check", False, self))
        form.addRow("Earlier export:", _path_row(self.previous, "The earlier export", False, self))
        form.addRow(self.by_key, _path_row(self.identity, "The age identity file", False, self))
        form.addRow(self.by_passphrase, self.passphrase)
        form.addRow("Device fingerprint:", self.fingerprint)
        form.addRow(check)

    def check(self) -> None:
        path = Path(self.path.text().strip())
        previous = Path(self.previous.text().strip()) if self.previous.text().strip() else None
        identity = Path(self.identity.text().strip()) if self.by_key.isChecked() else None
        passphrase = None if self.by_key.isChecked() else self.passphrase.text()
        fingerprint = self.fingerprint.text().strip() or None
        self.audit.run_check(path, previous, identity, passphrase, fingerprint)
        self.accept()


class AuditDialog(QDialog):
    def __init__(
        self, audit_log: AuditLog, tasks: JobQueue, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("auditDialog")
        self.setWindowTitle("Audit log")
        self.resize(1000, 560)
        self.audit_log = audit_log
        self.tasks = tasks
        self.all_events: list[AuditEvent] = []
        self.model = AuditModel()
        self.table = QTableView(objectName="auditTable")
        self.table.setAccessibleName("Audit events")
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(
            len(AuditModel.COLUMNS) - 1, QHeaderView.ResizeMode.Stretch
        )
        self.date_from = QDateEdit(objectName="auditFrom", calendarPopup=True)
        self.date_from.setAccessibleName("From date")
        self.date_to = QDateEdit(objectName="auditTo", calendarPopup=True)
        self.date_to.setAccessibleName("To date")
        self.action = QComboBox(objectName="auditAction")
        self.action.setAccessibleName("Action")
        self.action.addItems(["All actions", *sorted(ACTIONS)])
        self.object = QLineEdit(objectName="auditObject")
        self.object.setAccessibleName("Object")
        self.object.setPlaceholderText("Object, e.g. document 3")
        self.object.setClearButtonEnabled(True)
        self.whole_range = True
        for edit in (self.date_from, self.date_to):
            edit.dateChanged.connect(self._dates_changed)
        self.action.currentIndexChanged.connect(self.apply_filters)
        self.object.textChanged.connect(self.apply_filters)
        self.result = QLabel(objectName="auditResult")
        self.result.setTextFormat(Qt.TextFormat.PlainText)
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # What the supervisor records when the laptop is issued, to pin in `audit check`.
        self.device_fingerprint = QLabel(
            f"This device's key: {audit_log.device_fingerprint()}", objectName="auditFingerprint"
        )
        self.device_fingerprint.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )
        buttons = QHBoxLayout()
        for text, name, slot in (("&Verify", "auditVerify", self.verify),
                                 ("&Export…", "auditExport", self.open_export),
                                 ("&Check export…", "auditCheck", self.open_check),
                                 ("&Refresh", "auditRefresh", self.refresh)):  # fmt: skip
            button = QPushButton(text, objectName=name)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)
        filters = QHBoxLayout()
        for label, widget in (("From", self.date_from), ("to", self.date_to),
                              ("Action", self.action), ("Object", self.object)):  # fmt: skip
            filters.addWidget(QLabel(label))
            filters.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.result)
        layout.addWidget(self.device_fingerprint)
        layout.addLayout(buttons)
        self.export_dialog = AuditExportDialog(self)
        self.check_dialog = AuditCheckDialog(self)

    def refresh(self) -> None:
        audit_log = self.audit_log
        self.tasks.submit(
            "Read the audit log",
            lambda progress, cancel: audit_log.audit_events(),
            on_success=self._loaded,
            on_failure=self.result.setText,
        )

    def _loaded(self, events: list[AuditEvent]) -> None:
        self.all_events = events
        if events:  # dates are UTC, like the events' times
            first = QDate.fromString(events[0].ts_utc[:10], "yyyy-MM-dd")
            last = QDate.fromString(events[-1].ts_utc[:10], "yyyy-MM-dd")
            for edit in (self.date_from, self.date_to):
                edit.blockSignals(True)
                edit.setDateRange(first, last)
                if self.whole_range:  # until the user narrows it, the range spans the log
                    edit.setDate(first if edit is self.date_from else last)
                edit.blockSignals(False)
        self.apply_filters()

    def _dates_changed(self) -> None:
        self.whole_range = False
        self.apply_filters()

    def apply_filters(self) -> None:
        start = self.date_from.date().toString("yyyy-MM-dd")
        end = self.date_to.date().toString("yyyy-MM-dd")
        action = self.action.currentText() if self.action.currentIndex() > 0 else None
        needle = self.object.text().strip().lower()
        self.model.set_events(
            [
                event
                for event in self.all_events
                if start <= event.ts_utc[:10] <= end
                and (action is None or event.action == action)
                and needle in f"{event.object_type} {event.object_id}".lower()
            ]
        )
        self.table.resizeColumnsToContents()
        self.table.scrollToBottom()

    def _report(self, sentence: str) -> None:
        self.result.setText(sentence)
        self.refresh()  # verify and export record events of their own

    def verify(self) -> None:
        audit_log = self.audit_log
        self.result.setText("Verifying…")
        self.tasks.submit(
            "Verify the audit log",
            lambda progress, cancel: audit_log.verify_audit_log(),
            on_success=lambda size: self._report(
                f"The audit log is intact: {size} events match the signed checkpoint."
            ),
            on_failure=self._report,
        )

    def open_export(self) -> None:
        self.export_dialog.open()

    def run_export(self, path: Path, recipient: str | None, passphrase: str | None) -> None:
        audit_log = self.audit_log
        self.result.setText("Exporting…")
        self.tasks.submit(
            "Export the audit log",
            lambda progress, cancel: audit_log.export_audit_log(
                path, recipient=recipient, passphrase=passphrase
            ),
            on_success=lambda report: self._report(
                f"Exported {report.events} events to {report.path} (SHA-256 {report.sha256})."
            ),
            on_failure=self._report,
        )

    def open_check(self) -> None:
        self.check_dialog.open()

    def run_check(
        self,
        path: Path,
        previous: Path | None,
        identity: Path | None,
        passphrase: str | None,
        expected_fingerprint: str | None = None,
    ) -> None:
        self.result.setText("Checking…")

        def check(progress, cancel) -> str:
            identity_text = None
            if identity is not None:
                try:
                    identity_text = identity.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError):
                    raise BadInput(f"{identity}: cannot read the identity file.") from None
            try:
                report = check_audit_export(
                    path, identity_text=identity_text, passphrase=passphrase, previous=previous,
                    expected_fingerprint=expected_fingerprint,
                )  # fmt: skip
            except Tampered as exc:
                return str(exc)
            return f"{report.text}\n{report.caution}" if report.caution else report.text

        self.tasks.submit(
            "Check an audit export", check, on_success=self.result.setText,
            on_failure=self.result.setText,
        )  # fmt: skip
