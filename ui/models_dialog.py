"""The models: what is installed, which one is active and whether it has loaded; import more."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.engine import ModelRecord
from app.errors import FieldscribeError

COLUMNS = ("", "Name", "Size", "Architecture", "Context", "SHA-256", "State")


class ModelCatalogue(Protocol):
    """What the dialog reads (app.session.Session is one)."""

    def models(self) -> list[ModelRecord]: ...
    def active_model_name(self) -> str: ...
    @property
    def engine_state(self) -> str: ...


class ModelsDialog(QDialog):
    """Shows the catalogue; choosing, removing and importing are requests its owner carries out
    (off the GUI thread), then calls `refresh()` and `show_message()`."""

    use_requested = Signal(str)
    remove_requested = Signal(str)
    import_requested = Signal(object)  # Path

    def __init__(self, catalogue: ModelCatalogue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelsDialog")
        self.setWindowTitle("Models")
        self.resize(860, 320)
        self.catalogue = catalogue
        self.table = QTableWidget(0, len(COLUMNS), objectName="modelsTable")
        self.table.setAccessibleName("Models")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.message = QLabel(objectName="modelsMessage")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        import_button = QPushButton("Import…", objectName="importModel")
        import_button.setToolTip("Import a .gguf chat model (or drop it on the main window)")
        import_button.clicked.connect(self._import_dialog)
        self.use_button = QPushButton("Use", objectName="useModel")
        self.use_button.setToolTip("Make the selected model the active one")
        self.use_button.clicked.connect(self.use_selected)
        self.remove_button = QPushButton("Remove", objectName="removeModel")
        self.remove_button.clicked.connect(self.remove_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(import_button)
        buttons.addStretch(1)
        buttons.addWidget(self.use_button)
        buttons.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)

    def refresh(self) -> None:
        try:
            models = self.catalogue.models()
            active = self.catalogue.active_model_name()
        except FieldscribeError as exc:
            self.message.setText(str(exc))
            return
        self.table.setRowCount(len(models))
        for row, model in enumerate(models):
            state = self.catalogue.engine_state if model.name == active else ""
            cells = (
                "●" if model.name == active else "",
                model.name,
                f"{model.size / 1e6:.0f} MB",
                model.architecture or "?",
                f"{model.context_length:,}" if model.context_length else "?",
                model.sha256[:12],
                state,
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, model.name)
                self.table.setItem(row, column, item)
            self.table.item(row, 0).setToolTip("The active model" if model.name == active else "")
            self.table.item(row, 5).setToolTip(model.sha256)
        self.table.resizeColumnsToContents()

    def selected_name(self) -> str | None:
        item = self.table.item(self.table.currentRow(), 1)
        return item.text() if item is not None else None

    def show_message(self, sentence: str) -> None:
        self.message.setText(sentence)

    def import_path(self, path: Path) -> None:
        self.message.setText(f"Importing {path.name}…")
        self.import_requested.emit(path)

    def use_selected(self) -> None:
        name = self.selected_name()
        if name is not None:
            self.message.setText(f"Loading {name}…")
            self.use_requested.emit(name)

    def remove_selected(self) -> None:
        name = self.selected_name()
        if name is not None:
            self.remove_requested.emit(name)

    def _import_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a model", "", "GGUF models (*.gguf)")
        if path:
            self.import_path(Path(path))
