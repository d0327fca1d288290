"""A result's revisions: the questions asked before a stored text is replaced or left unsaved, and
the history dialog (every revision, what made it, side by side with the current one, restore).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QDateTime, QLocale, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QTextCharFormat, QTextCursor, QTextFormat
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from app import jobs
from app.errors import FieldscribeError

CHANGED_COLOR = QColor(255, 214, 102, 140)
KIND_NAMES = {"digitize": "text", "summarize": "summary", "extract": "fields"}


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """ "1 line", "3 lines"."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"


def local_time(utc: str) -> str:
    """A stored UTC time in the user's locale and time zone; ISO 8601 when the system sets no
    locale (the C locale would write "4 12 2026", which reads either way)."""
    moment = QDateTime.fromString(utc, Qt.DateFormat.ISODateWithMs).toLocalTime()
    locale = QLocale()
    if locale.language() == QLocale.Language.C:
        return moment.toString("yyyy-MM-dd HH:mm")
    return locale.toString(moment, QLocale.FormatType.ShortFormat)


def _message_box(parent: QWidget, object_name: str, text: str, informative: str) -> QMessageBox:
    box = QMessageBox(QMessageBox.Icon.Question, "Fieldscribe", text, parent=parent)
    box.setObjectName(object_name)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setInformativeText(informative)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    return box


def ask_about_unsaved_edits(parent: QWidget, on_choice: Callable[[str], None]) -> QMessageBox:
    """Save / Discard / Cancel for unsaved text edits; `on_choice("save"|"discard"|"cancel")`."""
    box = _message_box(
        parent,
        "unsavedEditsQuestion",
        "The text has edits that are not saved.",
        "Save them as a new revision, discard them, or go back to the text?",
    )
    buttons = QMessageBox.StandardButton
    box.setStandardButtons(buttons.Save | buttons.Discard | buttons.Cancel)
    box.setDefaultButton(buttons.Save)
    box.setEscapeButton(buttons.Cancel)
    choices = {buttons.Save: "save", buttons.Discard: "discard"}
    box.finished.connect(
        lambda _: on_choice(choices.get(box.standardButton(box.clickedButton()), "cancel"))
    )
    box.open()
    return box


def ask_keep_corrections(
    parent: QWidget, kind: str, on_choice: Callable[[bool], None]
) -> QMessageBox:
    """Before running a job again over the user's corrections: keep them (the default) or take
    the new output; `on_choice(keep)` is not called when the user cancels."""
    what = KIND_NAMES[kind]
    box = _message_box(
        parent,
        "keepCorrectionsQuestion",
        f"You corrected these {what}." if kind == "extract" else f"You corrected this {what}.",
        "Run the job again and keep your corrections? Either way its output is added as a new"
        " revision: every earlier revision stays in the history and can be restored.",
    )
    keep = box.addButton("&Keep my corrections", QMessageBox.ButtonRole.AcceptRole)
    keep.setObjectName("keepCorrectionsButton")
    replace = box.addButton("&Use the new output", QMessageBox.ButtonRole.DestructiveRole)
    replace.setObjectName("useNewOutputButton")
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(keep)

    def chosen(_: int) -> None:
        if box.clickedButton() is keep:
            on_choice(True)
        elif box.clickedButton() is replace:
            on_choice(False)

    box.finished.connect(chosen)
    box.open()
    return box


def readable(kind: str, content: dict[str, Any]) -> str:
    """A revision's content as the text compared side by side."""
    if kind == "digitize":
        return content.get("text", "")
    if kind == "summarize":
        return content.get("summary", "")
    lines = []
    for name, field in content.get("fields", {}).items():
        value = field.get("value")
        shown = "" if value is None else value if isinstance(value, str) else json.dumps(value)
        yours = "  [you]" if field.get("source") == "user" else ""  # typed or accepted
        lines.append(f"{name}: {shown}{yours}")
    return "\n".join(lines)


def _mark_lines(editor: QPlainTextEdit, line_numbers: set[int]) -> None:
    fmt = QTextCharFormat()
    fmt.setBackground(QBrush(CHANGED_COLOR))
    fmt.setProperty(QTextFormat.Property.FullWidthSelection, True)
    selections = []
    for number in sorted(line_numbers):
        block = editor.document().findBlockByNumber(number)
        if block.isValid():
            selection = QTextEdit.ExtraSelection()
            selection.cursor = QTextCursor(block)
            selection.format = fmt
            selections.append(selection)
    editor.setExtraSelections(selections)


class RevisionStore(Protocol):
    """Where a result's revisions are read and restored, audited (app.session.Session is one)."""

    def revisions(self, result_id: int) -> list[jobs.Revision]: ...
    def revision(self, result_id: int, revision: int) -> jobs.Result: ...
    def restore_revision(self, result_id: int, revision: int) -> jobs.Result: ...


