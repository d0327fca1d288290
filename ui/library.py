"""The document list: every document in the vault, a type filter and full-text search."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.vault import Vault
from app.vault.documents import StoredDocument, list_documents, search

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# (label, test on the media type)
TYPE_FILTERS = (
    ("All types", lambda media_type: True),
    ("Images", lambda media_type: media_type.startswith("image/")),
    ("PDF", lambda media_type: media_type == "application/pdf"),
    ("Word documents", lambda media_type: media_type == DOCX),
    ("Text", lambda media_type: media_type.startswith("text/")),
)
TYPE_NAMES = {"application/pdf": "PDF", DOCX: "Word", "text/plain": "Text"}


def type_name(media_type: str) -> str:
    if media_type.startswith("image/"):
        return "Image"
    return TYPE_NAMES.get(media_type, media_type)


class LibraryPanel(QWidget):
    document_selected = Signal(object)  # StoredDocument or None

    def __init__(self, vault: Vault, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("library")
        self.vault = vault
        self.search_field = QLineEdit(objectName="librarySearch")
        self.search_field.setPlaceholderText("Search all documents")
        self.search_field.setAccessibleName("Search documents")
        self.search_field.setClearButtonEnabled(True)
        self.type_filter = QComboBox(objectName="libraryFilter")
        self.type_filter.setAccessibleName("Document type")
        self.type_filter.addItems([label for label, _ in TYPE_FILTERS])
        self.tree = QTreeWidget(objectName="documentList")
        self.tree.setAccessibleName("Documents")
        self.tree.setHeaderLabels(["Name", "Type", "Pages", "Added"])
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setSortingEnabled(True)
        self.tree.sortByColumn(3, Qt.SortOrder.DescendingOrder)
        self.tree.currentItemChanged.connect(self._current_changed)
        # Search as the user types, once they pause.
        self._search_delay = QTimer(self, singleShot=True, interval=250)
        self._search_delay.timeout.connect(self.refresh)
        self.search_field.textChanged.connect(self._search_delay.start)
        self.type_filter.currentIndexChanged.connect(self.refresh)

        filters = QHBoxLayout()
        filters.addWidget(self.search_field, 1)
        filters.addWidget(self.type_filter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(filters)
        layout.addWidget(self.tree, 1)

    def focus_search(self) -> None:
        self.search_field.setFocus()
        self.search_field.selectAll()

    def refresh(self) -> None:
        """Rebuild the list from the vault, keeping the selected document selected."""
        selected = self.current_document()
        documents = list_documents(self.vault)
        _, wanted = TYPE_FILTERS[self.type_filter.currentIndex()]
        found: dict[int, str] = {}
        query = self.search_field.text().strip()
        if query:
            for hit in search(self.vault, query):
                where = f"page {hit.page_number}: " if hit.page_number else ""
                found.setdefault(hit.document_id, where + hit.snippet)
        self.tree.setColumnCount(5 if query else 4)
        if query:
            self.tree.setHeaderLabels(["Name", "Type", "Pages", "Added", "Found"])
        self.tree.blockSignals(True)
        self.tree.clear()
        for document in documents:
            if not wanted(document.media_type) or (query and document.id not in found):
                continue
            columns = [document.name, type_name(document.media_type), str(document.page_count),
                       document.created_utc[:16].replace("T", " ")]  # fmt: skip
            if query:
                columns.append(found[document.id])
            item = QTreeWidgetItem(columns)
            item.setData(0, Qt.ItemDataRole.UserRole, document)
            item.setToolTip(0, document.name)
            self.tree.addTopLevelItem(item)
            if selected is not None and document.id == selected.id:
                self.tree.setCurrentItem(item)
        self.tree.blockSignals(False)
        for column in range(self.tree.columnCount() - 1):
            self.tree.resizeColumnToContents(column)
        if self.current_document() != selected:
            self.document_selected.emit(self.current_document())

    def current_document(self) -> StoredDocument | None:
        item = self.tree.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None

    def select_document(self, document_id: int) -> None:
        for index in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(index)
            if item.data(0, Qt.ItemDataRole.UserRole).id == document_id:
                self.tree.setCurrentItem(item)
                return

    def _current_changed(self, current, previous) -> None:
        self.document_selected.emit(self.current_document())