class RevisionHistoryDialog(QDialog):
    """Every revision of one result; the chosen one beside the current one; restore."""

    restored = Signal(object)  # the new current Result

    def __init__(self, store: RevisionStore, result: jobs.Result, title: str,
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.setObjectName("revisionHistory")
        self.setWindowTitle(f"History — {title}")
        self.store = store
        self.result = result
        self.list = QListWidget(objectName="revisionList")
        self.list.setAccessibleName("Revisions")
        self.list.currentRowChanged.connect(self._show_chosen)
        self.chosen_label = QLabel(objectName="chosenRevisionLabel")
        self.chosen = QPlainTextEdit(objectName="chosenRevisionText", readOnly=True)
        self.chosen.setAccessibleName("Chosen revision")
        self.current_label = QLabel(objectName="currentRevisionLabel")
        self.current = QPlainTextEdit(objectName="currentRevisionText", readOnly=True)
        self.current.setAccessibleName("Current revision")
        for label in (self.chosen_label, self.current_label):
            label.setTextFormat(Qt.TextFormat.PlainText)
        self.restore_button = QPushButton("&Restore this revision", objectName="restoreRevision")
        self.restore_button.setToolTip(
            "Make the chosen revision current again: it is added as a new revision"
        )
        self.restore_button.clicked.connect(self.restore_chosen)
        self.message = QLabel(objectName="historyMessage", wordWrap=True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)

        def column(label: QLabel, editor: QPlainTextEdit) -> QWidget:
            widget = QWidget()
            layout = QVBoxLayout(widget)
            layout.setContentsMargins(0, 0, 0, 0)
            layout.addWidget(label)
            layout.addWidget(editor, 1)
            return widget

        side_by_side = QSplitter()
        side_by_side.addWidget(column(self.chosen_label, self.chosen))
        side_by_side.addWidget(column(self.current_label, self.current))
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.list)
        splitter.addWidget(side_by_side)
        splitter.setSizes([140, 360])
        bottom = QHBoxLayout()
        bottom.addWidget(self.message, 1)
        bottom.addWidget(self.restore_button)
        bottom.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addLayout(bottom)
        self.resize(860, 560)
        self.refresh()

    def refresh(self) -> None:
        self.history = self.store.revisions(self.result.result_id)
        self.list.blockSignals(True)
        self.list.clear()
        for revision in reversed(self.history):  # newest first
            current = "  (current)" if revision.revision == self.result.revision else ""
            item = QListWidgetItem(
                f"Revision {revision.revision}  ·  {local_time(revision.created_utc)}"
                f"  ·  {revision.description}{current}"
            )
            item.setData(Qt.ItemDataRole.UserRole, revision.revision)
            self.list.addItem(item)
        self.list.blockSignals(False)
        # The revision before the current one is the one most often compared.
        self.list.setCurrentRow(1 if self.list.count() > 1 else 0)

    def chosen_revision(self) -> int:
        return self.list.currentItem().data(Qt.ItemDataRole.UserRole)

    def choose(self, revision: int) -> None:
        for row in range(self.list.count()):
            if self.list.item(row).data(Qt.ItemDataRole.UserRole) == revision:
                self.list.setCurrentRow(row)

    def _show_chosen(self, row: int) -> None:
        if row < 0:
            return
        number = self.chosen_revision()
        chosen = self.store.revision(self.result.result_id, number)
        old = readable(chosen.kind, chosen.content)
        new = readable(self.result.kind, self.result.content)
        self.chosen.setPlainText(old)
        self.current.setPlainText(new)
        # Lines that differ are marked on both sides.
        matcher = difflib.SequenceMatcher(None, old.splitlines(), new.splitlines(), autojunk=False)
        changed_old, changed_new = set(), set()
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag != "equal":
                changed_old.update(range(i1, i2))
                changed_new.update(range(j1, j2))
        _mark_lines(self.chosen, changed_old)
        _mark_lines(self.current, changed_new)
        self.chosen_label.setText(f"Revision {number}")
        self.current_label.setText(f"Current: revision {self.result.revision}")
        is_current = number == self.result.revision
        self.restore_button.setEnabled(not is_current)
        self.message.setText(
            "This is the current revision."
            if is_current
            else "Identical to the current revision."
            if old == new
            else f"Lines that differ are marked: {len(changed_old)} here,"
            f" {len(changed_new)} in the current revision."
        )

    def restore_chosen(self) -> None:
        number = self.chosen_revision()
        try:
            self.result = self.store.restore_revision(self.result.result_id, number)
        except FieldscribeError as exc:
            self.message.setText(str(exc))
            return
        self.refresh()
        self.choose(self.result.revision)
        self.message.setText(f"Revision {number} was restored as revision {self.result.revision}.")
        self.restored.emit(self.result)
